#!/usr/bin/env python3
"""Which known entries each root cause of a campaign is, to audit triage against the known file.

    scripts/entries-per-root-cause.py PLAIN KNOWN

PLAIN is a run directory (or a `merge --out` directory) of a campaign without --known, KNOWN one
of the same campaign (same interpreter, seed and --cases) with it; each holds report.json.
Prints one line per root cause of PLAIN (its joined root causes included): how many of its
findings each entry of KNOWN took (None: new). A root cause a person would call one bug is one
entry; `mixed` marks the others. Exits 1 when the two are not the same campaign.
"""
import collections
import json
import os
import sys


def report(d):
    path = os.path.join(d, "report.json")
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"entries-per-root-cause: cannot read {path}: {e}")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    plain, known = report(sys.argv[1]), report(sys.argv[2])
    same = lambda r: (r["run"]["seed"], r["run"]["cases"], r["run"]["profile"])  # noqa: E731
    if same(plain) != same(known):
        print(f"entries-per-root-cause: not the same campaign: {same(plain)} vs {same(known)}", file=sys.stderr)
        sys.exit(1)
    entry = {f["index"]: f["known"] for f in known["findings"]}
    for rc in plain["root_causes"]:
        names = {rc["name"]} | {j["name"] for j in rc.get("joined") or []}
        # Where the report says where each finding is counted (a no-rule root cause is joined
        # finding by finding), that; else by the names of the joined root causes.
        def counted(f):
            return f["counted_in"] == rc["name"] if f.get("counted_in") else f["root_cause"] in names

        counts = collections.Counter(entry.get(f["index"]) for f in plain["findings"] if counted(f))
        shown = ", ".join(f"{e}: {n}" for e, n in counts.most_common())
        print(f"{rc['name']:45} {shown}{'   mixed' if len(counts) > 1 else ''}")
    print(f"{len(plain['root_causes'])} root causes; {len({f['known'] for f in known['findings']})} entries and new met")


main()
