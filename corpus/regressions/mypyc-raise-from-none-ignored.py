# @generated from mypyc-raise-from-none-ignored.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/mypyc-raise-from-none-ignored.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

def main():
    try:
        raise E1('r1')
    except E1:
        handler('h3')
        raise E2('r2') from None


if __name__ == "__main__":
    _report(main)
