"""A hostile interpreter for cli/tests/hostile.rs, loaded by the `python` script beside it.

$WITHSTAND_FAKE is a comma-separated list of what to do; every count is per process:
  no-exit-log      the prelude's on_exit logs nothing (every exit a manager runs diverges)
  segv-at=N        the N-th program kills the interpreter with SIGSEGV
  hang             every program hangs
  flood=N          every program logs N more events before main runs
  big-return=N     every main returns a string of N characters (even one that raised)
  slow-start=S     sleep S seconds before the worker starts
$WITHSTAND_FAKE_NAME replaces sys.implementation.name, $WITHSTAND_FAKE_VERSION sys.version.
"""
import builtins
import os
import sys
import time
import types

_modes = dict(
    (m.split("=", 1) + [""])[:2] for m in os.environ.get("WITHSTAND_FAKE", "").split(",") if m
)
_compile = builtins.compile
_count = [0]

if "slow-start" in _modes:
    time.sleep(float(_modes["slow-start"]))
if "WITHSTAND_FAKE_NAME" in os.environ:
    _impl = types.SimpleNamespace(**vars(sys.implementation))
    _impl.name = os.environ["WITHSTAND_FAKE_NAME"]
    sys.implementation = _impl
if "WITHSTAND_FAKE_VERSION" in os.environ:
    sys.version = os.environ["WITHSTAND_FAKE_VERSION"]


def compile(source, filename, mode, *args, **kwargs):
    if filename == "<withstand-prelude>" and "no-exit-log" in _modes:
        text = source.decode() if isinstance(source, bytes) else source
        source = text.replace("def on_exit(mgr, t, v, tb):\n", "def on_exit(mgr, t, v, tb):\n    return\n")
    elif filename == "<withstand>":
        _count[0] += 1
        text = source.decode() if isinstance(source, bytes) else source
        if "segv-at" in _modes and _count[0] == int(_modes["segv-at"]):
            import signal

            os.kill(os.getpid(), signal.SIGSEGV)
        if "hang" in _modes:
            # Until withstand kills it, or is gone itself (then the fake leaves, not to linger).
            parent = os.getppid()
            while os.getppid() == parent:
                time.sleep(0.1)
            os._exit(0)
        if "flood" in _modes:
            text += "\nfor _i in range(%d):\n    log('F' + str(_i))\n" % int(_modes["flood"])
        if "big-return" in _modes:
            # `return` in `finally` drops what main raised: every program diverges, whatever the seed.
            text += "\n_main = main\ndef main():\n    try:\n        _main()\n    finally:\n        return 'x' * %d\n" % int(
                _modes["big-return"]
            )
        source = text
    return _compile(source, filename, mode, *args, **kwargs)


builtins.compile = compile
