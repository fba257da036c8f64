# @generated from pypy-throw-chains-to-callers-exception.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/pypy-throw-chains-to-callers-exception.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

def g0():
    yield 'y4'

def main():
    try:
        drive('d27', g0(), 'throw', 1, E1('r26'))
    except:
        handler('h29')
        drive('d32', g0(), 'throw', 1, E1('r31'))


if __name__ == "__main__":
    _report(main)
