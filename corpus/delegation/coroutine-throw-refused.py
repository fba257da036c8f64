# @generated from coroutine-throw-refused.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/delegation/coroutine-throw-refused.case
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
        return None

async def g0():
    try:
        await g1()
    except TypeError as e_h1:
        handler('h1')
    return ret('v2', 1)

async def g1():
    async with M0():
        await Aw('s3', True, None)

def main():
    try:
        raise E1('r4')
    except E1:
        handler('h5')
        drive('d6', g0(), 'throw', 1, (E1, 'foo', 23))


if __name__ == "__main__":
    _report(main)
