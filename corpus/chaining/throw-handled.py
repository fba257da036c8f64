# @generated from throw-handled.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/chaining/throw-handled.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

def g0():
    try:
        yield 'y1'
    except BaseException:
        handler('h2')
        raise

def main():
    try:
        raise E1('r3')
    except E1 as e_h4:
        handler('h4')
        drive('d5', g0(), 'throw', 1, e_h4)


if __name__ == "__main__":
    _report(main)
