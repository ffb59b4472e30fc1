#!/usr/bin/env bash
# Quick start 2: build and run every test. GPU tests run on lavapipe (Mesa's
# CPU Vulkan driver) with the Khronos validation layer; any validation
# message fails them. Built with MPI (-DVKC_MPI=ON) so that test_cli_mpi runs
# `mpirun -n 2` on this machine, and with the fault-injection hooks
# (-DVKC_TEST_HOOKS=ON) that the write-failure tests need.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh chromium
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVKC_MPI=ON -DVKC_TEST_HOOKS=ON >/dev/null
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"
