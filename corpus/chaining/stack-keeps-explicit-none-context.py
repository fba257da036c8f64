# @generated from stack-keeps-explicit-none-context.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/chaining/stack-keeps-explicit-none-context.case
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
    except BaseException:
        handler('h1')
        try:
            raise E1('r2')
        except E1 as e_h3:
            handler('h3')
            e_h3.__context__ = None
            raise

def main():
    with ExitStack() as s4:
        s4.enter_context(c0())
        raise E2('r5')


if __name__ == "__main__":
    _report(main)
