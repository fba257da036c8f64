# @generated from descriptor-gets-none.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/protocol/descriptor-gets-none.case
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
        return None

def main():
    with M0():
        raise E1('r1')


if __name__ == "__main__":
    _report(main)
