# @generated from stack-callback-suppresses.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/contextlib/stack-callback-suppresses.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

def main():
    with ExitStack() as s1:
        s1.push(Xf('x2', None))
        s1.push(Xf('x3', True))
        raise E1('r4')
    log('L5')


if __name__ == "__main__":
    _report(main)
