# @generated from async-gen-awaitable-throw-next-stopiteration.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/gen-api/async-gen-awaitable-throw-next-stopiteration.case
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
        yield StopIteration('y1')
    except E1:
        handler('h4')
        yield StopIteration('y3')

async def main():
    await adrive('d5', g0(), 'anext.throw+next', 1, E1)


if __name__ == "__main__":
    _report(main)
