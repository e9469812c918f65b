#!/usr/bin/env bash
# The whole test suite: install dependencies, build with warnings as errors, run every test,
# smoke-run every fuzz target, then build and run the whole suite again under ASan + UBSan.
# This is the README's second command, and exactly what .ci/run runs.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)

bash scripts/install-deps.sh

echo "== plain build (-Werror) and tests"
cmake -S . -B build -DCW_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$JOBS"
ctest --test-dir build --output-on-failure -j"$JOBS"

echo "== fuzz targets (libFuzzer, short smoke run each)"
CC=clang cmake -S . -B build-fuzz -DCW_FUZZ=ON -DCW_TESTS=OFF -DCW_WERROR=ON \
    -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j"$JOBS"
for fz in build-fuzz/tests/fuzz/fuzz_*; do
    [ -x "$fz" ] || continue
    name=$(basename "$fz")
    seeds="tests/fuzz/corpus_${name#fuzz_}"
    work=$(mktemp -d)
    [ -d "$seeds" ] && cp -r "$seeds"/. "$work"/
    dict="tests/fuzz/${name#fuzz_}.dict"
    echo "-- $name (${CW_FUZZ_SECONDS:-15} s)"
    if ! "$fz" -max_total_time="${CW_FUZZ_SECONDS:-15}" -max_len=4096 \
        $([ -f "$dict" ] && echo "-dict=$dict") "$work" >"$work.log" 2>&1; then
        tail -n 60 "$work.log"
        echo "FAIL: $name found a crash (input saved as crash-* in $(pwd))"
        exit 1
    fi
    tail -n 1 "$work.log"
    rm -rf "$work" "$work.log"
done

echo "== sanitizer build (ASan + UBSan) and tests"
cmake -S . -B build-asan -DCW_WERROR=ON -DCW_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j"$JOBS"
