# @generated from pypy-generator-exc-info-after-handler.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/pypy-generator-exc-info-after-handler.case
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
        raise E1('r6')
    except:
        handler('h5')
        with M0():
            yield 'y9'
    log('L4')

def main():
    with closing(g0()) as i14:
        step('d15', i14, 1)
        raise


if __name__ == "__main__":
    _report(main)
