# @generated from pypy-exit-stack-callback-consistent-traceback.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/pypy-exit-stack-callback-consistent-traceback.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        return self
    def __exit__(self, t, v, tb):
        on_exit('M0', t, v, tb)
        raise S1('r1')

@contextmanager
def c0():
    return
    yield  # unreachable: it makes c() a generator function

def main():
    with ExitStack() as s4:
        s4.push(Xf('x6', None))
        with M0(), M0():
            s4.push(c0())


if __name__ == "__main__":
    _report(main)
