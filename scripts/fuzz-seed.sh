#!/usr/bin/env bash
# Seeds libFuzzer's corpora from the repository's regression corpus: every corpus/**/*.case
# becomes fuzz/corpus/<target>/case-<topic>-<name>, in the fuzz-input text form (the line
# `#withstand-program`, then the case file; its `# key: value` header is a comment to the parser).
#
# Usage: scripts/fuzz-seed.sh [TARGET...]     (default: model roundtrip differential)
# Environment: FUZZ_CORPUS_DIR overrides fuzz/corpus (ClusterFuzzLite's build.sh uses it).
# Re-running refreshes the seeds; inputs libFuzzer added itself are left alone. A case whose
# header has `# known-divergence:` is not seeded into `differential`, which would stop on it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
corpus="$root/corpus"
out="${FUZZ_CORPUS_DIR:-$root/fuzz/corpus}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(model roundtrip differential)
fi

if [ ! -d "$corpus" ]; then
    echo "fuzz-seed: no corpus/ directory in $root: nothing to seed from; libFuzzer starts from scratch" >&2
    exit 0
fi
mapfile -d '' cases < <(find "$corpus" -type f -name '*.case' -print0 | sort -z)
if [ ${#cases[@]} -eq 0 ]; then
    echo "fuzz-seed: corpus/ has no *.case files yet: nothing to seed from; libFuzzer starts from scratch" >&2
    exit 0
fi

skipped=0
for target in "${targets[@]}"; do
    mkdir -p "$out/$target"
    for case in "${cases[@]}"; do
        if [ "$target" = differential ] && grep -q '^# known-divergence:' "$case"; then
            skipped=$((skipped + 1))
            continue
        fi
        rel="${case#"$corpus"/}"
        name="case-$(printf '%s' "${rel%.case}" | tr '/' '-')"
        { printf '#withstand-program\n'; cat "$case"; } >"$out/$target/$name"
    done
done
echo "fuzz-seed: ${#cases[@]} case(s) from corpus/ seeded into $out/{$(IFS=,; echo "${targets[*]}")}"
if [ "$skipped" -gt 0 ]; then
    echo "fuzz-seed: $skipped known-divergence case(s) left out of differential"
fi
