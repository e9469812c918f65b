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

echo "== fuzz targets (libFuzzer, a short run each; scripts/fuzz.sh runs them longer)"
bash scripts/fuzz.sh "${CW_FUZZ_SECONDS:-15}"

echo "== sanitizer build (ASan + UBSan) and tests"
cmake -S . -B build-asan -DCW_WERROR=ON -DCW_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j"$JOBS"
