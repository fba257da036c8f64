# @generated from stack-in-except-context-lost.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/contextlib/stack-in-except-context-lost.case
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
    except:
        handler('h2')
        with ExitStack() as s3:
            s3.callback(cb, 'k4', KeyError)


if __name__ == "__main__":
    _report(main)
