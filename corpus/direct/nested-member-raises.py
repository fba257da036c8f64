# @generated from nested-member-raises.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/direct/nested-member-raises.case
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

class M1:
    def __init__(self):
        on_init('M1')
    def __enter__(self):
        on_enter('M1')
        return 1
    def __exit__(self, t, v, tb):
        on_exit('M1', t, v, tb)
        raise E3('r2')

class M2:
    def __init__(self):
        on_init('M2')
    def __enter__(self):
        on_enter('M2')
        raise KeyError('r3')
    def __exit__(self, t, v, tb):
        on_exit('M2', t, v, tb)
        return None

def main():
    try:
        with Nested(M0(), M1()):
            raise E1('r1')
    except E3:
        handler('h1')
    with Nested(M0(), M2()):
        log('L1')


if __name__ == "__main__":
    _report(main)
