# @generated from cpython-3.14-stop-iteration-value-unchained.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/cpython-3.14-stop-iteration-value-unchained.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

@contextmanager
def c0():
    return ret('v1', 5)
    return
    yield  # unreachable: it makes c() a generator function

def main():
    try:
        raise E1('r2')
    except:
        handler('h3')
        with c0():
            pass


if __name__ == "__main__":
    _report(main)
