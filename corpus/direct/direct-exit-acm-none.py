# @generated from direct-exit-acm-none.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/direct/direct-exit-acm-none.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

@asynccontextmanager
async def c0():
    log('L1')
    yield 1
    log('L2')

@asynccontextmanager
async def c1():
    try:
        yield 2
    except RuntimeError:
        handler('h1')
        raise E1('r1')

async def main():
    m1 = c0()
    show('d1', await m1.__aenter__())
    show('d2', await m1.__aexit__(TypeError, TypeError('x1'), None))
    m2 = c0()
    show('d3', await m2.__aenter__())
    show('d4', await m2.__aexit__(None, None, None))
    m3 = c1()
    show('d5', await m3.__aenter__())
    show('d6', await m3.__aexit__(RuntimeError, None, None))


if __name__ == "__main__":
    _report(main)
