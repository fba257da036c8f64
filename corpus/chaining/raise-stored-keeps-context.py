# @generated from raise-stored-keeps-context.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/chaining/raise-stored-keeps-context.case
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
        try:
            raise E1('r2')
        except E1:
            handler('h3')
            raise E2('r4')
    except E2 as e_h5:
        handler('h5')
        k1 = e_h5
    raise k1


if __name__ == "__main__":
    _report(main)
