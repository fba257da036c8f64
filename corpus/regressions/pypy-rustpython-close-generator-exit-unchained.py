# @generated from pypy-rustpython-close-generator-exit-unchained.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/pypy-rustpython-close-generator-exit-unchained.case
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
        yield 'y8'
    except:
        handler('h7')

def main():
    try:
        raise E1('r11')
    except:
        handler('h10')
        drive('d9', g0(), 'close', 1, None)


if __name__ == "__main__":
    _report(main)
