# @generated from aclosing-gen.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/contextlib/aclosing-gen.case
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
        yield 'y2'
    finally:
        fin('f3')

async def main():
    async with aclosing(g0()) as i4:
        await astep('d5', i4, 1)
        log('L6')


if __name__ == "__main__":
    _report(main)
