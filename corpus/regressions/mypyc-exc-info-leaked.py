# @generated from mypyc-exc-info-leaked.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/mypyc-exc-info-leaked.case
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
    except GeneratorExit:
        handler('h2')
        raise E3('r3')

def main():
    drive('d4', g0(), 'close', 1, None)


if __name__ == "__main__":
    _report(main)
