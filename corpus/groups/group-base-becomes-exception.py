# @generated from group-base-becomes-exception.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/groups/group-base-becomes-exception.case
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
        raise BaseExceptionGroup('g1', [E1('r2')])
    except ExceptionGroup as e_h3:
        handler('h3')


if __name__ == "__main__":
    _report(main)
