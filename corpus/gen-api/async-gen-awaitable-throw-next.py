# @generated from async-gen-awaitable-throw-next.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/gen-api/async-gen-awaitable-throw-next.case
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
    await Aw('s2', True, None)
    try:
        yield 'y3'
        yield 'y4'
    except E1:
        handler('h5')
        yield 1000
    await Aw('s6', True, None)
    yield 4

async def main():
    await adrive('d7', g0(), 'anext.throw+next', 2, E1)


if __name__ == "__main__":
    _report(main)
