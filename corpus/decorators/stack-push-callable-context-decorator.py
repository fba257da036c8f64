# @generated from stack-push-callable-context-decorator.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/decorators/stack-push-callable-context-decorator.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

class M0(ContextDecorator):
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        return self

def main():
    @M0()
    def f0(n, k):
        show('n', n)
        show('k', k)
        if n:
            f0(n - 1, k=k + 1)
    with ExitStack() as s9:
        s9.push(M0())


if __name__ == "__main__":
    _report(main)
