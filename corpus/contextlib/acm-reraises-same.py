# @generated from acm-reraises-same.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/contextlib/acm-reraises-same.case
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
    finally:
        fin('f1')

async def main():
    async with c0():
        raise E1('r2')


if __name__ == "__main__":
    _report(main)
