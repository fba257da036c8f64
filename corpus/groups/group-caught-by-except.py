# @generated from group-caught-by-except.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/groups/group-caught-by-except.case
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
        try:
            raise ExceptionGroup('g1', [E1('r2')])
        except E1:
            handler('h3')
    except Exception as e_h4:
        handler('h4')


if __name__ == "__main__":
    _report(main)
