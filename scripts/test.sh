#!/usr/bin/env bash
# Quick start 2: build and run every test. GPU tests run on lavapipe (Mesa's
# CPU Vulkan driver) with the Khronos validation layer; any validation
# message fails them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh chromium
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"
