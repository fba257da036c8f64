# @generated from raise-from-caught.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/chaining/raise-from-caught.case
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
        raise KeyError('r1')
    except KeyError as e_h2:
        handler('h2')
        raise E1('r3') from e_h2


if __name__ == "__main__":
    _report(main)
