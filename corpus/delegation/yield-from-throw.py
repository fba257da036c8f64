# @generated from yield-from-throw.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/delegation/yield-from-throw.case
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
        raise KeyError('r1')
    except KeyError:
        handler('h2')
        yield from g1()

def g1():
    yield 'y3'

def main():
    drive('d4', g0(), 'throw', 1, E1('r5'))


if __name__ == "__main__":
    _report(main)
