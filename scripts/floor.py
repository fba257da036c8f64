"""The throughput floor: CPython's own in-process cost of the programs withstand runs.

Loads the prelude once, then for each rendered program does exactly what the worker does
(fresh namespace, compile(), exec(), run main(), collect the trace) but with no process
boundary and no I/O. `withstand run` can at best approach this figure.

usage: withstand gen --jsonl --count 20000 --seed 1 > programs.jsonl
       python3 scripts/floor.py programs.jsonl
"""
import json
import os
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
prelude_path = os.path.join(here, "..", "oracle", "src", "render", "prelude.py")
with open(prelude_path) as f:
    P = {}
    exec(compile(f.read(), "<prelude>", "exec"), P)
base = {k: v for k, v in P.items() if not k.startswith("__")}
base["__name__"] = "__main__"
base["__builtins__"] = __builtins__

with open(sys.argv[1]) as f:
    programs = [json.loads(line) for line in f if line.strip()]
lines = sum(p.count("\n") for p in programs)


def measure(run_main):
    t0 = time.perf_counter()
    for src in programs:
        ns = dict(base)
        P["_reset"]()
        code = compile(src, "<withstand>", "exec")
        if run_main:
            exec(code, ns)
            json.dumps({"events": P["_T"], "outcome": P["_outcome"](ns["main"])})
    return time.perf_counter() - t0


compile_only = measure(False)
full = measure(True)
n = len(programs)
print(f"{n} programs, {lines / n:.1f} lines each on average, {sys.implementation.name} {sys.version.split()[0]}")
print(f"compile only:                {n / compile_only:8.0f} programs/s ({compile_only / n * 1e6:6.1f} us each)")
print(f"compile + exec + main + json: {n / full:8.0f} programs/s ({full / n * 1e6:6.1f} us each)  <- the floor")
