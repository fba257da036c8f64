# @generated from async-gen-awaitable-throw-reused.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/gen-api/async-gen-awaitable-throw-reused.case
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
        yield 'y1'
    except E1:
        handler('h2')
        yield 'y3'
    yield 'y4'

async def main():
    await adrive('d5', g0(), 'anext.throw+again', 1, E1('r6'))


if __name__ == "__main__":
    _report(main)
