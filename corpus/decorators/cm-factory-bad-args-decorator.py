# @generated from cm-factory-bad-args-decorator.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/decorators/cm-factory-bad-args-decorator.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

@contextmanager
def c0(self):
    show('self', self)
    yield None

def main():
    @c0(kwds=1)
    def f0(n, k):
        show('n', n)
        show('k', k)
        if n:
            f0(n - 1, k=k + 1)
    f0(0, k=0)


if __name__ == "__main__":
    _report(main)
