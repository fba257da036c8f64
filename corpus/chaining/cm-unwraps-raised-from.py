# @generated from cm-unwraps-raised-from.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/chaining/cm-unwraps-raised-from.case
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
    try:
        yield None
    except StopIteration as e_h1:
        handler('h1')
        raise RuntimeError('r2') from e_h1

def main():
    with c0():
        raise StopIteration('r3')


if __name__ == "__main__":
    _report(main)
