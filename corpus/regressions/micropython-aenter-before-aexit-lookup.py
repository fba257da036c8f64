# @generated from micropython-aenter-before-aexit-lookup.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/micropython-aenter-before-aexit-lookup.case
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

async def main():
    async with M0():
        pass


if __name__ == "__main__":
    _report(main)
