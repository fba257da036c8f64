# @generated from cm-reentered.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/contextlib/cm-reentered.case
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
    yield 1

def main():
    m1 = c0()
    with m1:
        log('L2')
    with m1:
        log('L3')


if __name__ == "__main__":
    _report(main)
