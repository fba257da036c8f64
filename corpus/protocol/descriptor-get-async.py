# @generated from descriptor-get-async.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/protocol/descriptor-get-async.case
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
    @property
    def __aenter__(self):
        on_get('M0', '__aenter__')
        async def __aenter__():
            on_aenter('M0')
            return 5
        return __aenter__
    @property
    def __aexit__(self):
        on_get('M0', '__aexit__')
        async def __aexit__(t, v, tb):
            on_aexit('M0', t, v, tb)
            return None
        return __aexit__

async def main():
    async with M0() as x:
        show('x', x)


if __name__ == "__main__":
    _report(main)
