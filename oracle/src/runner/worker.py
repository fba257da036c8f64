# withstand worker, protocol 1: the driver script a persistent interpreter runs.
# It is passed with `python -u -c`; oracle/src/runner/mod.rs owns the other end.
#
# Requests (stdin): ASCII decimal byte length, "\n", then that many bytes of UTF-8 source.
# Responses (a private copy of the original stdout): one JSON line each, ASCII only.
# The first request is the prelude, executed once; its answer carries the prelude's capability
# report (`_capabilities()`). Every later request is a program, or (a request starting with
# IMPORT, then JSON {"path", "module", "async"}) a compiled program: its module is imported from
# that directory and its `main` run, the prelude being the module withstand_prelude. A program
# that does not compile is answered with the exception's type and message (a SyntaxError's `msg`,
# without the file name and line).
# This script never decides that a run failed: timeouts and crashes are the runner's business.
# Two exits are signals to the runner: a MemoryError anywhere (the program's outcome or events,
# or the driver itself) exits with status 86, so that a worker that hit its memory limit is told
# apart from one that crashed.
# Keep it plain Python (no f-strings, no walrus) up to the handshake: it must start on old and odd
# implementations, Python 2 included, so that the runner can say why it refuses them.
import os
import sys

OUT_OF_MEMORY = 86
IMPORT = b"#withstand:import "


def _serve():
    import json

    # The channel is a private duplicate of fd 1; fd 1 and sys.stdout then point at stderr, so
    # nothing a program prints, at any level, can reach the channel.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    # Requests likewise come from a private duplicate of fd 0; fd 0 becomes /dev/null, so a
    # program that reads its stdin cannot swallow the next request.
    inp = os.fdopen(os.dup(0), "rb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)

    encode = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode
    write = out.write
    flush = out.flush
    readline = inp.readline
    read = inp.read

    def send(obj):
        write((encode(obj) + "\n").encode("ascii"))
        flush()

    def receive():
        head = readline()
        if not head:
            return None
        n = int(head)
        body = read(n)
        if len(body) != n:
            return None
        return body

    def error_text():
        import traceback

        return traceback.format_exc()

    v = sys.version_info
    impl = getattr(sys, "implementation", None)
    if impl is not None:
        name = impl.name
    else:
        import platform

        name = platform.python_implementation().lower()
    send({"proto": 1, "implementation": name, "version": [v[0], v[1], v[2]], "version_string": sys.version})
    if v[0] < 3:
        # The runner refuses Python 2 on this handshake; nothing below would run there.
        return

    import builtins

    src = receive()
    if src is None:
        return
    # Both the prelude and the programs run as `__main__`, as a standalone program does, so that
    # what names a class by its module (contextlib's messages, 3.14's %T) reads the same.
    P = {"__name__": "__main__", "__builtins__": builtins}
    try:
        exec(compile(src, "<withstand-prelude>", "exec"), P)
        T = P["_T"]
        reset = P["_reset"]
        chain = P["_chain"]
        outcome_of = P["_outcome"]
        # What the implementation has of what programs use (oracle::capability).
        capabilities = P["_capabilities"]()
    except BaseException:
        send({"error": error_text()})
        return
    base = {k: v for k, v in P.items() if not k.startswith("__")}
    base["__name__"] = "__main__"
    base["__builtins__"] = builtins
    send({"ok": True, "capabilities": capabilities})
    # The prelude's objects live as long as the worker: keep the cyclic collector off them.
    if hasattr(__import__("gc"), "freeze"):
        __import__("gc").freeze()

    paths = []  # the directory of compiled modules on sys.path, if any

    def run_compiled(req):
        # A compiled program's module imports the prelude from withstand_prelude: this one.
        if "withstand_prelude" not in sys.modules:
            m = type(sys)("withstand_prelude")
            m.__dict__.update({k: v for k, v in P.items() if not k.startswith("__")})
            sys.modules["withstand_prelude"] = m
        if req["path"] not in paths:
            for p in paths:
                sys.path.remove(p)
            paths[:] = [req["path"]]
            sys.path.insert(0, req["path"])
        try:
            mod = __import__(req["module"], fromlist=["main"])
            main = mod.main
        except BaseException as e:
            return ["compile", "import failed: %s: %s" % (type(e).__name__, e)]
        # Its classes say they come from `__main__`, as an exec'd program's do.
        for v in list(vars(mod).values()):
            if isinstance(v, type) and v.__module__ == mod.__name__:
                try:
                    v.__module__ = "__main__"
                except BaseException:
                    pass
        outcome = outcome_of(main, req["async"])
        # What the program left in reference cycles is finalized now, in its own trace, not in a
        # later program's: a compiled generator can be such garbage where CPython's own is freed
        # when the program lets go of it (Cython's async generators, seen in a batch replay).
        __import__("gc").collect()
        return outcome

    # The hot loop: read a frame, compile, run, answer.
    while True:
        src = receive()
        if src is None:
            return
        try:
            ns = base.copy()
            reset()
            if src.startswith(IMPORT):
                outcome = run_compiled(json.loads(src[len(IMPORT):].decode("utf-8")))
            else:
                try:
                    code = compile(src, "<withstand>", "exec")
                except BaseException as e:
                    # A SyntaxError's message without its place: "(<withstand>, line 3)" depends on
                    # how the program was rendered, which the model does not know.
                    msg = e.msg if isinstance(e, SyntaxError) and isinstance(e.msg, str) else e
                    outcome = ["compile", "%s: %s" % (type(e).__name__, msg)]
                else:
                    try:
                        exec(code, ns)
                    except BaseException as e:
                        outcome = ["raise", chain(e)]
                    else:
                        outcome = outcome_of(ns["main"])
            line = encode({"events": T, "outcome": outcome})
        except MemoryError:
            raise
        except BaseException:
            # The program broke the instrumentation itself (no `main`, unencodable events...).
            # The runner reports this as a malformed answer.
            line = encode({"error": error_text()})
        if '"MemoryError"' in line:
            # The program ran out of memory (and maybe caught it): not a trace to compare.
            raise MemoryError("seen in the trace")
        write((line + "\n").encode("ascii"))
        flush()


try:
    _serve()
except MemoryError:
    try:
        sys.stderr.write("withstand worker: MemoryError\n")
        sys.stderr.flush()
    finally:
        os._exit(OUT_OF_MEMORY)
