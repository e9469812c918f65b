#!/usr/bin/env bash
# Live capture end to end: synth traffic replayed by tcpreplay over a veth pair inside a network
# namespace of its own, into `cardwatch analyze -i` (2 workers sharing the interface through a
# fanout group, root given up for nobody once capturing). It must see every packet, drop none,
# report its counters periodically, stop cleanly on SIGINT, and raise the same (rule, card)
# alerts as the file run of the same capture.
# Needs root, `ip netns` (iproute2), tcpreplay and python3; skipped (77) without them.
set -euo pipefail
CW=$1
SRC=$2

skip() {
    echo "SKIP: $*"
    exit 77
}
fail() {
    echo "FAIL: $*"
    exit 1
}
[ "$(id -u)" -eq 0 ] || skip "live capture needs root (network namespace, veth pair, capture)"
command -v ip >/dev/null || skip "iproute2 (ip) is not installed"
command -v tcpreplay >/dev/null || skip "tcpreplay is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
NOBODY=$(id -u nobody 2>/dev/null) || skip "there is no user 'nobody' to drop privileges to"

NS=cwlive$$
T=$(mktemp -d)
PID=
cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill -KILL "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT
ip netns add "$NS" 2>"$T/netns.err" || skip "cannot create a network namespace: $(cat "$T/netns.err")"

# ---- the data, the registry, and the file run to compare with ----
"$CW" synth --seed 7 --cards 3000 --packets 20000 --out "$T/d" 2>"$T/synth.log"
"$CW" registry import --demo --db "$T/db" "$T/d/registry.csv" "$T/d/outlets.csv" \
    "$T/d/ranges.csv" "$T/d/cells.csv" 2>"$T/import.log"
"$CW" analyze --db "$T/db" --rules "$SRC/rules/default.rules" --alerts "$T/file.jsonl" \
    "$T/d/traffic.pcap" 2>"$T/file.err"
# after the drop, nobody must still reach the registry (LMDB's lock file is written by readers)
chmod 755 "$T"
chmod -R a+rwX "$T/db"

# ---- a veth pair, both ends in the namespace; no IPv6 (router solicitations, DAD) and no
# address, so the only traffic on it is the replay. MTU 9000: synth frames may exceed 1500. ----
ip -n "$NS" link add veth0 type veth peer name veth1
for dev in veth0 veth1; do
    ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1" 2>/dev/null || true
    ip -n "$NS" link set "$dev" mtu 9000 up
done

# ---- the live run ----
ip netns exec "$NS" "$CW" analyze -i veth1 --threads 2 --user nobody --stats 1 --db "$T/db" \
    --rules "$SRC/rules/default.rules" --alerts "$T/live.jsonl" 2>"$T/live.err" &
PID=$!
for _ in $(seq 100); do
    grep -q "capturing on veth1" "$T/live.err" 2>/dev/null && break
    kill -0 "$PID" 2>/dev/null || { cat "$T/live.err"; fail "analyze -i exited before capturing"; }
    sleep 0.1
done
grep -q "capturing on veth1" "$T/live.err" ||
    { cat "$T/live.err"; fail "analyze -i did not say it was capturing on veth1 within 10 s"; }
grep "capturing on veth1" "$T/live.err"
[ "$(cat "/proc/$PID/comm")" = cardwatch ] || fail "pid $PID is $(cat "/proc/$PID/comm"), not cardwatch"
# (it may say so just before giving up root: allow it 3 s)
for _ in $(seq 30); do
    read -r _ ruid euid suid fsuid < <(grep '^Uid:' "/proc/$PID/status")
    [ "$ruid $euid $suid $fsuid" = "$NOBODY $NOBODY $NOBODY $NOBODY" ] && break
    sleep 0.1
done
[ "$ruid $euid $suid $fsuid" = "$NOBODY $NOBODY $NOBODY $NOBODY" ] ||
    fail "analyze runs as uid $ruid/$euid/$suid/$fsuid, not nobody ($NOBODY)"
echo "analyze (pid $PID) runs as nobody"

# --pps paces the replay evenly (tcpreplay would otherwise keep the capture's own timing)
ip netns exec "$NS" tcpreplay -q -i veth0 --pps 20000 "$T/d/traffic.pcap" >"$T/replay.log" 2>&1 ||
    { cat "$T/replay.log"; fail "tcpreplay failed"; }
grep -Eq 'Successful packets: +20000' "$T/replay.log" && grep -Eq 'Failed packets: +0$' "$T/replay.log" ||
    { cat "$T/replay.log"; fail "tcpreplay did not send all 20000 packets"; }
sleep 1
kill -INT "$PID"
for _ in $(seq 300); do
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$PID" 2>/dev/null && { cat "$T/live.err"; fail "analyze -i did not stop within 30 s of SIGINT"; }
status=0
wait "$PID" || status=$?
PID=
cat "$T/live.err"
[ "$status" -eq 0 ] || fail "analyze -i exited with status $status after SIGINT"

# ---- what it saw ----
# Captures in a fanout group get IPv4 datagrams reassembled by the kernel
# (PACKET_FANOUT_FLAG_DEFRAG): then the packet count is the capture's, less its IPv4 fragments,
# plus the datagrams they make up.
read -r total defragged < <(python3 - "$T/d/traffic.pcap" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
magic = data[:4]
end = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
link = struct.unpack(end + "I", data[20:24])[0]
assert link == 1, "expected an Ethernet capture"
off, n, frags, grams = 24, 0, 0, set()
while off + 16 <= len(data):
    caplen = struct.unpack(end + "I", data[off + 8:off + 12])[0]
    p = data[off + 16:off + 16 + caplen]
    off += 16 + caplen
    n += 1
    e, et = 14, p[12:14]
    while et in (b"\x81\x00", b"\x88\xa8"):
        et, e = p[e + 2:e + 4], e + 4
    if et == b"\x08\x00" and len(p) >= e + 20:
        if struct.unpack(">H", p[e + 6:e + 8])[0] & 0x3fff:
            frags += 1
            grams.add((p[e + 12:e + 20], p[e + 4:e + 6], p[e + 9]))
print(n, n - frags + len(grams))
PY
)
summary=$(sed -n '/^---- cardwatch summary/,$p' "$T/live.err")
[ -n "$summary" ] || fail "no final summary on stderr"
# the stats lines (periodic, and a last one on stopping) come before the summary and carry the
# kernel's counters, e.g. "packets 19,908 (7566/s), kernel received 19,908, drops 0, ..."
stats=$(sed '/^---- cardwatch summary/,$d' "$T/live.err" | grep 'packets' | grep 'drops' || true)
[ -n "$stats" ] || fail "no periodic stats line (with 'packets' and 'drops') appeared"
last=$(tail -n1 <<<"$stats")
count() { # the number after WORDS in the text on stdin (thousands separators removed); -1: none
    { grep -Eo "$1 +[0-9][0-9,]*" || true; } | tail -n1 | grep -Eo '[0-9][0-9,]*$' | tr -d , |
        grep . || echo -1
}
drops=$(count 'drops' <<<"$last")
[ "$drops" -ge 0 ] || fail "the last stats line has no drop count: $last"
[ "$drops" -eq 0 ] || fail "the capture dropped $drops packets: $last"
got=$(count '^packets' <<<"$summary")
[ "$got" -ge 0 ] || fail "the summary has no packets line"
kernel=$(count 'kernel received' <<<"$last")
if [ "$got" -eq "$total" ]; then
    echo "live: all $total packets received"
elif [ "$got" -eq "$defragged" ]; then
    echo "live: all $total packets received ($defragged after the kernel's IPv4 reassembly)"
else
    fail "live run received $got packets, not $total ($defragged after IPv4 reassembly)"
fi
[ "$kernel" -lt 0 ] || [ "$kernel" -eq "$got" ] ||
    fail "the kernel counted $kernel packets, the analyzer $got: $last"

# ---- the same alerts ----
pairs() {
    python3 - "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    a = json.loads(line)
    print(a["rule"], a.get("card", {}).get("msisdn") or a["key"]["value"])
PY
}
pairs "$T/file.jsonl" | sort -u >"$T/file.pairs"
pairs "$T/live.jsonl" | sort -u >"$T/live.pairs"
[ -s "$T/file.pairs" ] || fail "the file run raised no alert"
[ -s "$T/live.pairs" ] || fail "the live run raised no alert"
if ! cmp -s "$T/file.pairs" "$T/live.pairs"; then
    diff "$T/file.pairs" "$T/live.pairs" | head -20
    fail "the live run's (rule, card) alerts differ from the file run's"
fi
echo "PASS: live capture on veth1 as nobody: $(wc -l <"$T/live.pairs") (rule, card) alerts, the same as from the file"
