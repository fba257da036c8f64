# @generated from set-suppress-context.case by `withstand record`; do not edit.
# Regenerate: withstand record corpus/chaining/set-suppress-context.case
try:  # the prelude is withstand_prelude.py, one directory up; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
except Exception:
    pass
from withstand_prelude import *  # noqa: F403

# ---- the program ----

def main():
    try:
        raise E1('r1')
    except E1 as e_h2:
        handler('h2')
        try:
            raise E2('r3') from e_h2
        except E2 as e_h4:
            handler('h4')
            e_h4.__suppress_context__ = False
            raise


if __name__ == "__main__":
    _report(main)
