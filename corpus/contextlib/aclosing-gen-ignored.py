# @generated from aclosing-gen-ignored.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/contextlib/aclosing-gen-ignored.case
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
        return True

async def g0():
    async with M0():
        yield 'y1'
    yield 'y2'
    await Aw('s3', True, None)
    raise KeyError('r4')

async def main():
    async with aclosing(g0()) as i5:
        await astep('d6', i5, 1)
    log('L7')


if __name__ == "__main__":
    _report(main)
