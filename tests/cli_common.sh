# Shared prelude of the CLI test scripts: arguments, counters, helpers.
# Sourced as: . "$(dirname "$0")/cli_common.sh" "$@"
VKC=${1:?usage: $(basename "$0") VKCALIB WORKDIR}
WORK=${2:?usage: $(basename "$0") VKCALIB WORKDIR}
PY=${VKC_PYTHON:-/usr/bin/python3}

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() {
    failed=$((failed + 1))
    echo "FAIL: $*" >&2
}
note() { echo "NOTE: $*" >&2; }
# same FILE_A FILE_B WHAT: byte-identical files.
same() {
    if [ ! -f "$1" ] || [ ! -f "$2" ]; then
        fail "$3: missing output ($1 or $2)"
    elif cmp -s "$1" "$2"; then
        pass
    else
        fail "$3: $1 and $2 differ: $(diff "$1" "$2" | head -6 | tr '\n' '|')"
    fi
}

# test_device: "INDEX<TAB>NAME" of the Vulkan device the GPU halves of the
# tests use: VKCALIB_TEST_DEVICE when set (index, name substring or UUID),
# else lavapipe (llvmpipe) when listed (CI), else the first device. Prints
# nothing when vkcalib lists no device; fails when `vkcalib devices --json`
# does or prints no valid JSON.
test_device() {
    local json
    json=$("$VKC" devices --json 2>/dev/null) || return 1
    printf '%s' "$json" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)["devices"]
want = sys.argv[1]
pick = None
if want:
    pick = next((x for x in d if want == str(x["index"]) or want in x["name"] or want == x["uuid"]), None)
if pick is None:
    pick = next((x for x in d if "llvmpipe" in x["name"]), d[0] if d else None)
if pick is not None:
    print("%d\t%s" % (pick["index"], pick["name"]))' "${VKCALIB_TEST_DEVICE:-}" 2>/dev/null
}

case $VKC in /*) ;; *) VKC=$PWD/$VKC ;; esac
if [ ! -x "$VKC" ]; then
    echo "vkcalib not found at $VKC" >&2
    exit 1
fi
if ! "$PY" -c 'import numpy' 2>/dev/null; then
    echo "SKIP: $PY with numpy is needed to generate the test data" >&2
    exit 77
fi
