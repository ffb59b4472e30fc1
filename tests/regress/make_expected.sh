#!/bin/bash
# Regenerates tests/regress/expected/ from the vkcalib given, for the
# byte-for-byte regression test tests/test_cli_regress.sh. Both read
# tests/regress/cases.txt and run cases with the same functions
# (tests/regress/lib.sh), so what is generated is what is checked.
#
# The committed files were made by the code before the refactor that moved
# the pipeline into the library (commit 41c0bab). Regenerating replaces that
# reference: do it only for an intended change of behaviour, from a build of
# the code that has it, review `git diff tests/regress/expected`, and commit
# it with the reason. Never run this to make a failing test pass.
#
# What it does:
#   - runs every case twice on the CPU backend and twice on lavapipe
#     (--device llvmpipe, VKCALIB_VALIDATE=1; required), and refuses when a
#     case fails, the validation layer reports anything, or two runs of one
#     backend differ (nondeterminism);
#   - a `both` case must give the same bytes on both backends (else: mark it
#     `split` in cases.txt, with a comment saying why); a `split` case gets
#     NAME.cpu and NAME.gpu (and a warning when they have become equal);
#   - writes the normalised outputs (tests/regress/lib.sh, regress_normalise)
#     to tests/regress/expected/, replacing the folder, so files of removed
#     cases go away.
#
# Usage: bash tests/regress/make_expected.sh VKCALIB [WORKDIR]
#   WORKDIR (default: a temporary folder, removed afterwards) holds the runs.
set -u

VKC=${1:?usage: make_expected.sh VKCALIB [WORKDIR]}
case $VKC in /*) ;; *) VKC=$PWD/$VKC ;; esac
[ -x "$VKC" ] || { echo "vkcalib not found at $VKC" >&2; exit 1; }
REG_SRC=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${2:-}
if [ -z "$WORK" ]; then
    WORK=$(mktemp -d) || exit 1
    trap 'rm -rf "$WORK"' EXIT
fi
PY=${VKC_PYTHON:-/usr/bin/python3} # test_device parses JSON with it
. "$REG_SRC/tests/regress/lib.sh"

die() { echo "make_expected: $*" >&2; exit 1; }
regress_init || exit 1
regress_load_cases || exit 1

# lavapipe, as the test finds it (cli_common.sh's test_device, without the
# rest of that prelude)
eval "$(sed -n '/^test_device() {/,/^}/p' "$REG_SRC/tests/cli_common.sh")"
dev=$(VKCALIB_TEST_DEVICE=llvmpipe test_device) || die "vkcalib devices --json failed"
case $dev in *llvmpipe*) ;; *) die "lavapipe (llvmpipe) is not listed by vkcalib devices: the .gpu files are made on it" ;; esac
GPU=${dev%%$'\t'*}
gpu_name=${dev#*$'\t'}
echo "vkcalib $REG_VERSION ($VKC); Vulkan device $GPU: $gpu_name" >&2

bad=0
mkdir -p "$WORK" && : >"$WORK/times.txt" || exit 1
for backend in cpu gpu; do
    if [ "$backend" = cpu ]; then flags=(--cpu) REG_DEVNAME=cpu; else flags=(--device "$GPU") REG_DEVNAME=$gpu_name; fi
    for pass_no in 1 2; do
        run=$WORK/$backend.$pass_no
        t=$SECONDS
        regress_run_all "$backend" "$run" "${flags[@]}" || die "cannot prepare $run"
        for k in "${!CASE_NAME[@]}"; do
            [ -n "${CASE_RC[$k]}" ] || continue
            name=${CASE_NAME[$k]}
            if [ "${CASE_RC[$k]}" -ne 0 ]; then
                regress_argv "$k" "$backend" "${flags[@]}"; regress_env "$backend"
                echo "FAIL: $name ($backend): exit ${CASE_RC[$k]}: $(regress_show_cmd "$run")" >&2
                tail -c 600 "$run/out/$name.stderr" >&2
                bad=1
            elif [ "$backend" = gpu ] && ! regress_validation_clean "$run" "$k"; then
                echo "FAIL: $name: $(grep "validation layer reported" "$run/out/$name.stderr")" >&2
                bad=1
            elif grep -qF "${gpu_name%% *}" "$run/cmp/$name"; then
                echo "FAIL: $name ($backend): the device name survives normalisation (add a rule to regress_normalise)" >&2
                bad=1
            fi
            [ "$pass_no" = 1 ] && printf '%s\t%s\t%d ms\n' "$backend" "$name" "${CASE_MS[$k]}" >>"$WORK/times.txt"
        done
        echo "$backend run $pass_no: $((SECONDS - t)) s" >&2
    done
    for k in "${!CASE_NAME[@]}"; do
        regress_runs_on "$k" "$backend" || continue
        name=${CASE_NAME[$k]}
        cmp -s "$WORK/$backend.1/cmp/$name" "$WORK/$backend.2/cmp/$name" ||
            { echo "FAIL: $name ($backend): two runs differ (nondeterministic)" >&2; bad=1; }
    done
done
[ "$bad" = 0 ] || die "nothing written"

new=$WORK/expected
rm -rf "$new" && mkdir -p "$new" || exit 1
for k in "${!CASE_NAME[@]}"; do
    name=${CASE_NAME[$k]}
    c=$WORK/cpu.1/cmp/$name
    g=$WORK/gpu.1/cmp/$name
    case ${CASE_BACKENDS[$k]} in
        cpu) cp "$c" "$new/$name" ;;
        both)
            if cmp -s "$c" "$g"; then
                cp "$c" "$new/$name"
            else
                echo "FAIL: $name: the CPU backend and lavapipe differ; mark it split in cases.txt (and say why):" >&2
                diff -a "$c" "$g" | head -8 >&2
                bad=1
            fi ;;
        split)
            cmp -s "$c" "$g" && echo "note: $name: CPU and lavapipe now agree; it can be 'both'" >&2
            cp "$c" "$new/$name.cpu"
            cp "$g" "$new/$name.gpu" ;;
    esac
done
[ "$bad" = 0 ] || die "nothing written"

rm -rf "$REG_EXPECTED" && cp -R "$new" "$REG_EXPECTED" || exit 1
echo "wrote $(ls "$REG_EXPECTED" | wc -l) files ($(du -sk "$REG_EXPECTED" | cut -f1) KB) to $REG_EXPECTED" >&2
echo "per-case times: $WORK/times.txt" >&2
