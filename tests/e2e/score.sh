#!/usr/bin/env bash
# The default ruleset against the generator's ground truth: on the default synth data set, for
# several seeds, every category reaches precision >= 0.95 and recall >= 0.95 and at most 1 in
# 1,000 normal cards is alerted; then the same on a population made with other parameters
# (larger, other rates, another protocol mix) than the one the rules were tuned on.
#   score.sh CARDWATCH SRCDIR [CORPUSDIR]
# CW_SCORE_CARDS / CW_SCORE_PACKETS / CW_SCORE_SEEDS change the size and the seeds.
set -euo pipefail
CW=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
CARDS=${CW_SCORE_CARDS:-50000}
PACKETS=${CW_SCORE_PACKETS:-500000}
SEEDS=${CW_SCORE_SEEDS:-"1 2 3"}

fail() { echo "FAIL: $*"; exit 1; }

# run NAME CARDS SYNTH-OPTIONS...: synth, import, analyze, score with the targets
run() {
    local name=$1 cards=$2
    shift 2
    local d="$T/$name"
    "$CW" synth --cards "$cards" --out "$d/data" "$@" 2>"$d.synth.log" ||
        { cat "$d.synth.log"; fail "$name: synth failed"; }
    "$CW" registry import --demo --db "$d/db" "$d/data/registry.csv" "$d/data/outlets.csv" \
        "$d/data/ranges.csv" "$d/data/cells.csv" 2>"$d.import.log" || { cat "$d.import.log"; fail "$name: import"; }
    "$CW" analyze --quiet --db "$d/db" --rules "$SRC/rules" --alerts "$d/alerts.jsonl" \
        "$d/data/traffic.pcap" 2>"$d.analyze.log" || { cat "$d.analyze.log"; fail "$name: analyze"; }
    local rc=0
    "$CW" score --truth "$d/data/truth.csv" --alerts "$d/alerts.jsonl" --cards "$cards" \
        --min-precision 0.95 --min-recall 0.95 --max-normal-rate 0.001 >"$d.score.txt" \
        2>"$d.score.err" || rc=$?
    echo "== $name: $cards cards, synth $*"
    cat "$d.score.txt" "$d.score.err"
    [ "$rc" -eq 0 ] || fail "$name: the targets were not met (score exit $rc)"
    # every category the rules know was planted and scored
    for c in black_card over_quota spam fraud_content simbox imei_hopping agent_batch wangiri; do
        grep -q "^$c " "$d.score.txt" || fail "$name: no $c card planted or alerted"
        read -r _ tp _ < <(grep "^$c " "$d.score.txt")
        [ "$tp" -gt 0 ] || fail "$name: no $c card found"
    done
}

for seed in $SEEDS; do
    run "seed$seed" "$CARDS" --seed "$seed" --packets "$PACKETS"
done
# Another population: twice the cards, more packets per card, other rates of fraud and of the
# people who tempt false alarms, and no SMPP or RADIUS.
run other $((CARDS * 2)) --seed 101 --packets $((PACKETS * 3)) --black-rate 0.01 \
    --over-quota-rate 0.02 --spam-rate 0.002 --fraud-content-rate 0.0005 --simbox-rate 0.004 \
    --imei-hopping-rate 0.0005 --agent-batch-rate 0.002 --wangiri-rate 0.002 \
    --newyear-rate 0.006 --family-device-rate 0.004 --phone-change-rate 0.004 \
    --caller-rate 0.004 --agent-far-rate 0.001 --traveller-rate 0.006 \
    --new-traveller-rate 0.001 --protocols sip,map,diameter,gtp
echo "PASS: every category at precision and recall >= 0.95, <= 1 in 1000 normal cards alerted"
