# @generated from callable-not-descriptor.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/protocol/callable-not-descriptor.case
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
    __enter__ = Fn('M0', '__enter__', 7)
    __exit__ = Fn('M0', '__exit__', True)

def main():
    with M0() as x:
        show('x', x)
        raise E1('r1')
    log('L2')


if __name__ == "__main__":
    _report(main)
