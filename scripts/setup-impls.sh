#!/usr/bin/env bash
# Installs, from package registries only, the Python implementations withstand's README
# measures, and writes a launcher for each into $WITHSTAND_IMPLS/bin (default
# ~/.cache/withstand/impls/bin), where `withstand impls` and `--python NAME` find them.
#
#   scripts/setup-impls.sh [--only LIST] [--compilers] [--list]
#
#   --only pypy,rustpython,pyodide,micropython,cpython   install only these (default: all)
#   --compilers   also create a virtual environment per CPython version with Cython, mypy
#                 (mypyc) and Nuitka from PyPI, in $WITHSTAND_IMPLS/venvs/cpython-3.X
#   --list        print what is installed and where, install nothing
#
# Idempotent: what is there already is kept (launchers are rewritten, they are cheap).
# Exits non-zero with one clear line when a step fails.
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
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "setup-impls: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

wants() { case ",$only," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
fail() { echo "setup-impls: $*" >&2; exit 1; }
say() { echo "setup-impls: $*"; }

mkdir -p "$bin" || fail "cannot create $bin"

report() {
    say "implementations in $impls:"
    for launcher in "$bin"/*; do
        [ -x "$launcher" ] || continue
        printf '  %-14s %s\n' "$(basename "$launcher")" "$launcher"
    done
    if [ -d "$impls/venvs" ]; then
        for venv in "$impls"/venvs/*; do
            [ -d "$venv" ] && printf '  %-14s %s\n' "$(basename "$venv") (compilers)" "$venv"
        done
    fi
}

if [ "$list" = 1 ]; then
    report
    exit 0
fi

# PyPy: Debian's package.
if wants pypy; then
    if command -v pypy3 >/dev/null 2>&1; then
        say "pypy3 present: $(command -v pypy3)"
    else
        say "installing pypy3 from Debian's packages"
        if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
        $sudo apt-get update -qq >/dev/null 2>&1 || fail "apt-get update failed (no root, or no network to Debian's mirror)"
        $sudo apt-get install -y -qq pypy3 >/dev/null 2>&1 || fail "apt-get install pypy3 failed"
    fi
    ln -sf "$(command -v pypy3)" "$bin/pypy3"
fi

# RustPython: crates.io, built with nightly (stable rustc is too old for its parser crates).
if wants rustpython; then
    rp="$impls/rustpython/bin/rustpython"
    if [ -x "$rp" ]; then
        say "rustpython present: $rp"
    else
        rustup toolchain list 2>/dev/null | grep -q '^nightly' \
            || fail "RustPython needs a nightly toolchain: rustup toolchain install nightly"
        say "building rustpython from crates.io (about 10 minutes on 2 cores)"
        cargo +nightly install rustpython --version "$RUSTPYTHON_VERSION" --locked --root "$impls/rustpython" >"$impls/rustpython-build.log" 2>&1 \
            || fail "cargo install rustpython failed; see $impls/rustpython-build.log"
    fi
    ln -sf "$rp" "$bin/rustpython"
fi

# Pyodide and MicroPython: npm packages, run under node by the runners in scripts/impls/.
if wants pyodide || wants micropython; then
    command -v node >/dev/null 2>&1 || fail "Pyodide and MicroPython run under node, which is not on PATH"
    node_dir="$impls/node"
    mkdir -p "$node_dir"
    [ -f "$node_dir/package.json" ] || echo '{"private": true}' >"$node_dir/package.json"
    pkgs=()
    wants pyodide && [ ! -f "$node_dir/node_modules/pyodide/package.json" ] && pkgs+=("pyodide@$PYODIDE_VERSION")
    wants micropython && [ ! -f "$node_dir/node_modules/@micropython/micropython-webassembly-pyscript/package.json" ] \
        && pkgs+=("@micropython/micropython-webassembly-pyscript@$MICROPYTHON_VERSION")
    if [ ${#pkgs[@]} -gt 0 ]; then
        say "installing ${pkgs[*]} from npm"
        (cd "$node_dir" && npm install --no-audit --no-fund --silent "${pkgs[@]}") >/dev/null 2>&1 \
            || fail "npm install ${pkgs[*]} failed"
    fi
    cp "$here/impls/pyodide.mjs" "$here/impls/micropython.mjs" "$node_dir/"
    if wants pyodide; then
        cat >"$bin/pyodide" <<LAUNCHER
#!/bin/sh
# Pyodide $PYODIDE_VERSION (CPython on WebAssembly) under node; written by scripts/setup-impls.sh.
WITHSTAND_PYODIDE_DIR="$node_dir/node_modules/pyodide" export WITHSTAND_PYODIDE_DIR
exec node --experimental-wasm-stack-switching "$node_dir/pyodide.mjs" "\$@"
LAUNCHER
        chmod +x "$bin/pyodide"
        say "pyodide: $bin/pyodide"
    fi
    if wants micropython; then
        cat >"$bin/micropython" <<LAUNCHER
#!/bin/sh
# MicroPython $MICROPYTHON_VERSION (WebAssembly port) under node; written by scripts/setup-impls.sh.
WITHSTAND_MICROPYTHON_DIR="$node_dir/node_modules/@micropython/micropython-webassembly-pyscript" export WITHSTAND_MICROPYTHON_DIR
exec node "$node_dir/micropython.mjs" "\$@"
LAUNCHER
        chmod +x "$bin/micropython"
        say "micropython: $bin/micropython"
    fi
fi

# CPython: pyenv's versions, if pyenv is here.
if wants cpython; then
    if command -v pyenv >/dev/null 2>&1; then
        root="$(pyenv root)"
        for v in "$root"/versions/3.*; do
            [ -x "$v/bin/python3" ] || continue
            minor="$(basename "$v" | cut -d. -f1,2)"
            ln -sf "$v/bin/python3" "$bin/python$minor"
        done
        say "cpython: linked pyenv's $(ls "$root/versions" | grep '^3\.' | sort -V | tr '\n' ' ')"
    else
        say "cpython: no pyenv here; only the python3 on PATH"
    fi
fi

# Compilers: one virtual environment per CPython version, from PyPI.
if [ "$compilers" = 1 ]; then
    for py in "$bin"/python3.*; do
        [ -x "$py" ] || continue
        minor="$(basename "$py" | sed 's/^python//')"
        case "$minor" in 3.8|3.9|3.10|3.11|3.12|3.13|3.14) ;; *) continue ;; esac
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
        fi
    done
fi

report
