# scripts/lib.sh - helpers shared by the scripts in this folder (sourced).
#
# Everything here is idempotent: system packages are installed only when
# dpkg says they are missing, the virtual environment is made once, and
# Python packages are installed only when the requirements changed.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BALE_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"

step() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

# ensure_apt PKG...: installs the Debian packages that are not installed yet.
ensure_apt() {
    local missing=() p
    for p in "$@"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        note "system packages present: $*"
        return 0
    fi
    command -v apt-get >/dev/null 2>&1 ||
        die "missing packages ${missing[*]} and no apt-get: install them by hand"
    step "installing system packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# What the core needs to build (C compiler, pkg-config, codec libraries).
BUILD_PACKAGES=(gcc pkg-config libzstd-dev liblz4-dev zlib1g-dev libxxhash-dev)
# What the full test suite adds.
TEST_PACKAGES=(valgrind)
# What scripts/fuzz adds: clang's libFuzzer and sanitizer runtimes.
FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev)

# ensure_venv DIR PYTHON EXTRAS: makes a virtual environment at DIR with the
# given interpreter and installs the build tools plus the pip requirements
# listed in EXTRAS (a space-separated string); a stamp file skips pip when
# nothing changed.
ensure_venv() {
    local dir="$1" py="$2" extras="$3"
    if [ ! -x "$dir/bin/python" ]; then
        step "creating virtual environment $dir ($("$py" --version 2>&1))"
        "$py" -m venv "$dir" || die "cannot create a venv with $py (on Debian: apt-get install python3-venv)"
    fi
    local want stamp
    want="build: meson-python>=0.15 meson>=1.1 ninja; extras: $extras"
    stamp="$dir/.bale-req-$(printf '%s' "$want" | md5sum | cut -c1-12)"
    if [ -f "$stamp" ]; then
        note "python packages present in $dir"
        return 0
    fi
    step "installing python packages into $dir"
    "$dir/bin/python" -m pip install -q --upgrade pip
    # shellcheck disable=SC2086
    "$dir/bin/python" -m pip install -q 'meson-python>=0.15' 'meson>=1.1' ninja $extras
    echo "$want" >"$stamp"
}

# install_bale VENV: builds the extension with the venv's Python and installs
# the package into it.  The build directory persists (build-py/<python>), so
# a second run only recompiles what changed.
install_bale() {
    local dir="$1" tag
    tag="$("$dir/bin/python" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
    step "building and installing bale into $dir ($tag)"
    (cd "$ROOT" && "$dir/bin/python" -m pip install -q --no-build-isolation --no-deps \
        -Cbuild-dir="build-py/$tag" .)
    "$dir/bin/python" -c 'import bale; print("    bale", bale.__version__, "from", bale.__file__)'
}

# extra_requirements NAME: the requirements of pyproject.toml's optional
# dependency group NAME ("test", "bench"), space-separated.
extra_requirements() {
    "$PYTHON" - "$ROOT/pyproject.toml" "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r'^%s\s*=\s*\[(.*?)\]' % re.escape(sys.argv[2]), text, re.M | re.S)
if m is None:
    sys.exit("pyproject.toml has no optional dependency group %r" % sys.argv[2])
print(" ".join(s.strip().strip("\"'") for s in m.group(1).split(",") if s.strip()))
PY
}
test_requirements() { extra_requirements test; }
