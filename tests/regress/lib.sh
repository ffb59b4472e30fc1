# Shared by tests/test_cli_regress.sh (checking) and tests/regress/make_expected.sh
# (generating): how tests/regress/cases.txt is read, how one case runs, and
# the one place where outputs are normalised before they are compared. Both
# scripts use these functions and nothing else to run a case, so generation
# and checking cannot drift apart.
#
# Needs: VKC (the vkcalib under test), REG_SRC (the source root); before the
# cases of a backend run, REG_DEVNAME (its device's name, for normalisation).
#
# A case runs in a run directory RUN of its own backend (RUN/ex: a copy of
# examples/calib, RUN/data: a copy of tests/regress/data, RUN/out: outputs),
# with the current directory RUN and relative paths only, so no output can
# depend on where the checkout or the work directory lies.

REG_DIR=$REG_SRC/tests/regress
REG_CASES=$REG_DIR/cases.txt
REG_EXPECTED=$REG_DIR/expected

# Commands that take --cpu / --device: the backend option is appended to
# their arguments (unless they name --devices). merge and inspect read files
# only and run as written.
REG_DEVICE_CMDS=" calibrate collect explain report histogram search "

# ---- cases.txt -----------------------------------------------------------------
# regress_load_cases: fills CASE_NAME, CASE_BACKENDS, CASE_COMPARE, CASE_ARGS,
# CASE_LINENO (parallel arrays, in file order). Returns 1 (with a message on
# stderr) on a malformed line.
regress_load_cases() {
    CASE_NAME=() CASE_BACKENDS=() CASE_COMPARE=() CASE_ARGS=() CASE_LINENO=()
    local line lineno=0 name backends compare args bad=0
    declare -A seen=()
    while IFS= read -r line || [ -n "$line" ]; do
        lineno=$((lineno + 1))
        [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
        read -r name backends compare args <<<"$line"
        if [[ ! $name =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]]; then
            echo "cases.txt:$lineno: bad case name '$name'" >&2; bad=1; continue
        fi
        if [ -n "${seen[$name]:-}" ]; then
            echo "cases.txt:$lineno: case $name already defined on line ${seen[$name]}" >&2; bad=1; continue
        fi
        seen[$name]=$lineno
        case $backends in both | cpu | split) ;; *)
            echo "cases.txt:$lineno: $name: backends must be both, cpu or split, not '$backends'" >&2; bad=1; continue ;;
        esac
        case $compare in out | stdout) ;; *)
            echo "cases.txt:$lineno: $name: compare must be out or stdout, not '$compare'" >&2; bad=1; continue ;;
        esac
        # Arguments are split with shell quoting ('...' or "..." for a value
        # with spaces) and nothing else: no expansion, redirection or globbing.
        if [[ -z $args || $args == *[\$\`\;\&\|\<\>\(\)\\\*\?\[]* ]]; then
            echo "cases.txt:$lineno: $name: no arguments, or a character that is not allowed (\$ \` ; & | < > ( ) \\ * ? [)" >&2
            bad=1; continue
        fi
        if [ "$compare" = out ] && [[ $args != *@OUT@* ]]; then
            echo "cases.txt:$lineno: $name: compare 'out' but no @OUT@ in the arguments" >&2; bad=1; continue
        fi
        CASE_NAME+=("$name") CASE_BACKENDS+=("$backends") CASE_COMPARE+=("$compare")
        CASE_ARGS+=("$args") CASE_LINENO+=("$lineno")
    done <"$REG_CASES"
    [ "${#CASE_NAME[@]}" -gt 0 ] || { echo "cases.txt: no cases" >&2; bad=1; }
    return $bad
}

# regress_runs_on K BACKEND: whether case K runs on BACKEND (cpu or gpu).
regress_runs_on() {
    [ "$2" = cpu ] || [ "${CASE_BACKENDS[$1]}" != cpu ]
}

# regress_expected_name K BACKEND: the expected file's name for case K:
# NAME, or NAME.cpu / NAME.gpu for a split case.
regress_expected_name() {
    if [ "${CASE_BACKENDS[$1]}" = split ]; then echo "${CASE_NAME[$1]}.$2"; else echo "${CASE_NAME[$1]}"; fi
}

# ---- running -------------------------------------------------------------------
# regress_prepare RUN: a fresh run directory.
regress_prepare() {
    rm -rf "$1" && mkdir -p "$1/out" "$1/cmp" &&
        cp -R "$REG_SRC/examples/calib" "$1/ex" && cp -R "$REG_DIR/data" "$1/data"
}

# regress_argv K BACKEND DEVFLAG...: sets REG_ARGV to case K's command line
# (placeholders expanded, the backend option appended where the command takes
# one). DEVFLAG... is the backend option (--cpu, or --device D).
regress_argv() {
    local k=$1 a
    shift 2
    a=${CASE_ARGS[$k]}
    a=${a//@EX@/ex}
    a=${a//@DATA@/data}
    a=${a//@OUT@/out/${CASE_NAME[$k]}}
    a=${a//@WORK@/out}
    # @DEVS@: a --devices list of two: the CPU backend twice, or the Vulkan
    # device and the CPU backend
    if [ "$1" = --cpu ]; then a=${a//@DEVS@/cpu,cpu}; else a=${a//@DEVS@/$2,cpu}; fi
    if [[ $a == *@*@* ]]; then
        echo "cases.txt:${CASE_LINENO[$k]}: ${CASE_NAME[$k]}: unknown placeholder in: $a" >&2
        return 1
    fi
    set -f
    eval "REG_ARGV=($a)"
    set +f
    # --devices replaces --cpu/--device
    [[ $REG_DEVICE_CMDS == *" ${REG_ARGV[0]} "* && " ${REG_ARGV[*]} " != *" --devices "* ]] && REG_ARGV+=("$@")
    return 0
}

# regress_env BACKEND: the environment of every run (env(1) arguments): fixed
# locale (explain draws with UTF-8 blocks when the locale is UTF-8), no colour
# or device overrides; the validation layer on for the Vulkan device.
regress_env() {
    REG_ENV=(-u NO_COLOR -u VKCALIB_DEVICE -u VKCALIB_TEST_IO_FAIL -u LANGUAGE -u COLUMNS)
    if [ "$1" = gpu ]; then REG_ENV+=(LC_ALL=C.UTF-8 VKCALIB_VALIDATE=1); else REG_ENV+=(-u VKCALIB_VALIDATE LC_ALL=C.UTF-8); fi
}

# regress_show_cmd RUN: the command of the last regress_argv, for messages.
regress_show_cmd() {
    local s
    s="(cd $1 && env ${REG_ENV[*]} $VKC"
    printf -v s '%s%s' "$s" "$(printf ' %q' "${REG_ARGV[@]}")"
    echo "$s)"
}

# regress_run K BACKEND RUN DEVFLAG...: runs case K in RUN. Its stdout goes to
# RUN/out/NAME.stdout, its stderr to RUN/out/NAME.stderr; the normalised
# output to compare is RUN/cmp/NAME. Returns the command's exit status (or
# 125 when the output is missing or the command line is bad).
regress_run() {
    local k=$1 backend=$2 run=$3 name=${CASE_NAME[$1]} rc
    shift 3
    regress_argv "$k" "$backend" "$@" || return 125
    regress_env "$backend"
    (cd "$run" && env "${REG_ENV[@]}" "$VKC" "${REG_ARGV[@]}" >"out/$name.stdout" 2>"out/$name.stderr")
    rc=$?
    [ "$rc" -eq 0 ] || return "$rc"
    local src=$run/out/$name
    [ "${CASE_COMPARE[$k]}" = stdout ] && src=$run/out/$name.stdout
    [ -f "$src" ] || return 125
    regress_normalise "$src" "$run/cmp/$name" "$REG_DEVNAME"
}

# regress_validation_clean RUN K: no validation-layer report on case K's stderr.
regress_validation_clean() {
    ! grep -q "validation layer reported" "$1/out/${CASE_NAME[$2]}.stderr"
}

# ---- normalisation: the one place ---------------------------------------------
# regress_normalise IN OUT DEVICE_NAME: copies IN to OUT, rewriting what
# depends on the build or the machine rather than on the calibration:
#   - the version string: `"vkcalib": "X.Y.Z"` (JSON) and `vkcalib X.Y.Z`
#     (inspect's text) become @VERSION@;
#   - the device's name (`cpu` for the CPU backend, the Vulkan driver's name,
#     which holds the Mesa/LLVM version, for a GPU) where outputs print it:
#     `"device": "NAME"` (histogram/search JSON), `Device: NAME.` (explain;
#     the paragraph wraps, so any run of white space inside the name
#     matches), `elements on NAME` (histogram), `in double (NAME)` (search)
#     become @DEVICE@.
# Nothing else: no output embeds a path (the runs use relative paths) or a
# time stamp. .vkch state files are binary and compared as written (they
# hold neither).
regress_normalise() {
    local in=$1 out=$2 dev=$3 re ver
    case $in in *.vkch) cp "$in" "$out"; return ;; esac
    ver=$REG_VERSION
    ver=${ver//./\\.}
    # the device name as a BRE, white space matching any run of white space
    re=$(printf '%s' "$dev" | sed -e 's/[]\/$*.^[|]/\\&/g' -e 's/ /[[:space:]]\\+/g')
    sed -z \
        -e "s|\"vkcalib\": \"$ver\"|\"vkcalib\": \"@VERSION@\"|g" \
        -e "s|vkcalib $ver\\b|vkcalib @VERSION@|g" \
        -e "s|\"device\": \"$re\"|\"device\": \"@DEVICE@\"|g" \
        -e "s|Device:[[:space:]]\\+$re\\.|Device: @DEVICE@.|g" \
        -e "s| elements on $re\\n| elements on @DEVICE@\\n|g" \
        -e "s|in double ($re)|in double (@DEVICE@)|g" \
        "$in" >"$out"
}

# regress_init: REG_VERSION (X.Y.Z of `vkcalib --version`). Call once.
regress_init() {
    REG_VERSION=$("$VKC" --version 2>/dev/null | sed -n '1s/^vkcalib \([0-9][0-9.]*\).*/\1/p')
    [ -n "$REG_VERSION" ] || { echo "$VKC --version printed no version" >&2; return 1; }
}

# regress_first_diff EXPECTED ACTUAL: where they first differ (byte and line,
# with what each holds around it), then for text the first differing lines
# (cut at 200 characters: report lines are long).
regress_first_diff() {
    local at byte from
    at=$(cmp "$1" "$2" 2>&1 | head -1)
    case $at in *" differ: "*) at="first difference at ${at##* differ: }" ;; esac
    echo "$at (expected $(wc -c <"$1") bytes, got $(wc -c <"$2"))"
    byte=$(printf '%s' "$at" | sed -n 's/.* at byte \([0-9]*\).*/\1/p')
    if [ -n "$byte" ]; then
        from=$((byte > 60 ? byte - 60 : 1))
        echo "expected, from byte $from: $(tail -c +"$from" "$1" | head -c 120 | tr '\n\0' '|.' | cat -v)"
        echo "got,      from byte $from: $(tail -c +"$from" "$2" | head -c 120 | tr '\n\0' '|.' | cat -v)"
    fi
    case $1 in
        *.vkch) ;;
        *) diff -a "$1" "$2" | head -"${REG_DIFF_LINES:-12}" | cut -c1-200 ;;
    esac
}

# regress_run_all BACKEND RUN DEVFLAG...: prepares RUN and runs every case of
# BACKEND in file order. Sets CASE_RC[k] (exit status, 125: no output; empty:
# not run on BACKEND) and CASE_MS[k] (milliseconds).
regress_run_all() {
    local backend=$1 run=$2 k t0
    shift 2
    CASE_RC=() CASE_MS=()
    regress_prepare "$run" || return 1
    for k in "${!CASE_NAME[@]}"; do
        CASE_RC[k]='' CASE_MS[k]=0
        regress_runs_on "$k" "$backend" || continue
        t0=${EPOCHREALTIME/./}
        regress_run "$k" "$backend" "$run" "$@"
        CASE_RC[k]=$?
        CASE_MS[k]=$(((${EPOCHREALTIME/./} - t0) / 1000))
    done
}
