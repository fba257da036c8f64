# @generated from suppress-splits-group-base.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/groups/suppress-splits-group-base.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

def main():
    with suppress(KeyboardInterrupt, E1):
        raise BaseExceptionGroup('g1', [KeyboardInterrupt('r2'), E1('r3')])
    log('L4')


if __name__ == "__main__":
    _report(main)
