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

case $VKC in /*) ;; *) VKC=$PWD/$VKC ;; esac
if [ ! -x "$VKC" ]; then
    echo "vkcalib not found at $VKC" >&2
    exit 1
fi
if ! "$PY" -c 'import numpy' 2>/dev/null; then
    echo "SKIP: $PY with numpy is needed to generate the test data" >&2
    exit 77
fi
