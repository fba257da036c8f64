# @generated from deco-async.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/decorators/deco-async.case
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
    try:
        yield None
    finally:
        fin('f2')

async def main():
    class F0:
        @c0()
        async def f0(self, n, k):
            show('n', n)
            show('k', k)
            if n:
                await self.f0(n - 1, k=k + 1)
            raise E1('r3')
    await F0().f0(1, k=0)


if __name__ == "__main__":
    _report(main)
