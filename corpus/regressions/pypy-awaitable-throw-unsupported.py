# @generated from pypy-awaitable-throw-unsupported.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/pypy-awaitable-throw-unsupported.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

async def g0():
    try:
        yield 'y21'
    except E1:
        handler('h20')

async def main():
    await adrive('d23', g0(), 'aclose.throw', 1, E1)


if __name__ == "__main__":
    _report(main)
