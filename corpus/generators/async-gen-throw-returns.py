# @generated from async-gen-throw-returns.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/generators/async-gen-throw-returns.case
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
    except:
        handler('h2')

async def main():
    await adrive('d3', g0(), 'throw', 1, E1('r4'))


if __name__ == "__main__":
    _report(main)
