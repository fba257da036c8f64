# @generated from async-gen-aclose-throw.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/gen-api/async-gen-aclose-throw.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

async def g0():
    log('l1')
    yield 'y2'

async def main():
    try:
        await adrive('d3', g0(), 'aclose.throw', 0, E1('r4'))
    except E1 as e_h5:
        handler('h5')


if __name__ == "__main__":
    _report(main)
