# @generated from direct-enter.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/direct/direct-enter.case
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
    async def __aenter__(self):
        on_aenter('M0')
        return self
    async def __aexit__(self, t, v, tb):
        on_aexit('M0', t, v, tb)
        return None

class M1(M0):
    def __init__(self):
        on_init('M1')

async def main():
    m1 = M1()
    show('d1', await m1.__aenter__())
    async with m1 as x:
        show('x', x)


if __name__ == "__main__":
    _report(main)
