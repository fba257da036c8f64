# @generated from target-subscript-nested.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/targets/target-subscript-nested.case
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
        return (1, 2)
    def __exit__(self, t, v, tb):
        on_exit('M0', t, v, tb)
        return None

def main():
    with M0() as Sink('o1', None)['j']['k']:
        log('l2')
    with M0() as (Sink('o3', None)['j'].a, Sink('o4', E1)['j']['k']):
        log('l5')


if __name__ == "__main__":
    _report(main)
