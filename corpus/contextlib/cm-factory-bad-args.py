# @generated from cm-factory-bad-args.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/contextlib/cm-factory-bad-args.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

@contextmanager
def c0(self, *, kwds):
    show('self', self)
    show('kwds', kwds)
    yield None

def main():
    try:
        with c0():
            log('L1')
    except TypeError:
        handler('h2')
    try:
        with c0(3, 5):
            log('L3')
    except TypeError:
        handler('h4')
    try:
        with c0(kwds=3):
            log('L5')
    except TypeError:
        handler('h6')
    try:
        with c0(3, self=4, kwds=5):
            log('L7')
    except TypeError:
        handler('h8')
    with c0(3, kwds=5):
        log('L9')


if __name__ == "__main__":
    _report(main)
