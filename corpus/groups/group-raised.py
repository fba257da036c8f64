# @generated from group-raised.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/groups/group-raised.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

def main():
    raise ExceptionGroup('g1', [E1('r2'), ExceptionGroup('g3', [KeyError('r4')]), ValueError('r5')])


if __name__ == "__main__":
    _report(main)
