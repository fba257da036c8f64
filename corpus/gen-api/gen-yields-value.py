# @generated from gen-yields-value.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/gen-api/gen-yields-value.case
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
        yield (1,)
    except E1:
        handler('h1')
        yield StopIteration('y2')
    yield 3

async def main():
    await adrive('d3', g0(), 'throw+close', 1, E1('r4'))


if __name__ == "__main__":
    _report(main)
