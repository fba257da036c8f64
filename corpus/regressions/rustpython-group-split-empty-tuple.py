# @generated from rustpython-group-split-empty-tuple.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/rustpython-group-split-empty-tuple.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

def main():
    with suppress():
        raise ExceptionGroup('g7', [E1('r10')])


if __name__ == "__main__":
    _report(main)
