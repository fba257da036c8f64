# @generated from rustpython-throw-unstarted-pep479.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/rustpython-throw-unstarted-pep479.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

async def g0():
    yield 'y16'

async def main():
    await adrive('d18', g0(), 'throw', 0, StopAsyncIteration('r17'))


if __name__ == "__main__":
    _report(main)
