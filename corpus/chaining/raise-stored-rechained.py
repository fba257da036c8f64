# @generated from raise-stored-rechained.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/chaining/raise-stored-rechained.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

def main():
    k1 = None
    try:
        raise E1('r2')
    except E1 as e_h3:
        handler('h3')
        k1 = e_h3
    try:
        raise E3('r4')
    except E3:
        handler('h5')
        raise k1


if __name__ == "__main__":
    _report(main)
