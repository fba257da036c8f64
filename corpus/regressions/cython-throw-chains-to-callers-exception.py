# @generated from cython-throw-chains-to-callers-exception.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/cython-throw-chains-to-callers-exception.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

def g0():
    try:
        yield 'y1'
    except:
        handler('h2')
        raise ValueError('r3')

def main():
    try:
        raise E1('r4')
    except:
        handler('h5')
        drive('d6', g0(), 'throw', 1, KeyError('r7'))


if __name__ == "__main__":
    _report(main)
