# @generated from cm-factory-args.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/contextlib/cm-factory-args.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

@contextmanager
def c0(self, func, args, kwds):
    show('self', self)
    show('func', func)
    show('args', args)
    show('kwds', kwds)
    yield (1, 2)

def main():
    with c0(self=11, func=22, args=33, kwds=44) as a:
        show('a', a)
    with c0(11, 22, kwds=44, args=33):
        log('L1')


if __name__ == "__main__":
    _report(main)
