# @generated from mypyc-throw-bad-args-crash.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/mypyc-throw-bad-args-crash.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

def g0():
    yield 'y1'

def main():
    drive('d2', g0(), 'throw', 1, (E1('abc'), 'foo'))


if __name__ == "__main__":
    _report(main)
