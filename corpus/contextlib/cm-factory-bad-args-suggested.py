# @generated from cm-factory-bad-args-suggested.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/contextlib/cm-factory-bad-args-suggested.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

@contextmanager
def c0(self, func):
    show('self', self)
    show('func', func)
    yield None

def main():
    try:
        with c0(1, funk=2):
            log('L1')
    except TypeError:
        handler('h2')
    with c0(1, 2, zz=3):
        log('L3')


if __name__ == "__main__":
    _report(main)
