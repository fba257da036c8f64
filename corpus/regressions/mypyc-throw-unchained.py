# @generated from mypyc-throw-unchained.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/mypyc-throw-unchained.case
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
        raise E1('r1')
    except E1:
        handler('h3')
        yield 'y2'

def main():
    drive('d3', g0(), 'throw', 1, E3('r4'))


if __name__ == "__main__":
    _report(main)
