#!/usr/bin/env bash
# Quick start 1: build vkcalib and calibrate the bundled example set.
# Runs on the default device: a GPU if there is one, else the CPU backend.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
build/vkcalib devices
build/vkcalib calibrate examples/calib -o build/example.cache "$@"
echo "--- build/example.cache:"
cat build/example.cache
