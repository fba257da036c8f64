# @generated from yield-from-throw-handled.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/delegation/yield-from-throw-handled.case
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
        try:
            yield from g1()
        except:
            handler('h3')

def g1():
    yield 'y4'

def main():
    drive('d5', g0(), 'throw+throw', 1, E1('r6'))


if __name__ == "__main__":
    _report(main)
