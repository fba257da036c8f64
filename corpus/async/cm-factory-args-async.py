# @generated from cm-factory-args-async.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/async/cm-factory-args-async.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

@asynccontextmanager
async def c0(self, func, *, args, kwds):
    show('self', self)
    show('func', func)
    show('args', args)
    show('kwds', kwds)
    yield (1, 2)

async def main():
    async with c0(self=11, func=22, args=33, kwds=44) as a:
        show('a', a)


if __name__ == "__main__":
    _report(main)
