# @generated from gen-sees-callers-handled.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/generators/gen-sees-callers-handled.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        return self
    def __exit__(self, t, v, tb):
        on_exit('M0', t, v, tb)
        return True

def g0():
    try:
        raise E1('r3')
    except:
        handler('h2')
        with M0():
            yield 'y7'
    raise E2('r1')

def main():
    with closing(g0()) as i16:
        step('d17', i16, 1)
        raise


if __name__ == "__main__":
    _report(main)
