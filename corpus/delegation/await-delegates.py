# @generated from await-delegates.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/delegation/await-delegates.case
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
        return self
    async def __aexit__(self, t, v, tb):
        on_aexit('M0', t, v, tb)
        await Aw('s1', True, None)
        return None

class M1:
    def __init__(self):
        on_init('M1')
    async def __aenter__(self):
        on_aenter('M1')
        return self
    async def __aexit__(self, t, v, tb):
        on_aexit('M1', t, v, tb)
        return None

async def g0():
    async with M0():
        x = await g1()
        show('x', x)

async def g1():
    async with M1():
        await Aw('s2', True, None)
    return ret('v3', 1)

def main():
    drive('d4', g0(), 'close', 1, None)


if __name__ == "__main__":
    _report(main)
