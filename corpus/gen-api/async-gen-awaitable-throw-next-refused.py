# @generated from async-gen-awaitable-throw-next-refused.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/gen-api/async-gen-awaitable-throw-next-refused.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

async def g0():
    yield 'y1'
    yield 'y2'

async def main():
    await adrive('d3', g0(), 'aclose.throw+next', 0, 'abc')


if __name__ == "__main__":
    _report(main)
