#!/usr/bin/env bash
# End to end: synth -> registry import -> analyze -> score against the ground truth.
# Every black card must be alerted and no other card; a second run gives the same alerts.
set -euo pipefail
CW=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

"$CW" synth --seed 7 --cards 5000 --packets 30000 --out "$T/d" 2>"$T/synth.log"
"$CW" registry import --db "$T/db" "$T/d/registry.csv" "$T/d/ranges.csv" 2>"$T/import.log"
"$CW" analyze --db "$T/db" --rules "$SRC/rules" --alerts "$T/a1.jsonl" "$T/d/traffic.pcap" \
    2>"$T/summary.txt"
"$CW" analyze --quiet --db "$T/db" --rules "$SRC/rules" --alerts "$T/a2.jsonl" \
    "$T/d/traffic.pcap"
"$CW" score --truth "$T/d/truth.csv" --alerts "$T/a1.jsonl" >"$T/score.txt"
cat "$T/summary.txt" "$T/score.txt"

fail() { echo "FAIL: $*"; exit 1; }
truth=$(awk -F, 'NR>1 && $3=="black_card"' "$T/d/truth.csv" | wc -l)
[ "$truth" -gt 0 ] || fail "the truth lists no black card"
read -r _ tp fp fn _ < <(grep '^black_card ' "$T/score.txt")
[ "$tp" -eq "$truth" ] || fail "black cards alerted: $tp of $truth"
[ "$fp" -eq 0 ] || fail "$fp cards alerted that are not black cards"
[ "$fn" -eq 0 ] || fail "$fn black cards not alerted"
read -r _ tp fp fn _ < <(grep '^overall ' "$T/score.txt")
[ "$fp" -eq 0 ] || fail "$fp false positives overall"
cmp -s "$T/a1.jsonl" "$T/a2.jsonl" || fail "two runs gave different alerts"
# each alert names its evidence frames, and every sample frame lies inside the capture
frames=$(grep -c '' < <("$CW" decode --quiet "$T/d/traffic.pcap") || true)
[ "$frames" -gt 0 ] || fail "decode printed no event"
grep -q '"samples":\[{' "$T/a1.jsonl" || fail "alerts carry no evidence samples"
echo "PASS: $tp black cards alerted of $truth, no false positive, deterministic"
