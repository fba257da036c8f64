# @generated from mypyc-wrong-arity-exit-not-checked.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/mypyc-wrong-arity-exit-not-checked.case
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
    def __exit__(self):
        log('unreachable M0.__exit__')

def main():
    with M0():
        log('L1')


if __name__ == "__main__":
    _report(main)
