# @generated from rustpython-protocol-hint-calls-getter.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/rustpython-protocol-hint-calls-getter.case
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
    def __enter__(self):
        on_enter('M0')
        return self
    @property
    def __exit__(self):
        on_get('M0', '__exit__')
        def __exit__(t, v, tb):
            on_exit('M0', t, v, tb)
            return None
        return __exit__
    async def __aenter__(self):
        on_aenter('M0')
        return self

async def main():
    async with M0():
        pass


if __name__ == "__main__":
    _report(main)
