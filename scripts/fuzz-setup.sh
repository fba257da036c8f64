#!/usr/bin/env bash
# Installs what the fuzz targets need: a nightly toolchain and cargo-fuzz.
# Idempotent: does nothing when both are there. Run it once per machine, or from CI.
set -euo pipefail

if ! command -v rustup >/dev/null 2>&1; then
    echo "fuzz-setup: rustup is needed to install a nightly toolchain" >&2
    exit 1
fi
if rustup toolchain list | grep -q '^nightly'; then
    echo "fuzz-setup: nightly toolchain present"
else
    echo "fuzz-setup: installing the nightly toolchain"
    rustup toolchain install nightly --profile minimal
fi
if command -v cargo-fuzz >/dev/null 2>&1; then
    echo "fuzz-setup: $(cargo fuzz --version 2>/dev/null || echo cargo-fuzz) present"
else
    echo "fuzz-setup: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
