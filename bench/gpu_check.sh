#!/bin/bash
# gpu_check.sh: everything vkcalib should check on a real NVIDIA GPU (a lent
# H100/H200 machine), in one go, in about 8 minutes at most. It installs
# nothing and reaches no network.
#
# HOW THE LEAD INVOKES IT
#   Here, in /work/main, once per session (the machine has no glslangValidator,
#   volk or Vulkan headers, so the binaries are built here and carried; /build*/
#   and /.gl/ are already git-ignored):
#     cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release && cmake --build build-gpu -j2
#     mkdir -p .gl /tmp/amd64/partial
#     o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
#     apt-get $o update && (cd .gl && apt-get $o download libvulkan1 vulkan-validationlayers)
#   (vulkan-validationlayers is optional, 4.5 MB: without it the GPU tests cannot
#   run there, because tests/testutil_gpu.c always asks for validation.)
#   Then ONE device call, carrying the loader and the build:
#     run(command="for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig; bash bench/gpu_check.sh",
#         carry=[".gl", "build-gpu"], timeout_s=540)
#   and give_back afterwards. The whole log is also written to $OUT/gpu_check.log.
#   The histogram sweep alone (step 2b, about a minute with the machine's start):
#     run(command="for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig; GPU_CHECK_STEPS='2 2b' bash bench/gpu_check.sh",
#         carry=[".gl", "build-gpu"], timeout_s=300)
#
# What it does, each step with a time limit inside a global budget:
#   0. environment: GPU, Vulkan loader, ICD file (sets VK_DRIVER_FILES to the
#      driver's nvidia_icd.json when the loader would not find it), validation layer
#   1. build: a fresh Release build in /tmp when cmake, a C compiler,
#      glslangValidator, volk.c, the Vulkan headers and zlib.h all exist there;
#      otherwise (the usual case) the carried build-gpu/ is used as is
#   2. vkcalib devices
#   2b. bench/gpu_sweep on the GPU (about 30 s there; at most 200 s): every
#      histogram variant and range tile loop checked bit for bit, then timed
#      against a read-only stream and vkCmdCopyBuffer on five data sets and
#      four grid sizes; prints the winner and its row for the default table
#      (src/vk/devices.c); the full table also in $OUT/gpu_sweep.csv
#   3. every test_gpu_* binary with VKCALIB_TEST_DEVICE=<GPU> (VKCALIB_VALIDATE=1
#      when the validation layer is there, else 0; which one is printed)
#   4. bench_histogram on the GPU (the CPU backend and reference run beside it),
#      then bench_buffer (host staging, host import, device buffer, recorded),
#      again with VKCALIB_IMPORT_DMA=1 when time allows (host chunks, two in
#      flight: imported chunks copied by the device instead of read over the bus)
#   5. bench_search on the GPU (+ CPU backend), with numpy's loop on the same
#      histograms when time allows (bench/run_search_bench.sh)
#   6. calibrate examples/calib on the GPU and with --cpu: JSON and TensorRT
#      cache outputs must be byte-identical
#   7. bench_calibrate.sh SMALL=1 (100 MB end to end) when time allows
#
# Environment: BUILD (carried build dir, default build-gpu), GPU_DEVICE (device
# selector, default NVIDIA), GPU_CHECK_BUDGET (seconds, default 470),
# HIST_N (elements for bench_histogram, default 67108864), RUNS (default 5),
# GPU_CHECK_FRESH=0 (never build, use the carried build), GPU_CHECK_STEPS
# (the steps to run after 0 and 1, default "2 2b 3 4 4b 5 6 7"; "2b" alone is
# the sweep in about a minute of device time), SWEEP_ARGS (more gpu_sweep
# options: "--smoke" to try the script on lavapipe with GPU_DEVICE=llvmpipe).
# Exit status: 0 when every step that ran passed.
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

main() {
    set -u
    local start=$SECONDS budget=${GPU_CHECK_BUDGET:-470}
    local gpu=${GPU_DEVICE:-NVIDIA} runs=${RUNS:-5}
    local summary=() failed=0
    left() { echo $((budget - (SECONDS - start))); }
    note() { summary+=("$1"); echo "-- $1"; }
    fail() { summary+=("FAIL $1"); failed=1; echo "-- FAIL $1"; }
    # step_timeout WANT: WANT seconds, or what the budget has left minus a reserve.
    step_timeout() {
        local l; l=$(( $(left) - 20 ))
        [ "$l" -lt 10 ] && l=10
        [ "$l" -lt "$1" ] && echo "$l" || echo "$1"
    }
    section() { echo; echo "======== $1 ($(left) s of the budget left)"; }
    local steps=" ${GPU_CHECK_STEPS:-2 2b 3 4 4b 5 6 7} "
    want() { [[ "$steps" == *" $1 "* ]]; }

    section "0. environment"
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); host: $(uname -srm); cores: $(nproc)"
    command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
    if ! ldconfig -p | grep -q 'libvulkan.so.1'; then
        if ls "$root"/.gl/*.deb > /dev/null 2>&1; then
            echo "libvulkan.so.1 missing: unpacking the carried .gl/*.deb (local files, no network)"
            for f in "$root"/.gl/*.deb; do dpkg -x "$f" /; done
            ldconfig
        fi
    fi
    ldconfig -p | grep 'libvulkan.so.1' || echo "no Vulkan loader (libvulkan.so.1): carry .gl (see the header)"
    local icd=""
    for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
        for f in "$d"/nvidia*.json; do [ -f "$f" ] && icd=$f && break 2; done
    done
    if [ -z "$icd" ] && [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] &&
        [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
        export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
        export VK_ICD_FILENAMES=$VK_DRIVER_FILES
        icd="$VK_DRIVER_FILES (set VK_DRIVER_FILES)"
    fi
    echo "NVIDIA ICD: ${icd:-${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-none found}}}"
    local val=0 layer=""
    local lp="${VK_LAYER_PATH:-}:${VK_ADD_LAYER_PATH:-}"
    for d in ${lp//:/ } /usr/share/vulkan/explicit_layer.d \
        /etc/vulkan/explicit_layer.d /usr/local/share/vulkan/explicit_layer.d; do
        [ -f "$d/VkLayer_khronos_validation.json" ] && layer="$d/VkLayer_khronos_validation.json" && val=1 && break
    done
    echo "validation layer: ${layer:-absent} -> VKCALIB_VALIDATE=$val for the tests"

    section "1. build"
    local build=""
    local carried=${BUILD:-$root/build-gpu}
    if [ "${GPU_CHECK_FRESH:-1}" = 1 ] && command -v cmake > /dev/null && command -v cc > /dev/null && command -v glslangValidator > /dev/null &&
        [ -f /usr/include/volk.c ] && [ -f /usr/include/vulkan/vulkan_core.h ] && [ -f /usr/include/zlib.h ]; then
        local fresh=/tmp/vkcalib-gpu-build
        rm -rf "$fresh"
        echo "toolchain complete: fresh Release build in $fresh"
        if timeout "$(step_timeout 200)" bash -c "cmake -S '$root' -B '$fresh' -DCMAKE_BUILD_TYPE=Release > '$fresh.log' 2>&1 &&
            cmake --build '$fresh' -j$(nproc) >> '$fresh.log' 2>&1"; then
            build=$fresh
            note "build: fresh Release build"
        else
            tail -20 "$fresh.log"
            echo "fresh build failed; falling back to the carried build"
        fi
    else
        local missing=""
        for t in cmake cc glslangValidator; do command -v $t > /dev/null || missing="$missing $t"; done
        for f in /usr/include/volk.c /usr/include/vulkan/vulkan_core.h /usr/include/zlib.h; do
            [ -f "$f" ] || missing="$missing $f"
        done
        [ "${GPU_CHECK_FRESH:-1}" = 1 ] || missing="$missing (GPU_CHECK_FRESH=0)"
        echo "no fresh build; missing:${missing}; using the carried build"
    fi
    if [ -z "$build" ]; then
        if [ -x "$carried/vkcalib" ]; then
            build=$carried
            note "build: carried $(basename "$carried") ($(grep -m1 '^CMAKE_BUILD_TYPE' "$carried/CMakeCache.txt" 2>/dev/null))"
        else
            fail "build: no fresh build possible and no carried build at $carried (carry build-gpu)"
            return 1
        fi
    fi
    local vk="$build/vkcalib"
    local py="" p
    for p in python3 /usr/bin/python3; do "$p" -c 'import numpy' 2>/dev/null && py=$p && break; done

    if want 2; then
    section "2. vkcalib devices"
    timeout 30 "$vk" devices || fail "vkcalib devices"
    if timeout 30 "$vk" devices 2>/dev/null | grep -qi -- "$gpu"; then
        note "device '$gpu' found"
    else
        fail "no Vulkan device matches '$gpu': the GPU steps below will fail (see ICD and loader above)"
    fi
    fi

    if want 2b; then
    section "2b. gpu_sweep on '$gpu': histogram variants, checked then timed (VKCALIB_VALIDATE=0: timing)"
    local csv=/tmp/gpu_sweep.csv
    [ -n "${OUT:-}" ] && [ -d "${OUT:-}" ] && csv=$OUT/gpu_sweep.csv
    VKCALIB_VALIDATE=0 timeout "$(step_timeout 200)" "$build/bench/gpu_sweep" --device "$gpu" --runs "$runs" \
        --budget 150 --csv "$csv" ${SWEEP_ARGS:-} && note "gpu_sweep ran; every variant matched the oracle and base ($csv)" ||
        fail "gpu_sweep (exit $?)"
    fi

    if want 3; then
    section "3. GPU tests on '$gpu' (VKCALIB_VALIDATE=$val)"
    local t
    for t in "$build"/tests/test_gpu_*; do
        [ -x "$t" ] || continue
        local name; name=$(basename "$t")
        echo "--- $name"
        VKCALIB_TEST_DEVICE=$gpu VKCALIB_VALIDATE=$val timeout "$(step_timeout 180)" "$t" > "/tmp/$name.log" 2>&1
        local rc=$?
        tail -15 "/tmp/$name.log"
        if [ $rc -eq 0 ]; then note "$name passed"
        elif [ $val = 0 ] && grep -q "validation was requested" "/tmp/$name.log"; then
            note "$name NOT RUN: it requests the validation layer, absent here (carry vulkan-validationlayers)"
        else fail "$name (exit $rc)"; fi
    done
    fi

    if want 4; then
    section "4. bench_histogram on '$gpu' (+ CPU backend, reference)"
    timeout "$(step_timeout 150)" "$build/bench/bench_histogram" --device "$gpu" --runs "$runs" \
        --n "${HIST_N:-67108864}" && note "bench_histogram ran; counts matched the reference" ||
        fail "bench_histogram (exit $?)"
    fi

    if want 4b; then
    section "4b. bench_buffer on '$gpu': host staging vs import vs device buffer vs recorded"
    timeout "$(step_timeout 90)" "$build/bench/bench_buffer" --device "$gpu" --reps "$runs" \
        --n "${HIST_N:-67108864}" && note "bench_buffer ran; every path matched the CPU backend" ||
        fail "bench_buffer (exit $?)"
    if [ "$(left)" -gt 150 ]; then
        echo "--- the same with VKCALIB_IMPORT_DMA=1 (imported chunks copied to device memory by the device)"
        VKCALIB_IMPORT_DMA=1 timeout "$(step_timeout 90)" "$build/bench/bench_buffer" --device "$gpu" --reps "$runs" \
            --n "${HIST_N:-67108864}" && note "bench_buffer, VKCALIB_IMPORT_DMA=1, ran" ||
            fail "bench_buffer VKCALIB_IMPORT_DMA=1 (exit $?)"
    fi
    fi

    if want 5; then
    section "5. bench_search on '$gpu' (+ CPU backend, reference, numpy)"
    if [ -n "$py" ] && [ "$(left)" -gt 300 ]; then
        DEVICE=$gpu RUNS=$runs PYTHON=$py NUMPY_MAX="2048=2,8192=1" \
            timeout "$(step_timeout 200)" bash "$here/run_search_bench.sh" "$build" &&
            note "bench_search + numpy ran; every path chose the reference's i" || fail "run_search_bench (exit $?)"
    else
        echo "(numpy comparison skipped: ${py:-no python with numpy}, $(left) s left)"
        timeout "$(step_timeout 120)" "$build/bench/bench_search" --device "$gpu" --runs "$runs" &&
            note "bench_search ran; every path chose the reference's i" || fail "bench_search (exit $?)"
    fi
    fi

    if want 6; then
    section "6. calibrate examples/calib: '$gpu' vs --cpu"
    local w=/tmp/vkcalib-gpu-check
    rm -rf "$w" && mkdir -p "$w"
    local ok=1 ext
    for ext in json cache; do
        VKCALIB_VALIDATE=$val timeout 60 "$vk" calibrate "$root/examples/calib" -o "$w/gpu.$ext" --device "$gpu" \
            > "$w/gpu_$ext.out" 2> "$w/gpu_$ext.err" || ok=0
        timeout 60 "$vk" calibrate "$root/examples/calib" -o "$w/cpu.$ext" --cpu > "$w/cpu_$ext.out" 2> "$w/cpu_$ext.err" || ok=0
        tr '\r' '\n' < "$w/gpu_$ext.err" | grep -v '^$' | grep -v 'files,' | tail -4
        if grep -q "validation layer reported" "$w/gpu_$ext.err"; then ok=0; echo "validation messages in the GPU run"; fi
        if cmp "$w/gpu.$ext" "$w/cpu.$ext"; then echo "$ext: byte-identical ($(wc -c < "$w/cpu.$ext") bytes)"
        else ok=0; echo "$ext: OUTPUTS DIFFER"; diff "$w/gpu.$ext" "$w/cpu.$ext" | head -20; fi
    done
    cat "$w/gpu_json.out"
    [ $ok = 1 ] && note "calibrate examples/calib: GPU and CPU outputs byte-identical" ||
        fail "calibrate examples/calib (see above)"
    fi

    if want 7; then
    section "7. bench_calibrate SMALL=1 on '$gpu' vs --cpu"
    if [ -n "$py" ] && [ "$(left)" -gt 90 ]; then
        SMALL=1 DEVICE=$gpu PYTHON=$py WORKDIR=/tmp/vkcalib-bench-calib CLEAN=1 \
            timeout "$(step_timeout 150)" bash "$here/bench_calibrate.sh" "$build" &&
            note "bench_calibrate ran; outputs byte-identical" || fail "bench_calibrate (exit $?)"
    else
        note "bench_calibrate skipped (${py:-no python with numpy}, $(left) s left)"
    fi
    fi

    echo
    echo "======== summary ($((SECONDS - start)) s)"
    printf '%s\n' "${summary[@]}"
    return $failed
}

if [ -n "${OUT:-}" ] && [ -d "$OUT" ]; then
    main "$@" 2>&1 | tee "$OUT/gpu_check.log"
    exit "${PIPESTATUS[0]}"
fi
main "$@"
