"""Detection power: break one rule of the model at a time, run a campaign, and report how many
cases it took `withstand run` to notice (and, once shrinking exists, how small the reproducer is).

Each mutation is a textual edit of the model's source; the source is restored afterwards even
if the run fails. Needs cargo and the interpreter to test against (default python3).

usage: python3 scripts/detect.py [--cases 5000] [--seed 1] [--python python3] [--only NAME]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
WITH = "oracle/src/model/with_stmt.rs"
MOD = "oracle/src/model/mod.rs"
EXC = "oracle/src/model/exc.rs"
MSG = "oracle/src/model/message.rs"
GEN = "oracle/src/model/generator.rs"

# (name, SEMANTICS section, file, old text, new text)
MUTATIONS = [
    ("exit-skipped-on-return", "1.4", WITH,
     "Flow::Return(_) => self.hit(Rule::ExitAfterReturn),",
     "Flow::Return(_) => return other,"),
    ("int-1-result-is-falsy", "1.5", WITH,
     "Val::Int(n) => *n != 0,",
     "Val::Int(n) => *n > 1,"),
    ("exit-error-not-chained", "1.6", WITH,
     "                self.excs.push_handled(e);\n                let res = self.call_exit(&name, exit, Some(e));",
     "                let res = self.call_exit(&name, exit, Some(e));\n                self.excs.push_handled(e);"),
    ("unpack-error-skips-exit", "1.2.4", WITH,
     "                self.hit(Rule::TargetUnpackFails);\n                if inner {",
     "                self.hit(Rule::TargetUnpackFails);\n                return Flow::Raise(id);\n                #[allow(unreachable_code)]\n                if inner {"),
    ("missing-exit-message", "2.1", MSG,
     'format!("{base} (missed __exit__ method)")',
     "base"),
    ("bool-error-not-chained", "1.5", WITH,
     "                        let id = self.excs.new_exc(*c, exc::message_of(*c, label));\n                        return Err(flow_exc(self.raise_obj(id)));",
     "                        let id = self.excs.new_exc(*c, exc::message_of(*c, label));\n                        return Err(id);"),
    ("normal-exit-sees-no-outer-exc", "1.4", WITH,
     "        let info = self.excs.observe(self.excs.handled());\n        self.events.push(Event::Exit",
     "        let info = if exc.is_none() { None } else { self.excs.observe(self.excs.handled()) };\n        self.events.push(Event::Exit"),
    ("enter-none-message", "1.3", MSG,
     "\"'NoneType' object is not callable\".to_string()",
     "\"'NoneType' object is not callable.\".to_string()"),
    ("no-cycle-cut", "1.6", EXC,
     "            if c == value {\n                self.objs[o].context = None;",
     "            if c == value && false {\n                self.objs[o].context = None;"),
    ("finally-sees-nothing", "1.4", MOD,
     "        if let Some(x) = pending {\n            self.excs.push_handled(x);\n        }",
     "        let pending: Option<usize> = pending.and(None);"),
    ("suppress-if-exact-class", "1.5", WITH,
     "classes.iter().any(|of| exc::is_subclass(c, *of))",
     "classes.iter().any(|of| c == *of)"),
    ("arity-message-no-qualname", "1.3", MSG,
     "if profile.at_least(10) {",
     "if profile.at_least(12) {"),
    # async with (issue 3)
    ("async-lookup-exit-first", "2.2", WITH,
     "Proto::Async => !self.profile.at_least(9) || self.profile.at_least(14),",
     "Proto::Async => true,"),
    ("async-coroutine-no-pep479", "1.8", WITH,
     'res.map_err(|x| self.pep479(x, "coroutine raised StopIteration"))',
     "res"),
    ("async-awaitable-suspension-lost", "3", WITH,
     "                if suspend {\n                    self.hit(Rule::AsyncSuspends);\n                    self.events.push(Event::Suspend { label: label.clone() });\n                }",
     "                let _ = suspend;"),
    ("async-not-awaitable-message", "2.3", MSG,
     "received an object from {which} that",
     "received an object from __aenter__ that"),
    # generators (issue 3)
    ("gen-close-swallows-everything", "1.8", GEN,
     "Flow::Raise(x) if !self.is_generator_exit(x) => {\n                    self.hit(Rule::GenCloseRaises);",
     "Flow::Raise(x) if false && !self.is_generator_exit(x) => {\n                    self.hit(Rule::GenCloseRaises);"),
    ("gen-no-pep479", "1.8", GEN,
     'Flow::Raise(x) => Flow::Raise(self.pep479(x, "generator raised StopIteration")),',
     "Flow::Raise(x) => Flow::Raise(x),"),
    ("gen-throw-never-chained", "1.8", GEN,
     "if self.excs.own_handled(ctx.frame).is_some() {",
     "if false {"),
    ("gen-exit-sees-caller-exc-info", "1.8", GEN,
     "        let frame = self.excs.push_frame();",
     "        let frame = self.excs.push_frame();\n        let _ = &frame;"),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=5000)
    ap.add_argument("--seed", default="1")
    ap.add_argument("--python", default="python3")
    ap.add_argument("--only")
    ap.add_argument("--extra", default="", help="extra flags for withstand run, e.g. --no-shrink")
    args = ap.parse_args()
    rows = []
    for name, section, path, old, new in MUTATIONS:
        if args.only and args.only != name:
            continue
        full = os.path.join(ROOT, path)
        with open(full) as f:
            original = f.read()
        if original.count(old) != 1:
            sys.exit(f"mutation {name}: the text to replace is not found exactly once in {path}")
        try:
            with open(full, "w") as f:
                f.write(original.replace(old, new))
            subprocess.run(["cargo", "build", "-q", "--release", "--bin", "withstand"], cwd=ROOT, check=True)
            out = tempfile.mkdtemp(prefix="withstand-detect-")
            cmd = [os.path.join(ROOT, "target/release/withstand"), "run", "--quiet", "--cases", str(args.cases),
                   "--seed", args.seed, "--python", args.python, "--out", out] + args.extra.split()
            res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        finally:
            with open(full, "w") as f:
                f.write(original)
        m = re.search(r"first finding at case (\d+)", res.stdout)
        first = m.group(1) if m else "not caught"
        sigs = re.search(r"\((\d+) distinct signatures\)", res.stdout)
        lines = []
        for d in sorted(os.listdir(out)):
            p = os.path.join(out, d, "reduced.py")
            if os.path.exists(p):
                with open(p) as f:
                    lines.append(sum(1 for line in f if line.strip() and not line.lstrip().startswith("#")))
        rows.append((name, section, first, sigs.group(1) if sigs else "?", lines, out))
        print(f"{name:32} §{section:6} first caught at case {first:>10}   signatures {rows[-1][3]}   findings in {out}",
              flush=True)
    subprocess.run(["cargo", "build", "-q", "--release", "--bin", "withstand"], cwd=ROOT, check=True)
    caught = sum(1 for r in rows if r[2] != "not caught")
    print(f"{caught} of {len(rows)} mutations caught within {args.cases} cases")


if __name__ == "__main__":
    main()
