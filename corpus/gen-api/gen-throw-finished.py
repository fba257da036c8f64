# @generated from gen-throw-finished.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/gen-api/gen-throw-finished.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        return self
    def __exit__(self, t, v, tb):
        on_exit('M0', t, v, tb)
        return None

def g0():
    with M0():
        yield 'y1'

def main():
    try:
        raise E1('r2')
    except E1:
        handler('h3')
        drive('d4', g0(), 'close+throw', 1, StopIteration('r5'))


if __name__ == "__main__":
    _report(main)
