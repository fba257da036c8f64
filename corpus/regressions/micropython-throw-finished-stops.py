# @generated from micropython-throw-finished-stops.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/micropython-throw-finished-stops.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

def g0():
    yield 'y13'

def main():
    drive('d15', g0(), 'all+throw', 0, E1('r14'))


if __name__ == "__main__":
    _report(main)
