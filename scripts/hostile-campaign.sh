#!/usr/bin/env bash
# A campaign against each hostile fake interpreter of the tests (cli/tests/fakes, oracle/src/runner/fakes):
# `run --time 10s --timeout 2s`; prints, per fake, the exit status, the wall-clock time (the bound is
# --time plus one --timeout, plus an interpreter's start), the findings on disk and their size.
# Usage: bash scripts/hostile-campaign.sh   (after cargo build --release)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
ws=$root/target/release/withstand
[ -x "$ws" ] || { echo "hostile-campaign: build first (cargo build --release)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

row() { # NAME PYTHON [VAR=VALUE...]
    local name=$1 py=$2
    shift 2
    local out="$work/$name"
    mkdir -p "$out"
    local t0 t1 rc n bytes
    t0=$(date +%s%N)
    env "$@" timeout 120 "$ws" run --quiet --no-shrink --time 10s --timeout 2s --jobs 2 --python "$py" --out "$out/f" >"$out/log" 2>&1
    rc=$?
    t1=$(date +%s%N)
    n=$(find -L "$out/f/latest" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l)
    bytes=$(du -sbL "$out/f" 2>/dev/null | cut -f1)
    printf "%-22s exit %-3s %5d ms  findings %-4s %10s bytes  | %s\n" "$name" "$rc" $(((t1 - t0) / 1000000)) "$n" "${bytes:-0}" \
        "$(tail -n 1 "$out/log" | cut -c1-90)"
}

fake=$root/cli/tests/fakes/python
row hang "$fake" WITHSTAND_FAKE=hang
row segv-at-5 "$fake" WITHSTAND_FAKE=segv-at=5
row flood-90k "$fake" WITHSTAND_FAKE=flood=90000
row big-return-3MB "$fake" WITHSTAND_FAKE=big-return=3000000
row lying-name "$fake" WITHSTAND_FAKE=no-exit-log "WITHSTAND_FAKE_NAME=cpython
print('injected')"
row slow-start-3s "$fake" WITHSTAND_FAKE=slow-start=3
for f in leaks crashes-then-refuses floods hangs starts-once python2; do
    mkdir -p "$work/bin-$f"
    cp "$root/oracle/src/runner/fakes/$f" "$work/bin-$f/python"
    chmod +x "$work/bin-$f/python"
    row "$f" "$work/bin-$f/python"
done
