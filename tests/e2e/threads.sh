#!/usr/bin/env bash
# End to end: the alerts of a capture do not depend on the number of worker threads, nor on how
# they were scheduled. The same capture (every protocol, every planted fraud) is analyzed with
# the default ruleset by 1, 2 and 4 threads, and by 4 threads again: the alerts, sorted, are
# byte for byte the same, and so are the summary's counts of packets, events, lookups and
# alerts by rule.
set -euo pipefail
CW=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$CW" synth --seed 11 --cards 5000 --packets 40000 --out "$T/d" 2>"$T/synth.log"
"$CW" registry import --demo --db "$T/db" "$T/d/registry.csv" "$T/d/outlets.csv" \
    "$T/d/ranges.csv" "$T/d/cells.csv" 2>"$T/import.log"
# the counts that must agree: everything but times, rates, memory and the cache's share
counts() {
    grep -E '^(packets|events|messages|registry|alerts|  [a-z_]+ +[0-9]+$)' "$1" |
        sed -E 's/ \([0-9]+ from LMDB[^)]*\)//; s/; state: .*//'
}
for run in 1 2 4 4b; do
    "$CW" analyze --threads "${run%b}" --db "$T/db" --rules "$SRC/rules" \
        --alerts "$T/a$run.jsonl" "$T/d/traffic.pcap" 2>"$T/s$run.txt" ||
        fail "analyze --threads ${run%b} failed: $(tail -3 "$T/s$run.txt")"
    sort "$T/a$run.jsonl" >"$T/sorted$run"
    counts "$T/s$run.txt" >"$T/counts$run"
done
n=$(wc -l <"$T/sorted1")
[ "$n" -ge 100 ] || fail "only $n alerts with one thread: the capture should give more"
rules=$(sed -n 's/.*"rule":"\([a-z_]*\)".*/\1/p' "$T/sorted1" | sort -u | wc -l)
[ "$rules" -ge 8 ] || fail "only $rules rules alerted: the test would not cover the ruleset"
for run in 2 4 4b; do
    cmp -s "$T/sorted1" "$T/sorted$run" || {
        diff "$T/sorted1" "$T/sorted$run" | head -5 | cut -c1-300
        fail "--threads ${run%b} gave other alerts than --threads 1"
    }
    cmp -s "$T/counts1" "$T/counts$run" || {
        diff "$T/counts1" "$T/counts$run"
        fail "--threads ${run%b} gave other counts than --threads 1"
    }
done
grep -q '^registry .*per event' "$T/s4.txt" || fail "the summary lacks the registry's LMDB share"
echo "PASS: $n alerts from $rules rules, the same with 1, 2 and 4 threads and on a second run"
