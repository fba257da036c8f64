# withstand's driver for building a batch of programs with mypyc, in the current directory:
#
#   python -c "<this file>" NAME...
#
# builds NAME.py ... as one group, as `MYPYC_OPT_LEVEL=0 mypyc NAME.py ...` does (mypycify at
# opt_level 0, debug_level 1, then setuptools' build_ext --inplace; withstand sets MYPYPATH to the
# directory of the prelude's stub, as a reproducer's build.sh does), except that a program mypyc
# names in an error (or in a crash) is taken out and the others are built again. It writes
# withstand-result.json: {"failed": [{"module", "output", "status", "crash"}], "whole": null or
# {"output", "crash"}}; "whole" is a failure no program was named in (withstand bisects it).
# oracle/src/runner/compile.rs owns the other end.
import contextlib
import io
import json
import re
import sys
import traceback

names = sys.argv[1:]
failed = []
located = re.compile(r"^(w\d+_\d+)\.py:\d+:")


def result(whole=None):
    with open("withstand-result.json", "w") as f:
        json.dump({"failed": failed, "whole": whole}, f)


def crashed(text):
    return "internal mypyc error" in text or "INTERNAL ERROR" in text or "Traceback (most recent call last)" in text


from mypyc.build import mypycify  # noqa: E402
from setuptools import setup  # noqa: E402

while True:
    out = io.StringIO()
    status = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            exts = mypycify([n + ".py" for n in names], opt_level="0", debug_level="1")
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else 1
    except BaseException:
        out.write(traceback.format_exc())
        status = 2
    text = out.getvalue()
    sys.stdout.write(text)
    sys.stdout.flush()
    if status == 0:
        break
    blamed = {}
    for line in text.splitlines():
        m = located.match(line)
        if m and m.group(1) in names:
            blamed.setdefault(m.group(1), []).append(line)
    crash = crashed(text)
    if not blamed:
        result({"output": text, "crash": crash})
        sys.exit(status or 1)
    for name, lines in blamed.items():
        # A crash stops mypyc at the first program: its traceback is that program's.
        failed.append({"module": name, "output": text if crash else "\n".join(lines), "status": status, "crash": crash})
        names.remove(name)
    if not names:
        result()
        sys.exit(0)

try:
    setup(name="mypyc_output", ext_modules=exts, script_args=["build_ext", "--inplace"])
except SystemExit as e:
    # The C compiler failed; its messages went to the output, which withstand has.
    result({"output": "the C build failed: %s" % (e.code,), "crash": False})
    sys.exit(1)
result()
