# @generated from pypy-throw-bad-args-message.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/pypy-throw-bad-args-message.case
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
    drive('d7', g0(), 'throw', 0, 'abc')


if __name__ == "__main__":
    _report(main)
