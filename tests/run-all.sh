#!/bin/sh
# Installs what is needed, then builds and runs every test twice: a normal build with warnings
# as errors, and an ASan+UBSan build (the preloaded shim and test fixtures get UBSan only).
set -eu
cd "$(dirname "$0")/.."
sh tests/install-deps.sh
jobs=$(nproc)

cmake -S . -B build -DIOTRACE_WERROR=ON
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j2 "$@"

cmake -S . -B build-san -DIOTRACE_SANITIZE=ON -DIOTRACE_WERROR=ON
cmake --build build-san -j"$jobs"
# The shim is preloaded ahead of the ASan runtime into sanitized programs: allow that order.
ASAN_OPTIONS=verify_asan_link_order=0 ctest --test-dir build-san --output-on-failure -j2 -LE bench "$@"

# The trace reader under libFuzzer (clang, ASan+UBSan), for a bounded time from the committed corpus.
CC=clang cmake -S . -B build-fuzz -DIOTRACE_FUZZ=ON -DIOTRACE_SANITIZE=ON
cmake --build build-fuzz -j"$jobs" --target fuzz_reader
ctest --test-dir build-fuzz --output-on-failure -L fuzz
