#!/usr/bin/env bash
# Build every libFuzzer target (tests/fuzz/fuzz_*.c, with ASan + UBSan) and run each for
# SECONDS (default 60) on a scratch copy of its seed corpus (tests/fuzz/corpus_<name>/) and
# dictionary (tests/fuzz/<name>.dict). Stops at the first crash, printing it; the input is
# saved as crash-* in the current directory. Usage: scripts/fuzz.sh [SECONDS] [NAME...]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-60}
shift || true
JOBS=$(nproc 2>/dev/null || echo 2)
CC=clang cmake -S . -B build-fuzz -DCW_FUZZ=ON -DCW_TESTS=OFF -DCW_WERROR=ON \
    -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j"$JOBS" >/dev/null
for fz in build-fuzz/tests/fuzz/fuzz_*; do
    [ -x "$fz" ] || continue
    name=$(basename "$fz")
    if [ $# -gt 0 ] && [[ " $* " != *" ${name#fuzz_} "* ]]; then
        continue
    fi
    seeds="tests/fuzz/corpus_${name#fuzz_}"
    dict="tests/fuzz/${name#fuzz_}.dict"
    work=$(mktemp -d)
    [ -d "$seeds" ] && cp -r "$seeds"/. "$work"/
    echo "-- $name ($SECS s)"
    if ! "$fz" -max_total_time="$SECS" -max_len=4096 \
        $([ -f "$dict" ] && echo "-dict=$dict") "$work" >"$work.log" 2>&1; then
        tail -n 60 "$work.log"
        echo "FAIL: $name found a crash (input saved as crash-* in $(pwd))"
        exit 1
    fi
    tail -n 1 "$work.log"
    rm -rf "$work" "$work.log"
done
