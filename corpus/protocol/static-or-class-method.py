# @generated from static-or-class-method.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/protocol/static-or-class-method.case
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
    @staticmethod
    def __enter__():
        on_enter('M0')
        return 3
    @classmethod
    def __exit__(cls, t, v, tb):
        on_exit('M0', t, v, tb)
        return suppress_if(t, (E1,))

def main():
    with M0() as x:
        show('x', x)
        raise E2('r1')
    log('L2')


if __name__ == "__main__":
    _report(main)
