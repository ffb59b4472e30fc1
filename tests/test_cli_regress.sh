#!/bin/bash
# Byte-for-byte regression test: every case of tests/regress/cases.txt
# (calibrate in every method, mode and flavor, caches, --histograms,
# --measure, streaming ranges, non-finite values, the state-file round trip,
# explain, report, inspect, histogram, search) is run with the vkcalib under
# test, on the native CPU backend (--cpu) and on the Vulkan device (lavapipe
# in CI, with the validation layer on), and each output is compared byte for
# byte with tests/regress/expected/, which was written by the code before the
# refactor that moved the pipeline into the library (commit 41c0bab).
#   - inputs: examples/calib and tests/regress/data (committed; made by
#     tests/regress/make_data.py);
#   - a case marked `split` in cases.txt had different CPU and GPU outputs in
#     the old code: each backend is compared with its own file (NAME.cpu,
#     NAME.gpu); its GPU half is only compared on lavapipe, where the .gpu
#     file was made;
#   - a validation-layer report on stderr, a non-zero exit or a missing
#     output fails the case; so does an expected file no case produces;
#   - outputs are normalised in one place before the comparison (the version
#     string, the device name: tests/regress/lib.sh, regress_normalise).
# The GPU half is skipped (with a note) where vkcalib lists no Vulkan device;
# VKCALIB_TEST_DEVICE picks another device, as in the other CLI tests.
#
# After an intended change of behaviour, regenerate the expected files from
# a build of the changed code and commit them with the reason (never as a
# side effect of making this test pass):
#   bash tests/regress/make_expected.sh build/vkcalib
#
# Usage: bash test_cli_regress.sh VKCALIB WORKDIR
# Env:   VKC_SOURCE_DIR (source root; default: this script's parent folder),
#        VKCALIB_TEST_DEVICE.
set -u

. "$(dirname "$0")/cli_common.sh" "$@"

REG_SRC=${VKC_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$REG_SRC/tests/regress/lib.sh"

rm -rf "$WORK"
mkdir -p "$WORK" || exit 1
t0=$SECONDS
regress_init || exit 1
regress_load_cases || exit 1

# ---- backends -------------------------------------------------------------------
GPU=
if dev=$(test_device); then
    pass
    GPU=${dev%%$'\t'*}
    gpu_name=${dev#*$'\t'}
else
    fail "vkcalib devices --json failed or printed no valid JSON"
fi
backends=(cpu)
if [ -n "$GPU" ]; then
    backends+=(gpu)
    echo "Vulkan device: $GPU ($gpu_name)" >&2
    case $gpu_name in *llvmpipe*) gpu_is_lvp=1 ;; *)
        gpu_is_lvp=0
        note "$gpu_name is not lavapipe: the GPU halves of split cases (expected on lavapipe) are not compared" ;;
    esac
else
    note "vkcalib lists no Vulkan device: the GPU half of this test is skipped"
fi

# ---- run and compare ---------------------------------------------------------------
for backend in "${backends[@]}"; do
    run=$WORK/$backend
    if [ "$backend" = cpu ]; then flags=(--cpu) REG_DEVNAME=cpu; else flags=(--device "$GPU") REG_DEVNAME=$gpu_name; fi
    tb=$SECONDS
    regress_run_all "$backend" "$run" "${flags[@]}" || { fail "$backend: cannot prepare $run"; continue; }
    ncases=0
    for k in "${!CASE_NAME[@]}"; do
        name=${CASE_NAME[$k]}
        [ -n "${CASE_RC[$k]}" ] || continue
        ncases=$((ncases + 1))
        exp_name=$(regress_expected_name "$k" "$backend")
        exp=$REG_EXPECTED/$exp_name
        regress_argv "$k" "$backend" "${flags[@]}"
        regress_env "$backend"
        what="case $name ($backend, cases.txt:${CASE_LINENO[$k]})"
        if [ "${CASE_RC[$k]}" -ne 0 ]; then
            msg="exit status ${CASE_RC[$k]}"
            [ "${CASE_RC[$k]}" -eq 125 ] && msg="no output"
            fail "$what: $msg
  command: $(regress_show_cmd "$run")
  stderr:  $(tail -c 600 "$run/out/$name.stderr" 2>/dev/null)"
            continue
        fi
        if [ "$backend" = gpu ] && ! regress_validation_clean "$run" "$k"; then
            fail "$what: $(grep "validation layer reported" "$run/out/$name.stderr")
  command: $(regress_show_cmd "$run")"
            continue
        fi
        if [ "$backend" = gpu ] && [ "${CASE_BACKENDS[$k]}" = split ] && [ "$gpu_is_lvp" = 0 ]; then
            pass # ran cleanly; its .gpu file is lavapipe's
        elif [ ! -f "$exp" ]; then
            fail "$what: no expected file $exp (new case? see tests/regress/make_expected.sh)"
        else
            before=$failed
            case $name in
                # report lines are kilobytes long: no diff in the FAIL line
                *.html) cmp -s "$exp" "$run/cmp/$name" && pass ||
                    fail "$what: output differs from tests/regress/expected/$exp_name" ;;
                *) same "$exp" "$run/cmp/$name" "$what: output vs tests/regress/expected/$exp_name" ;;
            esac
            [ "$failed" = "$before" ] || echo "  command: $(regress_show_cmd "$run")
  output:  $run/cmp/$name (normalised)
  first differences (< expected, > now):
$(regress_first_diff "$exp" "$run/cmp/$name" | sed 's/^/    /')" >&2
        fi
    done
    echo "$backend: $ncases cases in $((SECONDS - tb)) s" >&2
done

# ---- every expected file belongs to a case ----------------------------------------------
declare -A known=()
for k in "${!CASE_NAME[@]}"; do
    for b in cpu gpu; do regress_runs_on "$k" "$b" && known[$(regress_expected_name "$k" "$b")]=1; done
done
for f in "$REG_EXPECTED"/*; do
    b=$(basename "$f")
    if [ -n "${known[$b]:-}" ]; then pass; else fail "tests/regress/expected/$b: no case of cases.txt produces it (stale?)"; fi
done

echo "total $((SECONDS - t0)) s" >&2
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
