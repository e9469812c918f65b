#!/usr/bin/env bash
# The registry CLI end to end: import (key handling, bad rows, ignored columns, 15-digit IDs),
# stat, get by MSISDN / IMSI / pseudonym / ID number, update (upsert, delete, too many bad
# rows, wrong key), and the failures that must leave the store as it was: a full disk (a file
# size limit) and a full map (--map-max).
# Usage: bash registry.sh CARDWATCH SRCDIR CORPUSDIR
set -uo pipefail
CW=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() {
    echo "FAIL: $*"
    exit 1
}
# the interpreter itself, not a version manager's shim (a shim costs 0.2 s a call)
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || {
    echo "SKIP: python3 is needed to read the JSON"
    exit 77
}

# expect STATUS PATTERN -- command...: exit status and a message on stderr ("" = any)
expect() {
    local want=$1 pat=$2
    shift 3
    "$@" >"$T/out" 2>"$T/err"
    local got=$?
    [ "$got" -eq "$want" ] || { cat "$T/err"; fail "'$*' exited $got, expected $want"; }
    [ -z "$pat" ] || grep -q -- "$pat" "$T/err" || {
        cat "$T/err"
        fail "'$*': stderr lacks '$pat'"
    }
}
# json FILE EXPR: print a Python expression over the JSON document j in FILE
json() {
    "$PY" -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"
}
# want VALUE EXPR WHAT: the JSON on the last command's standard output gives VALUE
want() {
    local got
    got=$(json "$T/out" "$2") || fail "$3: no JSON: $(cat "$T/out")"
    [ "$got" = "$1" ] || fail "$3: got $got, expected $1; output: $(cat "$T/out")"
}
# said PATTERN WHAT: the last command's standard error has PATTERN
said() { grep -q -- "$1" "$T/err" || { cat "$T/err"; fail "$2: stderr lacks '$1'"; }; }
# the MSISDNs of the person in a get's JSON, sorted, comma-separated
CARDS='",".join(sorted(c["msisdn"] for c in j["person"]["cards"]))'
# the figures of `stat --json` that an import or update changes (not the file size)
stat_key() {
    "$CW" registry stat --db "$1" --json >"$T/stat.json" || fail "stat --db $1"
    json "$T/stat.json" '[j[k] for k in ("cards", "imsis", "persons", "outlets", "ranges",
        "key_id", "map_used", "history")]'
}

head -c 32 /dev/urandom >"$T/key"
head -c 32 /dev/urandom >"$T/key2"
head -c 15 /dev/urandom >"$T/short.key"

# Person A (330106199003071236) holds three cards, the third given in the old 15-digit form;
# person B (440305198511224564) one; line 6 is bad (province 99); line 7's ID has a wrong check
# character (kept, flagged). The name column is ignored.
cat >"$T/reg.csv" <<'EOF'
msisdn,imsi,name,id_number,province,status,verified,outlet,registered_at
8613800000001,460001000000001,Zhang San,330106199003071236,33,active,1,OUT-33-0001,2024-05-01T10:22:00Z
+8613800000002,460001000000002,Zhang San,330106199003071236,33,suspended,1,OUT-33-0002,2024-05-02
13800000003,460001000000003,Zhang San,330106900307123,44,active,yes,OUT-44-0001,2023-01-01
8613900000004,460001000000004,Li Si,440305198511224564,44,active,1,OUT-44-0002,2022-02-02
8613900000005,460001000000005,Bad Row,110101197001010016,99,active,1,OUT-99-0001,2022-02-02
8613900000006,460001000000006,Wang Wu,110101197001010017,11,active,1,OUT-11-0001,2021-03-03
EOF
printf 'prefix,operator,province\n86138,CMCC,\n86139,CMCC,\n' >"$T/ranges.csv"

# ---- import: the key ----
expect 2 "--key-file" -- "$CW" registry import --db "$T/db" "$T/reg.csv"
[ ! -e "$T/db/data.mdb" ] || fail "import without a key created a store"
expect 1 "holds 15 bytes; 16 to 256" -- "$CW" registry import --db "$T/db" --key-file "$T/short.key" \
    "$T/reg.csv"
expect 1 "nokey: No such file" -- "$CW" registry import --db "$T/db" --key-file "$T/nokey" "$T/reg.csv"
expect 0 "" -- "$CW" registry import --db "$T/db" --key-file "$T/key" "$T/reg.csv" \
    "$T/ranges.csv"
said "reg.csv:1: note: column 'name' is ignored" "the name column"
said "reg.csv:6: province '99'" "a bad row"
said "reg.csv:7: warning: id_number" "an invalid ID number"
said "15-digit IDs converted 1" "a 15-digit ID number"
grep -q "Zhang\|Wang Wu" "$T/db/data.mdb" && fail "a name was stored"
grep -q "330106199003071236\|330106900307123" "$T/db/data.mdb" && fail "an ID number was stored"

# ---- stat ----
expect 0 "" -- "$CW" registry stat --db "$T/db"
grep -q "^cards  *5$" "$T/out" || { cat "$T/out"; fail "stat: not 5 cards"; }
grep -q "^persons  *3 " "$T/out" || { cat "$T/out"; fail "stat: not 3 persons"; }
grep -q "^ranges  *2$" "$T/out" || { cat "$T/out"; fail "stat: not 2 ranges"; }
expect 0 "" -- "$CW" registry stat --db "$T/db" --json
want "(5, 5, 3, 2, 1)" 'j["cards"], j["imsis"], j["persons"], j["ranges"], len(j["history"])' \
    "stat --json"
want True '("import: 8 rows, 5 cards, 0 deleted, 0 outlets, 2 ranges, 0 cells, 1 bad rows, 1 invalid IDs;"
    " from" in j["history"][0])' "stat --json: the history line"

# ---- get: four ways to the same person ----
A="8613800000001,8613800000002,8613800000003"
expect 0 "" -- "$CW" registry get --db "$T/db" +8613800000002
want "(True, 'suspended', True)" 'j["found"], j["card"]["status"], j["card"]["home"]' \
    "get by MSISDN"
want "$A" "$CARDS" "get by MSISDN: the person's cards"
want "('330106********1236', 3)" 'j["person"]["id_masked"], j["person"]["cards_total"]' \
    "get by MSISDN: the person"
pseudo=$(json "$T/out" 'j["person"]["pseudonym"]')
[[ "$pseudo" =~ ^[0-9a-f]{64}$ ]] || fail "pseudonym '$pseudo'"

expect 0 "" -- "$CW" registry get --db "$T/db" 460001000000003
want "('8613800000003', '$pseudo', True)" \
    'j["card"]["msisdn"], j["person"]["pseudonym"], j["person"].get("id_converted")' "get by IMSI"
want "$A" "$CARDS" "get by IMSI: the person's cards"

expect 0 "" -- "$CW" registry get --db "$T/db" "$pseudo"
want "$A" "$CARDS" "get by pseudonym"

expect 0 "" -- "$CW" registry get --db "$T/db" --id-number 330106199003071236 --key-file "$T/key"
want "$A" "$CARDS" "get by ID number"
expect 0 "" -- "$CW" registry get --db "$T/db" --id-number 330106900307123 --key-file "$T/key"
want "$A" "$CARDS" "get by the 15-digit ID number"
expect 1 "not the one" -- "$CW" registry get --db "$T/db" --id-number 330106199003071236 \
    --key-file "$T/key2"
[ ! -s "$T/out" ] || fail "get with another key printed $(cat "$T/out")"
expect 1 "not the one" -- "$CW" registry get --db "$T/db" --id-number 330106199003071236 --demo
expect 2 "needs the registry's key" -- "$CW" registry get --db "$T/db" \
    --id-number 330106199003071236

# the bad row was skipped, the flagged one kept as not verified; an unknown home number
expect 1 "no registration record for 8613900000005 (a home number" -- \
    "$CW" registry get --db "$T/db" 8613900000005
want "(False, True)" 'j["found"], j["card"]["home"]' "get of a skipped row"
expect 0 "" -- "$CW" registry get --db "$T/db" 8613900000006
want "(False, False)" 'j["card"]["verified"], j["person"]["id_valid"]' "a card on an invalid ID"
expect 2 "not an MSISDN" -- "$CW" registry get --db "$T/db" not-a-number

# ---- update ----
cat >"$T/delta.csv" <<'EOF'
op,msisdn,imsi,id_number,province,status,verified,outlet,registered_at
upsert,8613800000002,460001000000002,330106199003071236,33,cancelled,1,OUT-33-0009,2024-05-02
upsert,8613700000007,460001000000007,440305198511224564,44,active,1,OUT-44-0003,2025-01-01
delete,8613800000003,,,,,,,
EOF
expect 0 "" -- "$CW" registry update --db "$T/db" --key-file "$T/key" "$T/delta.csv"
said "cards upserted 2, deleted 1" "the update's summary"
expect 0 "" -- "$CW" registry get --db "$T/db" 8613800000002
want "('cancelled', 'OUT-33-0009', 1)" \
    'j["card"]["status"], j["card"]["outlet"], j["person"]["cards_total"]' "an upserted card"
want "8613800000001,8613800000002" "$CARDS" "after the update: A's cards"
expect 1 "no registration record" -- "$CW" registry get --db "$T/db" 8613800000003
expect 1 "no registration record" -- "$CW" registry get --db "$T/db" 460001000000003
expect 0 "" -- "$CW" registry get --db "$T/db" 460001000000007
want "8613700000007,8613900000004" "$CARDS" "after the update: B's cards"
before=$(stat_key "$T/db")
cp "$T/stat.json" "$T/out"
want "(5, 5, 3, 2)" 'j["cards"], j["imsis"], j["persons"], len(j["history"])' \
    "stat after the update"

# more bad rows than --max-errors: abandoned, nothing changed (the good first row included)
printf '%s\n' op,msisdn delete,8613900000006 delete,8613800000099 delete,8613800000098 \
    delete,abc >"$T/bad_delta.csv"
expect 1 "more than 2 bad rows" -- "$CW" registry update --db "$T/db" --key-file "$T/key" \
    --max-errors 2 "$T/bad_delta.csv"
said "bad_delta.csv:3: no card 8613800000099 to delete" "a bad delta row"
said "bad_delta.csv:5: more than 2 bad rows: abandoned (--max-errors); the registry is unchanged" \
    "an abandoned update"
[ "$(stat_key "$T/db")" = "$before" ] || fail "abandoned update changed stat"
expect 0 "" -- "$CW" registry get --db "$T/db" 8613900000006
# another key
expect 1 "not the one" -- "$CW" registry update --db "$T/db" --key-file "$T/key2" "$T/bad_delta.csv"
expect 2 "--key-file" -- "$CW" registry update --db "$T/db" "$T/delta.csv"
[ "$(stat_key "$T/db")" = "$before" ] || fail "refused update changed stat"

# ---- a full disk: the writes fail past a file size limit ----
"$CW" synth --seed 11 --cards 300000 --packets 1000 --out "$T/big" 2>/dev/null || fail "synth"
big_card=$(sed -n 2p "$T/big/registry.csv" | cut -d, -f1)
full_import() { # LIMIT_KIB [options]: an import of the big file under ulimit -f
    local lim=$1
    shift
    (
        ulimit -f "$lim"
        trap '' XFSZ
        exec "$CW" registry import --db "$T/db" --key-file "$T/key" --warnings 0 "$@" \
            "$T/big/registry.csv"
    )
}
# at the commit (the store grows to ~70 MB)
expect 1 "commit failed.*the registry is unchanged" -- full_import 8192
[ "$(stat_key "$T/db")" = "$before" ] || fail "full disk at commit changed stat"
expect 0 "" -- "$CW" registry get --db "$T/db" 8613800000001
want "8613800000001,8613800000002" "$CARDS" "after a full disk: A's cards"
expect 1 "no registration record" -- "$CW" registry get --db "$T/db" "$big_card"
# while the sort spills its runs (1 MiB of sort memory: runs of about 1 MiB)
expect 1 "sorting the rows: .*File too large; the registry is unchanged" -- \
    full_import 512 --sort-mem 1
[ "$(stat_key "$T/db")" = "$before" ] || fail "full disk while sorting changed stat"
expect 0 "" -- "$CW" registry get --db "$T/db" 460001000000007
# the same import without the limit works: the store was usable after both failures
expect 0 "" -- full_import unlimited
expect 0 "" -- "$CW" registry get --db "$T/db" "$big_card"
expect 1 "no registration record" -- "$CW" registry get --db "$T/db" 8613800000001

# ---- a full map: --map-max 2 on a fresh store ----
expect 1 "map is full at 2 MiB (--map-max); nothing was written" -- "$CW" registry import \
    --db "$T/db_map" --demo --map-max 2 --warnings 0 "$T/big/registry.csv"
expect 1 "" -- "$CW" registry get --db "$T/db_map" "$big_card"
grep -q '"found":true' "$T/out" && fail "full map: $big_card found"
# nothing imported: the store says it is empty and how to fill it
expect 1 "the registry is empty (no import has completed here)" -- "$CW" registry stat \
    --db "$T/db_map"

echo "PASS: registry import, stat, get (4 ways), update, and failed writes leave it unchanged"
