# @generated from async-gen-athrow-reusable.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/gen-api/async-gen-athrow-reusable.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

class M0:
    def __init__(self):
        on_init('M0')
    async def __aenter__(self):
        on_aenter('M0')
        return self
    async def __aexit__(self, t, v, tb):
        on_aexit('M0', t, v, tb)
        await Aw('a1', True, None)
        return True

async def g0():
    async with M0():
        yield 'y2'
    yield 'y3'
    try:
        yield 'y4'
    finally:
        fin('f5')

async def main():
    await adrive('d6', g0(), 'throw+again', 1, E1('r7'))


if __name__ == "__main__":
    _report(main)
