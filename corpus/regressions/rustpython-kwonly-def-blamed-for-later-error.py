# @generated from rustpython-kwonly-def-blamed-for-later-error.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/regressions/rustpython-kwonly-def-blamed-for-later-error.case
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
        return None

@contextmanager
def c0(*, args):
    show('args', args)
    return
    yield  # unreachable: it makes c() a generator function

def main():
    with M0() as None:
        pass


if __name__ == "__main__":
    _report(main)
