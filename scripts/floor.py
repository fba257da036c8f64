"""The throughput floor: CPython's own in-process cost of the programs withstand runs.

Loads the prelude once, then for each rendered program does exactly what the worker driver
(oracle/src/runner/worker.py) does: fresh namespace, compile(), exec(), run main(), encode the
trace as JSON; but with no process boundary and no I/O. `withstand run` can at best approach
this figure.

usage: withstand gen --jsonl --count 20000 --seed 1 > programs.jsonl
       python3 scripts/floor.py programs.jsonl

`withstand bench --floor` runs this file with `--serve` on the interpreter under test, and
measures it on the same programs as the worker, chunk by chunk, alternating the two so that a
busy machine slows both alike. In that mode it reads framed requests on stdin (as the worker
does: a decimal byte length, a newline, the bytes): the prelude first, then for each chunk a line
with the number of programs followed by that many programs; it answers each chunk with one line,
the seconds the chunk took, then the CPU seconds.
"""
import builtins
import gc
import json
import os
import sys
import time


def load(prelude_source):
    """The prelude's namespace and the base of every program's namespace, as the worker makes them."""
    P = {"__name__": "__main__", "__builtins__": builtins}
    exec(compile(prelude_source, "<withstand-prelude>", "exec"), P)
    base = {k: v for k, v in P.items() if not k.startswith("__")}
    base["__name__"] = "__main__"
    base["__builtins__"] = builtins
    # As the worker does: the prelude's objects live as long as the process.
    if hasattr(gc, "freeze"):
        gc.freeze()
    return P, base


def measure(programs, P, base, run_main=True, clock=time.perf_counter):
    """Seconds to run `programs` (source strings) as the worker would, without the I/O."""
    reset = P["_reset"]
    outcome_of = P["_outcome"]
    chain = P["_chain"]
    T = P["_T"]
    encode = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode
    t0 = clock()
    for src in programs:
        ns = base.copy()
        reset()
        try:
            code = compile(src, "<withstand>", "exec")
        except SyntaxError as e:
            # A program CPython refuses to compile (SEMANTICS-ADDENDUM §8.5-§8.7), as the worker answers it.
            encode({"events": T, "outcome": ["compile", "%s: %s" % (type(e).__name__, e.msg)]})
            continue
        if run_main:
            try:
                exec(code, ns)
            except BaseException as e:
                outcome = ["raise", chain(e)]
            else:
                outcome = outcome_of(ns["main"])
            encode({"events": T, "outcome": outcome})
    return clock() - t0


def serve():
    inp = sys.stdin.buffer
    out = sys.stdout

    def frame():
        n = int(inp.readline())
        return inp.read(n).decode("utf-8")

    P, base = load(frame())
    while True:
        head = inp.readline()
        if not head.strip():
            return
        programs = [frame() for _ in range(int(head))]
        c0 = time.process_time()
        wall = measure(programs, P, base)
        out.write("%r %r\n" % (wall, time.process_time() - c0))
        out.flush()


def main(path):
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "oracle", "src", "render", "prelude.py")) as f:
        P, base = load(f.read())
    with open(path) as f:
        programs = [json.loads(line) for line in f if line.strip()]
    lines = sum(p.count("\n") for p in programs)
    compile_only = measure(programs, P, base, False)
    full = measure(programs, P, base, True)
    n = len(programs)
    print(
        "%d programs, %.1f lines each on average, %s %s"
        % (n, lines / n, sys.implementation.name, sys.version.split()[0])
    )
    print("compile only:                 %8.0f programs/s (%6.1f us each)" % (n / compile_only, compile_only / n * 1e6))
    print("compile + exec + main + json: %8.0f programs/s (%6.1f us each)  <- the floor" % (n / full, full / n * 1e6))


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        main(sys.argv[1])
