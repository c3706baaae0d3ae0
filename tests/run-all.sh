#!/bin/sh
# Installs what is needed, builds everything with warnings as errors, and runs every test.
set -eu
cd "$(dirname "$0")/.."
sh tests/install-deps.sh
cmake -S . -B build -DIOTRACE_WERROR=ON
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j2 "$@"
