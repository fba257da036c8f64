# @generated from acm-raises-other.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/contextlib/acm-raises-other.case
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
    try:
        yield 1
    except E1:
        handler('h1')
        raise KeyError('r2')

async def main():
    async with c0():
        raise E1('r3')


if __name__ == "__main__":
    _report(main)
