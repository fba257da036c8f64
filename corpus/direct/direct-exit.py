# @generated from direct-exit.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/direct/direct-exit.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

@contextmanager
def c0():
    log('L1')
    yield 1
    log('L2')

def main():
    m1 = c0()
    show('d1', m1.__enter__())
    show('d2', m1.__exit__(TypeError, TypeError('x1'), None))
    show('d3', m1.__exit__(None, None, None))


if __name__ == "__main__":
    _report(main)
