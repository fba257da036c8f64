# @generated from nested-enters.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/direct/nested-enters.case
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
        return None

@contextmanager
def c0():
    log('L1')
    yield 2
    log('L2')

def main():
    with Nested(M0(), c0(), M0()) as (a, b, c):
        show('b', b)
    with Nested(c0()) as x:
        show('x', x)
    with Nested(M0()) as (y):
        show('y', y)


if __name__ == "__main__":
    _report(main)
