#!/bin/bash -eu
# Builds the in-process fuzz targets for ClusterFuzzLite / OSS-Fuzz, as OSS-Fuzz expects for a
# Rust project: cargo fuzz builds them with the sanitizer and libFuzzer of the image, the
# binaries go to $OUT, and each gets a seed corpus made from the repository's corpus/.
#
# `differential` is not built: it needs a CPython worker, which the fuzzing environment does
# not promise. Run it on a developer machine or in CI (README.md, "Fuzzing").
set -eu
cd "$SRC/withstand"

TARGETS="model roundtrip"

# -O with debug assertions: overflow checks stay on in the model, as in `cargo fuzz run`.
for target in $TARGETS; do
    cargo fuzz build -O --debug-assertions "$target"
done

seeds="$WORK/withstand-seeds"
rm -rf "$seeds"
FUZZ_CORPUS_DIR="$seeds" bash scripts/fuzz-seed.sh $TARGETS
for target in $TARGETS; do
    cp "fuzz/target/x86_64-unknown-linux-gnu/release/$target" "$OUT/"
    if [ -d "$seeds/$target" ] && [ -n "$(ls -A "$seeds/$target")" ]; then
        (cd "$seeds/$target" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
    fi
    cp fuzz/withstand.dict "$OUT/$target.dict"
done
