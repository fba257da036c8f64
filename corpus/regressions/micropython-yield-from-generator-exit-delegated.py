# @generated from micropython-yield-from-generator-exit-delegated.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/micropython-yield-from-generator-exit-delegated.case
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
    yield from g1()

def g1():
    with M0():
        yield 'y42'

def main():
    drive('d45', g0(), 'throw', 1, GeneratorExit('r44'))


if __name__ == "__main__":
    _report(main)
