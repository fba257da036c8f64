# @generated from async-gen-athrow-finished.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/gen-api/async-gen-athrow-finished.case
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

async def g0():
    with M0():
        yield 'y1'

async def main():
    await adrive('d2', g0(), 'all+throw', 0, E1('r3'))


if __name__ == "__main__":
    _report(main)
