# withstand batch driver: the per-program transport (oracle/src/runner/batch.rs owns the other end).
# One process runs this file as a standalone script and exits. The runner writes, above this
# text, four names: _M (a marker no program prints), _PRELUDE (the prelude's source), _PROGRAMS
# (the programs' sources) and _STREAM: when it is true, more programs follow on stdin, each as
# its length in characters, a newline, then the source (the worker's framing, counted in
# characters, which every implementation's text stdin reads), until stdin ends. For
# interpreters that cannot host the persistent worker
# (no os.dup or os.fdopen: MicroPython), so it uses only what the prelude itself needs: exec,
# dicts, and writing to stdout. Each program runs in a fresh copy of the prelude's namespace,
# exactly as the worker runs it, and its answer is one line on stdout:
#
#   <_M>hello {"implementation": ..., "version": [...], "version_string": ..., "capabilities": {...}}
#   <_M>prelude-error "<traceback>"
#   <_M><index> {"events": [...], "outcome": [...]}        (the worker's answer, as JSON)
#   <_M>done
#
# Anything else on stdout is not the driver's and is ignored. A MemoryError anywhere exits with
# status 86, as the worker does. The runner owns every timeout: this script never decides that a
# program failed.
import sys

OUT_OF_MEMORY = 86


def _write(text):
    # A newline first: a program that printed without one cannot glue its text to the marker.
    sys.stdout.write("\n" + _M + text + "\n")
    flush = getattr(sys.stdout, "flush", None)
    if flush is not None:
        flush()


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _string(s):
    out = ['"']
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
            continue
        o = ord(ch)
        if 0x20 <= o < 0x7F:
            out.append(ch)
        elif o < 0x10000:
            out.append("\\u%04x" % o)
        else:
            o -= 0x10000
            out.append("\\u%04x\\u%04x" % (0xD800 + (o >> 10), 0xDC00 + (o & 0x3FF)))
    out.append('"')
    return "".join(out)


def _json(x):
    # JSON without the json module (some implementations lack it or print it otherwise), ASCII
    # only: the shapes answers are made of.
    if x is None:
        return "null"
    if x is True:
        return "true"
    if x is False:
        return "false"
    if isinstance(x, str):
        return _string(x)
    if isinstance(x, int):
        return str(x)
    if isinstance(x, (list, tuple)):
        return "[" + ",".join([_json(y) for y in x]) + "]"
    if isinstance(x, dict):
        return "{" + ",".join([_string(str(k)) + ":" + _json(v) for k, v in x.items()]) + "}"
    raise TypeError("cannot encode %r" % (x,))


def _error_text(e):
    try:
        import traceback

        return traceback.format_exc()
    except BaseException:
        pass
    try:
        import io

        buf = io.StringIO()
        sys.print_exception(e, buf)
        return buf.getvalue()
    except BaseException:
        return "%s: %s" % (type(e).__name__, e)


def _compile(src, name):
    c = globals().get("compile")
    if c is None:
        try:
            import builtins

            c = getattr(builtins, "compile", None)
        except ImportError:
            pass
    if c is None:
        return src
    return c(src, name, "exec")


def _main():
    # The prelude runs as `__main__`, as the programs do (see worker.py).
    P = {"__name__": "__main__"}
    try:
        exec(_compile(_PRELUDE, "<withstand-prelude>"), P)
        T = P["_T"]
        reset = P["_reset"]
        chain = P["_chain"]
        outcome_of = P["_outcome"]
        capabilities = P["_capabilities"]()
    except MemoryError:
        raise
    except BaseException as e:
        _write("prelude-error " + _string(_error_text(e)))
        return
    impl = getattr(sys, "implementation", None)
    name = impl.name if impl is not None else "unknown"
    v = sys.version_info
    hello = {
        "implementation": name,
        "version": [v[0], v[1], v[2]],
        "version_string": sys.version,
        "capabilities": capabilities,
    }
    _write("hello " + _json(hello))
    base = {}
    for k in P:
        if not k.startswith("__"):
            base[k] = P[k]
    base["__name__"] = "__main__"
    i = 0
    while True:
        if i < len(_PROGRAMS):
            src = _PROGRAMS[i]
        elif _STREAM:
            src = _receive()
            if src is None:
                break
        else:
            break
        try:
            ns = base.copy()
            reset()
            try:
                code = _compile(src, "<withstand>")
            except BaseException as e:
                # A SyntaxError's message without its place, as the worker answers it.
                msg = getattr(e, "msg", None) if isinstance(e, SyntaxError) else None
                outcome = ["compile", "%s: %s" % (type(e).__name__, msg if isinstance(msg, str) else e)]
            else:
                try:
                    exec(code, ns)
                except BaseException as e:
                    outcome = ["raise", chain(e)]
                else:
                    outcome = outcome_of(ns["main"])
            line = _json({"events": T, "outcome": outcome})
        except MemoryError:
            raise
        except BaseException as e:
            # The program broke the instrumentation itself: the runner reports a malformed answer.
            line = _json({"error": _error_text(e)})
        if '"MemoryError"' in line:
            raise MemoryError("seen in the trace")
        _write("%d %s" % (i, line))
        i += 1
    _write("done")


def _receive():
    head = sys.stdin.readline()
    if not head:
        return None
    n = int(head)
    src = sys.stdin.read(n)
    if len(src) != n:
        return None
    return src


try:
    _main()
except MemoryError:
    try:
        sys.stderr.write("withstand batch: MemoryError\n")
    finally:
        raise SystemExit(OUT_OF_MEMORY)
