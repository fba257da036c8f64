#!/usr/bin/env bash
# Runs a campaign against every CPython 3.8+ that pyenv has installed, each judged as its own
# profile (cpython-3.X). Usage: scripts/versions.sh [CASES] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
cases="${1:-20000}"
seed="${2:-1}"
cargo build -q --release --bin withstand
status=0
for py in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.*/bin/python3; do
    minor=$("$py" -c 'import sys; print(sys.version_info[1])')
    [ "$minor" -ge 8 ] || continue
    out=$(mktemp -d)
    ./target/release/withstand run --python "$py" --cases "$cases" --seed "$seed" --out "$out" --quiet --no-shrink \
        | grep -E '^withstand:|divergences' || status=1
done
exit $status
