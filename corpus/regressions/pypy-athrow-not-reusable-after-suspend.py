# @generated from pypy-athrow-not-reusable-after-suspend.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/pypy-athrow-not-reusable-after-suspend.case
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
        yield 'y15'
    except:
        handler('h12')
        await Aw('s13', True, None)
        yield 'y14'

async def main():
    await adrive('d16', g0(), 'throw+again', 1, E1('r11'))


if __name__ == "__main__":
    _report(main)
