#!/usr/bin/env bash
# Installs, from package registries only, the Python implementations withstand's README
# measures, and writes a launcher for each into $WITHSTAND_IMPLS/bin (default
# ~/.cache/withstand/impls/bin), where `withstand impls` and `--python NAME` find them.
#
#   scripts/setup-impls.sh [--only LIST] [--compilers] [--list]
#
#   --only pypy,rustpython,pyodide,micropython,cpython   install only these (default: all)
#   --compilers   also create a virtual environment per CPython version (3.10+) with Cython, mypy
#                 (mypyc) and Nuitka from PyPI, in $WITHSTAND_IMPLS/venvs/cpython-3.X
#   --list        print what is installed and where, install nothing
#
# Where each comes from:
#   PyPy         Debian's `pypy3` package (apt-get; sudo when not root)
#   RustPython   crates.io, `cargo +nightly install rustpython --locked` into $WITHSTAND_IMPLS/rustpython
#                (stable rustc is too old for its parser crates; rustup adds nightly when missing;
#                about 10 minutes on 2 cores)
#   Pyodide      npm `pyodide`, run under node by scripts/impls/pyodide.mjs
#   MicroPython  npm `@micropython/micropython-webassembly-pyscript`, run under node by
#                scripts/impls/micropython.mjs
#   CPython      pyenv's versions, if pyenv is here (linked as python3.X)
# node (18 or later) comes from Debian's `nodejs` and `npm` packages when it is missing.
#
# Idempotent: what is there at the pinned version is kept; launchers are rewritten (they are
# cheap). Each implementation is started once at the end (`-c` with its version), so that a
# broken install fails here, not in a campaign. Exits non-zero with one clear line naming the
# step that failed; a log of the long steps is kept beside the installs.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
impls="${WITHSTAND_IMPLS:-$HOME/.cache/withstand/impls}"
bin="$impls/bin"
only="pypy,rustpython,pyodide,micropython,cpython"
compilers=0
list=0

# Pinned versions: the figures in README were measured with these.
PYODIDE_VERSION="314.0.8"
MICROPYTHON_VERSION="1.27.0"
RUSTPYTHON_VERSION="0.6.0"
CYTHON_VERSION="3.3.1"
MYPY_VERSION="2.4.1"
NUITKA_VERSION="4.3.3"

while [ $# -gt 0 ]; do
    case "$1" in
        --only) only="${2:?--only needs a list}"; shift 2 ;;
        --compilers) compilers=1; shift ;;
        --list) list=1; shift ;;
        -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
        *) echo "setup-impls: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
for name in ${only//,/ }; do
    case "$name" in
        pypy|rustpython|pyodide|micropython|cpython) ;;
        *) echo "setup-impls: unknown implementation $name in --only (pypy, rustpython, pyodide, micropython, cpython)" >&2; exit 2 ;;
    esac
done

wants() { case ",$only," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
fail() { echo "setup-impls: $*" >&2; exit 1; }
say() { echo "setup-impls: $*"; }
installed=()

mkdir -p "$bin" || fail "cannot create $bin"

report() {
    say "implementations in $bin (withstand impls lists them; --python NAME takes the name):"
    local any=0
    for launcher in "$bin"/*; do
        [ -x "$launcher" ] || continue
        any=1
        printf '  %-14s %s\n' "$(basename "$launcher")" "$(readlink -f "$launcher")"
    done
    [ "$any" = 1 ] || echo "  (none)"
    if [ -d "$impls/venvs" ]; then
        for venv in "$impls"/venvs/*; do
            [ -d "$venv" ] && printf '  %-14s %s\n' "$(basename "$venv") (compilers)" "$venv"
        done
    fi
    return 0
}

if [ "$list" = 1 ]; then
    report
    exit 0
fi

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        fail "$1 needs root, and there is no sudo: run as root, or install ${*: -1} yourself"
    fi
}

apt_install() {
    command -v apt-get >/dev/null 2>&1 || fail "no apt-get here: install $* with your package manager"
    say "installing $* from Debian's packages"
    as_root apt-get update -qq >"$impls/apt.log" 2>&1 || fail "apt-get update failed; see $impls/apt.log"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >>"$impls/apt.log" 2>&1 \
        || fail "apt-get install $* failed; see $impls/apt.log"
}

# Starts an implementation once: it must print its version.
check() {
    local name="$1" launcher="$2"
    local out
    out="$("$launcher" -c 'import sys; print(sys.implementation.name, sys.version.split()[0].rstrip(";"))' 2>&1)" \
        || fail "$name does not run: $launcher -c ... said: $(echo "$out" | tail -n 1)"
    say "$name: $out ($launcher)"
}

# PyPy: Debian's package.
if wants pypy; then
    if command -v pypy3 >/dev/null 2>&1; then
        say "pypy3 present: $(command -v pypy3)"
    else
        apt_install pypy3
        command -v pypy3 >/dev/null 2>&1 || fail "pypy3 is not on PATH after installing it"
        installed+=("pypy3")
    fi
    ln -sf "$(command -v pypy3)" "$bin/pypy3"
    check pypy3 "$bin/pypy3"
fi

# RustPython: crates.io, built with nightly (stable rustc is too old for its parser crates).
if wants rustpython; then
    rp="$impls/rustpython/bin/rustpython"
    if [ -x "$rp" ] && "$rp" --version 2>/dev/null | grep -q "RustPython $RUSTPYTHON_VERSION"; then
        say "rustpython $RUSTPYTHON_VERSION present: $rp"
    else
        command -v rustup >/dev/null 2>&1 || fail "RustPython is built with cargo from a nightly toolchain, and rustup is not on PATH (https://rustup.rs)"
        if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
            say "adding the nightly toolchain (rustup toolchain install nightly --profile minimal)"
            rustup toolchain install nightly --profile minimal >"$impls/rustup.log" 2>&1 \
                || fail "rustup toolchain install nightly failed; see $impls/rustup.log"
        fi
        say "building rustpython $RUSTPYTHON_VERSION from crates.io (about 10 minutes on 2 cores; log: $impls/rustpython-build.log)"
        cargo +nightly install rustpython --version "$RUSTPYTHON_VERSION" --locked --root "$impls/rustpython" \
            >"$impls/rustpython-build.log" 2>&1 \
            || fail "cargo install rustpython failed; see $impls/rustpython-build.log"
        installed+=("rustpython $RUSTPYTHON_VERSION")
    fi
    ln -sf "$rp" "$bin/rustpython"
    check rustpython "$bin/rustpython"
fi

# Pyodide and MicroPython: npm packages, run under node by the runners in scripts/impls/.
node_version() { node -e 'process.stdout.write(process.versions.node.split(".")[0])' 2>/dev/null || echo 0; }
npm_version() { # the version of an installed npm package, or nothing
    local pkg="$1"
    node -e "process.stdout.write(require('$node_dir/node_modules/$pkg/package.json').version)" 2>/dev/null || true
}
if wants pyodide || wants micropython; then
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        apt_install nodejs npm
    fi
    command -v node >/dev/null 2>&1 || fail "node is not on PATH after installing it"
    [ "$(node_version)" -ge 18 ] || fail "Pyodide and MicroPython need node 18 or later; this is $(node --version)"
    node_dir="$impls/node"
    mkdir -p "$node_dir"
    [ -f "$node_dir/package.json" ] || echo '{"private": true}' >"$node_dir/package.json"
    pkgs=()
    if wants pyodide && [ "$(npm_version pyodide)" != "$PYODIDE_VERSION" ]; then
        pkgs+=("pyodide@$PYODIDE_VERSION")
    fi
    if wants micropython && [ "$(npm_version @micropython/micropython-webassembly-pyscript)" != "$MICROPYTHON_VERSION" ]; then
        pkgs+=("@micropython/micropython-webassembly-pyscript@$MICROPYTHON_VERSION")
    fi
    if [ ${#pkgs[@]} -gt 0 ]; then
        say "installing ${pkgs[*]} from npm (log: $impls/npm.log)"
        (cd "$node_dir" && npm install --no-audit --no-fund --save-exact "${pkgs[@]}") >"$impls/npm.log" 2>&1 \
            || fail "npm install ${pkgs[*]} failed; see $impls/npm.log"
        installed+=("${pkgs[@]}")
    else
        say "npm packages present in $node_dir"
    fi
    cp "$here/impls/host.mjs" "$here/impls/pyodide.mjs" "$here/impls/micropython.mjs" "$node_dir/" || fail "cannot copy the node runners into $node_dir"
    if wants pyodide; then
        cat >"$bin/pyodide" <<LAUNCHER
#!/bin/sh
# Pyodide $PYODIDE_VERSION (CPython on WebAssembly) under node; written by scripts/setup-impls.sh.
# exec: the process withstand starts is node itself, so that a hang can be killed.
WITHSTAND_PYODIDE_DIR="$node_dir/node_modules/pyodide" export WITHSTAND_PYODIDE_DIR
exec node --experimental-wasm-stack-switching "$node_dir/pyodide.mjs" "\$@"
LAUNCHER
        chmod +x "$bin/pyodide"
        check pyodide "$bin/pyodide"
    fi
    if wants micropython; then
        cat >"$bin/micropython" <<LAUNCHER
#!/bin/sh
# MicroPython $MICROPYTHON_VERSION (WebAssembly port) under node; written by scripts/setup-impls.sh.
# exec: the process withstand starts is node itself, so that a hang can be killed.
WITHSTAND_MICROPYTHON_DIR="$node_dir/node_modules/@micropython/micropython-webassembly-pyscript" export WITHSTAND_MICROPYTHON_DIR
exec node "$node_dir/micropython.mjs" "\$@"
LAUNCHER
        chmod +x "$bin/micropython"
        check micropython "$bin/micropython"
    fi
fi

# CPython: pyenv's versions, if pyenv is here.
if wants cpython; then
    if command -v pyenv >/dev/null 2>&1; then
        root="$(pyenv root)"
        linked=()
        for v in "$root"/versions/3.*; do
            [ -x "$v/bin/python3" ] || continue
            minor="$(basename "$v" | cut -d. -f1,2)"
            ln -sf "$v/bin/python3" "$bin/python$minor"
            linked+=("$(basename "$v")")
        done
        say "cpython: linked pyenv's ${linked[*]:-(none)}"
    else
        say "cpython: no pyenv here; only the python3 on PATH"
    fi
fi

# Compilers: one virtual environment per CPython version, from PyPI. The pinned Cython and
# mypy need 3.9 and 3.10 or later, so 3.8 and 3.9 get none (pip would find no matching
# distribution).
if [ "$compilers" = 1 ]; then
    for old in 3.8 3.9; do
        [ -x "$bin/python$old" ] && say "compilers: none for CPython $old (mypy $MYPY_VERSION needs 3.10 or later, Cython $CYTHON_VERSION 3.9)"
    done
    for py in "$bin"/python3.*; do
        [ -x "$py" ] || continue
        minor="$(basename "$py" | sed 's/^python//')"
        case "$minor" in 3.10|3.11|3.12|3.13|3.14) ;; *) continue ;; esac
        venv="$impls/venvs/cpython-$minor"
        if [ ! -x "$venv/bin/python" ]; then
            say "creating $venv"
            "$py" -m venv "$venv" || fail "cannot create a virtual environment with $py"
        fi
        if ! "$venv/bin/python" -c 'import Cython, mypy, nuitka' >/dev/null 2>&1; then
            say "installing Cython $CYTHON_VERSION, mypy $MYPY_VERSION, Nuitka $NUITKA_VERSION into $venv"
            "$venv/bin/python" -m pip install -q --disable-pip-version-check \
                "cython==$CYTHON_VERSION" "mypy==$MYPY_VERSION" "nuitka==$NUITKA_VERSION" setuptools \
                >"$venv/pip.log" 2>&1 || fail "pip install into $venv failed; see $venv/pip.log"
            installed+=("compilers in $venv")
        fi
    done
fi

if [ ${#installed[@]} -gt 0 ]; then
    say "installed now: ${installed[*]}"
else
    say "nothing new to install"
fi
report
