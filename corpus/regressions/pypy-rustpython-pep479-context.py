# @generated from pypy-rustpython-pep479-context.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/pypy-rustpython-pep479-context.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

def g0():
    yield 'y11'

def main():
    try:
        raise E1('r15')
    except:
        handler('h14')
        drive('d13', g0(), 'throw', 1, StopIteration('r12'))


if __name__ == "__main__":
    _report(main)
