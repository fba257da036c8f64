# @generated from rustpython-except-star-base-exception-group.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/rustpython-except-star-base-exception-group.case
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
        raise B1('r2')
    except* B1:
        handler('h3')


if __name__ == "__main__":
    _report(main)
