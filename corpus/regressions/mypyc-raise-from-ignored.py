# @generated from mypyc-raise-from-ignored.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/mypyc-raise-from-ignored.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

def main():
    raise E1('r1') from E2('c2')


if __name__ == "__main__":
    _report(main)
