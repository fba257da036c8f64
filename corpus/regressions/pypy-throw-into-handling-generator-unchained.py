# @generated from pypy-throw-into-handling-generator-unchained.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/pypy-throw-into-handling-generator-unchained.case
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
        raise E1('r4')
    except:
        handler('h3')
        yield 'y6'

def main():
    drive('d8', g0(), 'throw', 1, GeneratorExit('r7'))


if __name__ == "__main__":
    _report(main)
