#!/usr/bin/env bash
# Bad input at the command line: a clear error naming the file (and frame), never a crash;
# what can be read is still read. Also: usage errors exit 2, bad rules give file:line:col.
set -uo pipefail
CW=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# expect STATUS PATTERN -- command...: exit status and a message on stderr
expect() {
    local want=$1 pat=$2
    shift 3
    "$@" >"$T/out" 2>"$T/err"
    local got=$?
    [ "$got" -eq "$want" ] || { cat "$T/err"; fail "'$*' exited $got, expected $want"; }
    grep -q -- "$pat" "$T/err" || { cat "$T/err"; fail "'$*': stderr lacks '$pat'"; }
}

"$CW" synth --seed 3 --cards 200 --packets 300 --out "$T/d" 2>/dev/null || fail "synth"
"$CW" registry import --demo --db "$T/db" "$T/d/registry.csv" "$T/d/ranges.csv" 2>/dev/null ||
    fail "import"
full=$("$CW" decode --quiet "$T/d/traffic.pcap" | wc -l)
[ "$full" -gt 0 ] || fail "no events from the good capture"

# a capture cut in the middle of a record: the packets before the cut are decoded
size=$(stat -c %s "$T/d/traffic.pcap")
head -c $((size - 100)) "$T/d/traffic.pcap" >"$T/cut.pcap"
expect 1 "cut.pcap: after frame 299" -- "$CW" decode --quiet "$T/cut.pcap"
got=$(wc -l <"$T/out")
[ "$got" -ge $((full - 1)) ] && [ "$got" -le "$full" ] || fail "cut capture gave $got of $full events"

# not a capture, an empty file, a missing file, a directory
echo "msisdn,imsi" >"$T/text.pcap"
expect 1 "text.pcap: not a pcap or pcapng" -- "$CW" decode --quiet "$T/text.pcap"
: >"$T/empty.pcap"
expect 1 "empty.pcap: empty file" -- "$CW" decode --quiet "$T/empty.pcap"
expect 1 "missing.pcap: No such file" -- "$CW" decode --quiet "$T/missing.pcap"
# a directory stands for the captures in it; one with none is an error naming it
mkdir "$T/nocap"
expect 1 "nocap: no capture files" -- "$CW" decode --quiet "$T/nocap"
expect 1 "nocap: no capture files" -- "$CW" analyze --db "$T/nodb" --quiet "$T/nocap"
# one bad file among good ones: the good ones are still decoded
expect 1 "empty.pcap" -- "$CW" decode --quiet "$T/empty.pcap" "$T/d/traffic.pcap"
[ "$(wc -l <"$T/out")" -eq "$full" ] || fail "good file after a bad one not decoded"

# analyze refuses to start on unreadable inputs, a missing registry, bad rules
expect 1 "empty.pcap" -- "$CW" analyze --db "$T/db" --rules "$SRC/rules" "$T/empty.pcap"
expect 1 "no registry here" -- "$CW" analyze --db "$T/nodb" --rules "$SRC/rules" \
    "$T/d/traffic.pcap"
printf 'rule x {\n    category black_card\n    window soon\n}\n' >"$T/bad.rules"
expect 1 "bad.rules:3:12: error" -- "$CW" analyze --db "$T/db" --rules "$T/bad.rules" \
    "$T/d/traffic.pcap"
expect 1 "bad.rules:3:12: error" -- "$CW" rules check "$T/bad.rules"
"$CW" rules check "$SRC/rules" >"$T/out" 2>&1 || fail "default rules do not check"
grep -q "black_card_active" "$T/out" || fail "rules check does not list the rule"

# a registry file with bad rows: reported with file:line, the rest imported
printf 'msisdn,imsi,verified\n8613800000001,460000000000001,1\nabc,,1\n' >"$T/reg.csv"
expect 0 "reg.csv:3: msisdn 'abc'" -- "$CW" registry import --demo --db "$T/db2" "$T/reg.csv"
expect 1 "reg.csv:3" -- "$CW" registry import --demo --db "$T/db3" --max-errors 0 "$T/reg.csv"

# usage errors
expect 2 "required" -- "$CW" analyze "$T/d/traffic.pcap"
expect 2 "no input file" -- "$CW" decode
expect 2 "unknown command" -- "$CW" frobnicate
"$CW" --help | grep -q "analyze" || fail "--help does not list commands"
for c in synth registry decode analyze rules score; do
    "$CW" "$c" --help >"$T/out" 2>&1 || fail "$c --help exits non-zero"
    grep -q "usage: cardwatch" "$T/out" || fail "$c --help has no usage line"
done
echo "PASS: bad input reported by file and frame, good input still read"
