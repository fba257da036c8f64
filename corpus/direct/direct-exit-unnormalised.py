# @generated from direct-exit-unnormalised.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/direct/direct-exit-unnormalised.case
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
        return suppress_if(t, (E1,))

class M1:
    def __init__(self):
        on_init('M1')
    def __enter__(self):
        on_enter('M1')
        return 1
    def __exit__(self, t, v, tb):
        on_exit('M1', t, v, tb)
        raise v

def main():
    m1 = M0()
    show('d1', m1.__exit__(E2, None, None))
    m2 = M1()
    show('d2', m2.__exit__(E1, None, None))


if __name__ == "__main__":
    _report(main)
