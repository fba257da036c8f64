# @generated from deco-async-callable.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/decorators/deco-async-callable.case
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
    yield None
    log('L2')

async def main():
    @c0()
    async def f0(n, k):
        show('n', n)
        show('k', k)
        if n:
            await f0(n - 1, k=k + 1)
        return ret('v3', 'a')
    x = await f0(0, k=0)
    show('x', x)


if __name__ == "__main__":
    _report(main)
