# @generated from async-gen-exhausted-next.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/gen-api/async-gen-exhausted-next.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

async def g0():
    yield 'y1'
    await Aw('s2', True, None)
    yield 'y3'

async def main():
    await adrive('d4', g0(), 'all+next', 0, None)


if __name__ == "__main__":
    _report(main)
