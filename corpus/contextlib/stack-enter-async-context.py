# @generated from stack-enter-async-context.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/contextlib/stack-enter-async-context.case
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
        await Aw('s1', True, None)
        return 5
    async def __aexit__(self, t, v, tb):
        on_aexit('M0', t, v, tb)
        return True

async def main():
    async with AsyncExitStack() as s2:
        x = await s2.enter_async_context(M0())
        show('x', x)
        raise E1('r3')
    log('L4')


if __name__ == "__main__":
    _report(main)
