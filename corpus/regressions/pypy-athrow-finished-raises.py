# @generated from pypy-athrow-finished-raises.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/pypy-athrow-finished-raises.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

async def g0():
    yield 'y'

async def main():
    await adrive('d10', g0(), 'close+throw', 0, E1)


if __name__ == "__main__":
    _report(main)
