#!/usr/bin/env bash
# End to end: analyze reading a capture from standard input (a pipe) reloads its rules on
# SIGHUP between events. A bad rules file is refused (its FILE:LINE:COL error, the old rules
# stay in force); a good changed file is taken (state of the unchanged rule kept, so it gives
# exactly the alerts of a run without reload). Deterministic: the capture is written in parts
# and each part after a SIGHUP is written only once the previous step is seen on stderr.
# Also: with the default state cap the demo data evicts nothing.
set -euo pipefail
CW=$1
SRC=$2
T=$(mktemp -d)
PID=
cleanup() {
    exec 3>&- 2>/dev/null || true
    if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; fi
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$T/err.txt" ] && cat "$T/err.txt"; exit 1; }

"$CW" synth --seed 7 --cards 5000 --packets 30000 --out "$T/d" 2>"$T/synth.log"
"$CW" registry import --demo --db "$T/db" "$T/d/registry.csv" "$T/d/outlets.csv" \
    "$T/d/ranges.csv" 2>"$T/import.log"

# the run without reload (from standard input too, so alerts name the same file "-")
"$CW" analyze --db "$T/db" --rules "$SRC/rules" --alerts "$T/plain.jsonl" - \
    <"$T/d/traffic.pcap" 2>"$T/plain.txt"
grep -q "^rule state .* of 256 MiB cap; 0 windows evicted (0 alerted early)" "$T/plain.txt" ||
    fail "the default cap evicted windows on the demo data: $(grep '^rule state' "$T/plain.txt")"
[ -s "$T/plain.jsonl" ] || fail "the run without reload gave no alert"

# the capture in four parts, cut at packet boundaries (classic pcap)
python3 - "$T/d/traffic.pcap" "$T/part" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:4] == b"\xd4\xc3\xb2\xa1", "not a little-endian classic pcap"
offs, o = [], 24
while o < len(b):
    offs.append(o)
    o += 16 + struct.unpack_from("<I", b, o + 8)[0]
n = len(offs)
cuts = [0, offs[n // 4], offs[n // 2], offs[3 * n // 4], len(b)]
for i in range(4):
    open("%s%d" % (sys.argv[2], i), "wb").write(b[cuts[i]:cuts[i + 1]])
PY

mkdir "$T/rules"
cp "$SRC/rules/default.rules" "$T/rules/"
cp -r "$SRC/rules/lists" "$T/rules/" 2>/dev/null || true
mkfifo "$T/pipe"
"$CW" analyze --db "$T/db" --rules "$T/rules" --alerts "$T/reload.jsonl" - \
    <"$T/pipe" 2>"$T/err.txt" &
PID=$!
exec 3>"$T/pipe"

wait_for() { # wait_for PATTERN WHAT
    for _ in $(seq 200); do
        grep -q "$1" "$T/err.txt" && return 0
        kill -0 "$PID" 2>/dev/null || fail "analyze exited while waiting for $2"
        sleep 0.1
    done
    fail "no '$2' on analyze's stderr within 20 s"
}

cat "$T/part0" >&3
# 1. a bad file: refused, the old rules stay in force
printf 'rule broken {\n    category x\n    window soon\n}\n' >"$T/rules/zz.rules"
kill -HUP "$PID"
cat "$T/part1" >&3
wait_for "rules not reloaded; the old rules stay in force" "the refused reload"
grep -Eq "zz.rules:[0-9]+:[0-9]+: error:" "$T/err.txt" || fail "the refusal lacks FILE:LINE:COL"
grep -q "rules reloaded from" "$T/err.txt" && fail "a bad file was reloaded"

# 2. a good changed file: over_quota_active's window changed, a rule added
rm "$T/rules/zz.rules"
sed -i '/^rule over_quota_active/,/^}/ s/window 1h/window 2h/' \
    "$T/rules/default.rules"
grep -q "window 2h" "$T/rules/default.rules" || fail "the test could not change the rule"
cat >"$T/rules/more.rules" <<'R'
rule any_sms {
    category test
    when kind in [sms_mo]
    group card
    window 1h
    threshold events >= 1
}
R
kill -HUP "$PID"
cat "$T/part2" >&3
wait_for "rules reloaded from" "the reload"
grep -q "rules reloaded from $T/rules: 1 unchanged (state kept), 2 changed or new, 0 removed" \
    "$T/err.txt" || fail "wrong reload line: $(grep 'rules reloaded' "$T/err.txt")"
cat "$T/part3" >&3
exec 3>&-
wait "$PID" || fail "analyze failed (status $?)"
PID=

# the unchanged rule kept its state: exactly the alerts of the run without reload (but for the
# rule file's directory)
only_black() { grep '"rule":"black_card_active"' "$1" | sed 's/"rule_file":"[^"]*"//'; }
cmp -s <(only_black "$T/plain.jsonl") <(only_black "$T/reload.jsonl") ||
    fail "black_card_active's alerts differ from the run without reload"
# the old over_quota_active still alerted (1h windows, closed at the reload), the new one
# and the added rule alerted after it
grep -q '"rule":"over_quota_active".*"window_s":3600,' "$T/reload.jsonl" ||
    fail "the old over_quota_active gave no alert"
grep -q '"rule":"any_sms"' "$T/reload.jsonl" || fail "the added rule gave no alert"
grep -q '^  any_sms ' "$T/err.txt" || fail "the summary does not list the reloaded rules"
grep "rules reloaded\|rules not reloaded" "$T/err.txt"
echo "PASS: bad rules refused with the old rules in force; good rules reloaded, state kept"
