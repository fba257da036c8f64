# @generated from contextlib-manager.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/contextlib/contextlib-manager.case
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
    yield 5
    log('L2')

def main():
    with c0() as x:
        show('x', x)


if __name__ == "__main__":
    _report(main)
