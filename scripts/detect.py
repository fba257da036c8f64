"""Detection power: break one rule of the model at a time, run a campaign, and report how many
cases it took `withstand run` to notice, and how small and how fast the shrunk reproducer is.

Each mutation is a textual edit of the model's source; the source is restored afterwards even
if the run fails. Run it on a copy of the repository if someone else is editing the model.
Needs cargo and the interpreter to test against (default python3).

For each mutation it reports the reproducer of its main new root cause (the one with the most
findings, read from the run's report.json): its program lines (non-blank, non-comment lines of the
program, not the prelude) and its shrink time, and the largest reproducer over all its new root
causes. At the end: the medians and
the maximum, against the targets (median <= 12 lines, none over 25, median shrink time < 2 s).

With --known FILE (repeatable) the campaigns load known-differences files, as an implementation's
CI does: a mutation must still be caught as a new root cause (exit status 1), not absorbed by a
known entry.

With --check it only checks that every mutation still applies: its old text is found exactly once
in its file (a refactor of the model makes a mutation stale, and a stale one is skipped); it
prints the stale ones and exits 1. `cargo test` runs it (oracle/src/tidy.rs).

usage: python3 scripts/detect.py [--cases 5000] [--seed 1] [--python python3] [--known FILE] [--only NAME,NAME] [--limit N]
       python3 scripts/detect.py --check
"""
import argparse
import json
import statistics
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
WITH = "oracle/src/model/with_stmt.rs"
MOD = "oracle/src/model/mod.rs"
EXC = "oracle/src/model/exc.rs"
MSG = "oracle/src/model/message.rs"
GEN = "oracle/src/model/generator.rs"
CTX = "oracle/src/model/contextlib.rs"
STACK = "oracle/src/model/exit_stack.rs"
STMT = "oracle/src/model/stmt.rs"
DELEG = "oracle/src/model/delegation.rs"
GROUPS = "oracle/src/model/groups.rs"
TARGETS = "oracle/src/model/targets.rs"
PROTO = "oracle/src/model/protocol.rs"
CALL = "oracle/src/model/call.rs"
DECO = "oracle/src/model/decorator.rs"
DIRECT = "oracle/src/model/direct.rs"

# (name, SEMANTICS section, file, old text, new text)
MUTATIONS = [
    ("exit-skipped-on-return", "1.4", WITH,
     "Flow::Return(_) => self.hit(Rule::ExitAfterReturn),",
     "Flow::Return(_) => return other,"),
    ("int-1-result-is-falsy", "1.5", CALL,
     "Val::Int(n) => *n != 0,",
     "Val::Int(n) => *n > 1,"),
    ("exit-error-not-chained", "1.6", WITH,
     "                self.excs.push_handled(e);\n                let res = match self.call_method(mgr, exit, proto.exit(), ExcDetails::of(Some(e))) {\n                    Ok(v) => self.awaited(v, proto.exit()),\n                    Err(x) => Err(x),\n                };",
     "                let res = match self.call_method(mgr, exit, proto.exit(), ExcDetails::of(Some(e))) {\n                    Ok(v) => self.awaited(v, proto.exit()),\n                    Err(x) => Err(x),\n                };\n                self.excs.push_handled(e);"),
    ("unpack-error-skips-exit", "1.2.4", WITH,
     "                self.hit(Rule::TargetUnpackFails);\n                if inner {",
     "                self.hit(Rule::TargetUnpackFails);\n                return Flow::Raise(id);\n                #[allow(unreachable_code)]\n                if inner {"),
    ("missing-exit-message", "2.1", MSG,
     "    let mut text = if first_missing.is_exit() || quirks.protocol_error_names_missing_enter {",
     "    let mut text = if false {"),
    ("bool-error-not-chained", "1.5", CALL,
     "                        let id = self.excs.new_user_exc(*c, message::raised_by_program(*c, label));\n                        return Err(self.raise_obj(id));",
     "                        let id = self.excs.new_user_exc(*c, message::raised_by_program(*c, label));\n                        return Err(id);"),
    ("normal-exit-sees-no-outer-exc", "1.4", CALL,
     "            let exc_ref = self.excs.observe(details.exc);\n",
     "            let exc_ref = self.excs.observe(details.exc);\n            let info = if details.exc.is_none() { None } else { info };\n"),
    ("enter-none-message", "1.3", MSG,
     "\"'NoneType' object is not callable\".to_string()",
     "\"'NoneType' object is not callable.\".to_string()"),
    ("no-cycle-cut", "1.6", EXC,
     "            if c == value {\n                self.set_context(o, None, Rule::ContextCycleBroken);",
     "            if c == value && false {\n                self.set_context(o, None, Rule::ContextCycleBroken);"),
    ("finally-sees-nothing", "1.4", STMT,
     "        if let Some(x) = pending {\n            self.excs.push_handled(x);\n        }",
     "        let pending = pending.filter(|_| false);"),
    ("suppress-if-exact-class", "1.5", CALL,
     "classes.iter().any(|of| exc::is_subclass(c, *of))",
     "classes.iter().any(|of| c == *of)"),
    ("arity-message-no-qualname", "1.3", MSG,
     "    if quirks.call_error_names_qualname {\n        format!(\"{class}.{method}()\")",
     "    if false && quirks.call_error_names_qualname {\n        format!(\"{class}.{method}()\")"),
    # async with (issue 3)
    ("async-lookup-exit-first", "2.2", PROTO,
     "Proto::Async => self.quirks.async_exit_looked_up_first,",
     "Proto::Async => true,"),
    ("async-coroutine-no-pep479", "1.8", CALL,
     "res.map_err(|x| self.pep479(x, Code::Coroutine))",
     "res"),
    ("async-awaitable-suspension-lost", "3", CALL,
     "                if suspend {\n                    self.hit(Rule::AsyncSuspends);\n                    self.suspended(&label)?;\n                }",
     "                let _ = suspend;"),
    ("async-not-awaitable-message", "2.3", MSG,
     "received an object from {} that does not implement __await__: {ty}\", slot.name())",
     "received an object from {} that does not implement __await__: {ty}\", Slot::AEnter.name())"),
    # generators (issue 3)
    ("gen-close-swallows-everything", "1.8", GEN,
     "Flow::Raise(x) if !self.is_generator_exit(x) => {\n                    self.rule(is_async, Rule::GenCloseRaises",
     "Flow::Raise(x) if false && !self.is_generator_exit(x) => {\n                    self.rule(is_async, Rule::GenCloseRaises"),
    ("gen-no-pep479", "1.8", STMT,
     "        let converted = if exc::is_subclass(class, ExcClass::StopIteration) {",
     "        let converted = if false {"),
    ("gen-throw-never-chained", "1.8", GEN,
     "if self.quirks.generator_throw_chains_to_handled && self.excs.own_handled(frame).is_some() {",
     "if false && self.excs.own_handled(frame).is_some() {"),
    # contextlib (issue 4)
    ("cm-didnt-yield-message", "4.1", MSG,
     "\"generator didn't yield\".to_string()",
     "\"generator did not yield\".to_string()"),
    ("cm-catching-generator-does-not-suppress", "4.1", CTX,
     "                self.rule(is_async, Rule::CmSuppresses, Rule::AcmSuppresses);\n                Ok(Val::Bool(true))",
     "                self.rule(is_async, Rule::CmSuppresses, Rule::AcmSuppresses);\n                Ok(Val::Bool(false))"),
    ("suppress-exact-class-only", "4.4", CTX,
     "classes.iter().any(|of| exc::is_subclass(c, *of))",
     "classes.iter().any(|of| c == *of)"),
    ("closing-error-not-chained", "4.5", CTX,
     "                    let id = self.excs.new_user_exc(*c, message::raised_by_program(*c, label));\n                    return Err(self.raise_obj(id));",
     "                    let id = self.excs.new_user_exc(*c, message::raised_by_program(*c, label));\n                    return Err(id);"),
    # async generators and coroutines (issue 3)
    ("agen-aclose-chains-callers-exception", "3", GEN,
     "        let x = if ctx.is_async {\n            self.excs.new_exc(ExcClass::GeneratorExit, String::new(), rule)",
     "        let x = if false {\n            self.excs.new_exc(ExcClass::GeneratorExit, String::new(), rule)"),
    ("agen-ignored-message-of-generators", "1.8", MSG,
     'format!("{} ignored GeneratorExit", code.noun())',
     'format!("{} ignored GeneratorExit", if code == Code::AsyncGenerator { "generator" } else { code.noun() })'),
    ("agen-stopasynciteration-not-converted", "1.8", STMT,
     "} else if code == Code::AsyncGenerator && exc::is_subclass(class, ExcClass::StopAsyncIteration) {",
     "} else if false {"),
    ("coroutine-object-pep479-as-generator", "3", CALL,
     "let code = if coroutine { Code::Coroutine } else { Code::Generator };",
     "let code = Code::Generator;"),
    ("closing-skips-stepped-generator", "4.5", GEN,
     "                        stepping.ended = Some(flow);\n                        ctx.phase = Phase::Closing;\n                        self.close_in(ctx)",
     "                        stepping.ended = Some(flow);\n                        ctx.phase = Phase::Closing;\n                        Flow::Normal"),
    # ExitStack, @asynccontextmanager, re-entry (issue 4)
    ("stack-fifo", "4.3", STACK,
     "while let Some(entry) = self.heap.stack(obj).pop() {",
     "while let Some(entry) = { let s = self.heap.stack(obj); (!s.is_empty()).then(|| s.remove(0)) } {"),
    ("stack-no-context-fix", "4.3", STACK,
     "    fn fix_exception_context(&mut self, new: ExcId, old: Option<ExcId>, frame_exc: Option<ExcId>) {\n",
     "    fn fix_exception_context(&mut self, new: ExcId, old: Option<ExcId>, frame_exc: Option<ExcId>) {\n        if true { return; }\n"),
    ("stack-suppression-keeps-exception", "4.3", STACK,
     "                    pending = false;\n                    current = None;",
     "                    pending = false;"),
    ("stack-pushes-exit-before-enter", "4.3", STACK,
     "        let v = self.call_found(&cm, Slot::Enter, ExcDetails::of(None))?;\n        self.push_cm_exit(obj, cm, exit, false)?;",
     "        self.push_cm_exit(obj, cm.clone(), exit, false)?;\n        let v = self.call_found(&cm, Slot::Enter, ExcDetails::of(None))?;"),
    ("acm-athrow-message", "4.2", MSG,
     '(true, true) => "generator didn\'t stop after athrow()",',
     '(true, true) => "generator didn\'t stop after throw()",'),
    ("cm-reentry-short-message", "4.1", MSG,
     "    if quirks.cm_reentry_error_is_long {",
     "    if false && quirks.cm_reentry_error_is_long {"),
    ("cm-no-stopiteration-unwrap", "4.1", CTX,
     "if x_obj.class == ExcClass::RuntimeError && stop && x_obj.cause == Some(value) {",
     "if false && stop && x_obj.cause == Some(value) {"),
    # generator API corners, delegation, chaining primitives, exception groups (SEMANTICS-ADDENDUM)
    ("athrow-finished-raises", "10.2", GEN,
     "                if f.is_async {\n                    // athrow() on a finished async generator",
     "                if false && f.is_async {\n                    // athrow() on a finished async generator"),
    ("reused-awaitable-message-swapped", "10.5", MSG,
     "let what = if close_or_throw {",
     "let what = if !close_or_throw {"),
    ("yielded-stop-iteration-unpacked", "10.6", STMT,
     "                        let x = self.instantiate(e);\n                        self.show(&Val::Exc(x))",
     "                        let x = self.instantiate(e);\n                        self.excs.get(x).msg.clone()"),
    ("yield-from-throw-not-thrown-in", "11.2", DELEG,
     "                    self.hit(Rule::YieldFromThrowHandled);\n                }\n                self.throw_into(own, x)",
     "                    self.hit(Rule::YieldFromThrowHandled);\n                }\n                Flow::Raise(x)"),
    ("yield-from-linked-under-throw", "11.4", DELEG,
     "let linked = resumed == Resumed::Next;",
     "let linked = true;"),
    ("coroutine-throw-refused-in-caller", "11.5", GEN,
     "Err(err) if ctx.coro => {",
     "Err(err) if false && ctx.coro => {"),
    ("raise-from-caught-no-cause", "12.1", STMT,
     "self.excs.set_cause(id, Some(cid), Rule::RaiseFromCaught);",
     "self.excs.set_cause(id, None, Rule::RaiseFromCaught);"),
    ("assigned-context-ignored", "12.3", STMT,
     "self.excs.set_context(id, value, Rule::SetContext);",
     "let _ = value;"),
    ("except-star-naked-not-wrapped", "13.4", GROUPS,
     "(Some(self.new_group(String::new(), vec![cur], Rule::ExceptStarWrapsNaked)), None)",
     "(Some(cur), None)"),
    ("suppress-splits-groups-everywhere", "13.5", GROUPS,
     "        self.hit(Rule::SuppressSplitsGroup);\n        if !splits {",
     "        self.hit(Rule::SuppressSplitsGroup);\n        if false && !splits {"),
    ("athrow-awaitable-never-reusable", "10.5", GEN,
     "Some(Then::Again) if script.last == Awaited::CloseOrThrow && ctx.athrow_suspended => {",
     "Some(Then::Again) if false && ctx.athrow_suspended => {"),
    # binding targets and scopes (issue 15, SEMANTICS-ADDENDUM §8)
    ("target-unbound-after-block", "8.1", TARGETS,
     "        if let Some(v) = found {",
     "        if let Some(v) = found.filter(|_| !after_block) {"),
    ("target-never-bound-is-name-error", "8.1", TARGETS,
     "Err(self.raise_builtin(Rule::TargetNeverBound, ExcClass::UnboundLocalError, msg))",
     "Err(self.raise_builtin(Rule::TargetNeverBound, ExcClass::NameError, msg))"),
    ("target-attribute-key-unmarked", "8.2", TARGETS,
     'Key::Attr(a) => format!(".{a}"),',
     'Key::Attr(a) => a.clone(),'),
    ("target-subscript-key-unquoted", "8.2", TARGETS,
     'Key::Item(k) => format!("[{}]", super::py_repr_str(k)),',
     'Key::Item(k) => format!("[{k}]"),'),
    ("target-store-never-raises", "8.2", TARGETS,
     "let Some(c) = raises else { return Ok(()) };",
     "let Some(c) = raises.as_ref().filter(|_| false) else { return Ok(()) };"),
    ("target-store-on-none-message", "8.2", TARGETS,
     'message::no_item_assignment("NoneType")',
     'message::no_item_assignment("None")'),
    ("target-starred-binds-tuple", "8.3", TARGETS,
     "items.push(Val::List(middle));",
     "items.push(Val::Tuple(middle));"),
    ("target-parenthesized-name-is-tuple", "8.3", TARGETS,
     "                self.hit(Rule::TargetBindsEnterValue);\n                self.vars().insert(n.clone(), value);\n                Ok(())\n            }\n            Target::Store",
     "                self.hit(Rule::TargetBindsEnterValue);\n                self.vars().insert(n.clone(), Val::Tuple(vec![value]));\n                Ok(())\n            }\n            Target::Store"),
    # compile-time rules (SEMANTICS-ADDENDUM §8.5-§8.7)
    ("compile-refused-none-message", "8.5", MSG,
     'Bad::None => "cannot assign to None",',
     'Bad::None => "can\'t assign to None",'),
    ("parenthesized-targets-refused-everywhere", "8.6", MSG,
     "Refused::ParenTargets if peg => return None,",
     "Refused::ParenTargets if false => return None,"),
    ("parenthesized-items-a-tuple-everywhere", "8.6", WITH,
     "                if !self.quirks.peg_parser {\n                    return self.with_tuple(items, proto);",
     "                if true {\n                    return self.with_tuple(items, proto);"),
    ("async-with-outside-message", "8.7", MSG,
     "Refused::AsyncWith => \"'async with' outside async function\",",
     "Refused::AsyncWith => \"'async with' outside async function.\","),
    # taken for a tuple: 3.8 would say "invalid syntax"; caught only with --python python3.8
    ("parenthesized-refused-target-as-tuple", "8.5", "oracle/src/ir/compile.rs",
     "        Target::Bad(b) | Target::BadParen(b) => vec![Refused::Target(*b)],",
     "        Target::Bad(b) => vec![Refused::Target(*b)],\n        Target::BadParen(b) => vec![Refused::TrailingComma(*b)],"),
    ("too-deep-message", "8.7", MSG,
     'Refused::TooDeep => "too many statically nested blocks",',
     'Refused::TooDeep => "too many nested blocks",'),
    # how protocol methods are provided (SEMANTICS-ADDENDUM §7.1-§7.3)
    ("descriptor-get-not-logged", "7.1", PROTO,
     "self.emit(Event::Get { mgr: format!(\"M{owner}\"), method: slot.name().to_string() });",
     "let _ = Event::Get { mgr: format!(\"M{owner}\"), method: slot.name().to_string() };"),
    ("descriptor-get-raises-ignored", "7.1", PROTO,
     "                self.hit(Rule::DescriptorGetRaises);\n                Err(self.raise_new(r))",
     "                self.hit(Rule::DescriptorGetRaises);\n                let _ = r;\n                Ok(Some(Found::None))"),
    ("descriptor-gets-none-callable", "7.1", PROTO,
     "                self.hit(Rule::DescriptorGetsNone);\n                Ok(Some(Found::None))",
     "                self.hit(Rule::DescriptorGetsNone);\n                Ok(Some(Found::Call { owner, how: Call::Plain(&Action::ReturnSelf) }))"),
    ("static-method-gets-self", "7.2", PROTO,
     "        Method::Defined(a) | Method::Static(a) | Method::ClassMethod(a) => Call::Plain(a),",
     "        Method::Defined(a) => Call::Plain(a),\n        Method::Static(_) | Method::ClassMethod(_) => Call::WrongArity,"),
    ("callable-gets-self", "7.2", CALL,
     "                self.hit(Rule::CallableNotDescriptor);\n",
     "                self.hit(Rule::CallableNotDescriptor);\n                #[allow(unreachable_code)]\n                return Err(self.raise_builtin(Rule::CallableNotDescriptor, ExcClass::TypeError, String::new()));\n"),
    ("inherited-method-logs-instance-class", "7.3", CALL,
     '        let name = format!("M{owner}");',
     '        let name = self.type_name(mgr);'),
    # managers used as decorators (SEMANTICS-ADDENDUM §14)
    ("deco-cm-not-recreated", "14.1", DECO,
     "                Val::Builtin(Builtin::Cm { cm, obj: self.heap.new_cm(args) })\n            }\n            Deco::Mgr(_) => {",
     "                let _ = (cm, args);\n                self.decorators[fun].clone()\n            }\n            Deco::Mgr(_) => {"),
    ("deco-instance-made-per-call", "14.1", DECO,
     "                self.hit(Rule::DecoInstanceReused);",
     "                self.hit(Rule::DecoInstanceReused);\n                if let Deco::Mgr(m) = self.program.decos[fun].deco {\n                    self.emit(Event::Init { mgr: format!(\"M{m}\") });\n                }"),
    ("deco-recursion-undecorated", "14.1", DECO,
     "            if let Err(x) = self.decorated_call(fun, n - 1, k + 1) {",
     "            if let (Flow::Raise(x), _) = self.in_frame(Role::Call, |m| m.decorated_body(fun, n - 1, k + 1)) {"),
    ("deco-return-value-lost", "14.2", DECO,
     "            Flow::Return(v) => Flow::Return(v),",
     "            Flow::Return(_) => Flow::Return(Val::None),"),
    ("deco-suppressed-returns-true", "14.2", DECO,
     "                self.hit(Rule::DecoSuppressedReturnsNone);\n                Ok(Val::None)",
     "                self.hit(Rule::DecoSuppressedReturnsNone);\n                Ok(Val::Bool(true))"),
    ("deco-async-entered-with-sync-protocol", "14.3", DECO,
     "        let proto = Proto::of(is_async);",
     "        let proto = Proto::of(false);"),
    # caught only with --python python3.8 or python3.9
    ("deco-async-callable-everywhere", "14.3", DECO,
     "                        if !self.quirks.contextlib_async_helpers {",
     "                        if false {"),
    # throw() into an async generator's awaitables by hand (SEMANTICS-ADDENDUM §10.8)
    ("awaitable-throw-read-as-aclose", "10.8", GEN,
     "            Drive::AwThrow(..) => Op::Throw,",
     "            Drive::AwThrow(..) => Op::AcloseThrow,"),
    ("aclose-throw-read-as-athrow", "10.8", GEN,
     "                        self.hit(Rule::AsyncGenAcloseThrow);\n                        ctx.phase = Phase::Closing;",
     "                        self.hit(Rule::AsyncGenAcloseThrow);\n                        ctx.phase = Phase::Thrown;"),
    ("anext-awaitable-not-closed-by-throw", "10.8", GEN,
     "op == AwOp::Next || ignored ||",
     "ignored ||"),
    # 3.13's behaviour everywhere; caught only with --python python3.8 to python3.12
    ("athrow-awaitable-closed-by-throw-everywhere", "10.8", GEN,
     "(self.quirks.awaitable_closed_by_throw && !(op == AwOp::Throw && suspended))",
     "(!(op == AwOp::Throw && suspended))"),
    # __anext__() after a throw into an awaitable by hand ('+next', §10.8)
    ("anext-after-finishing-throw-gives-none", "10.8", GEN,
     "                self.hit(rule);\n                self.emit(Event::GenEnd { label: f.label });",
     "                self.hit(rule);\n                self.emit(Event::GenYield { label: f.label, value: \"None\".to_string() });"),
    ("anext-after-throw-finds-generator-closed", "10.8", GEN,
     "        self.hit(Rule::AsyncGenAwaitableThrowNext);\n        ctx.phase = Phase::Advancing;\n        Flow::Normal",
     "        self.hit(Rule::AsyncGenAwaitableThrowNext);\n        ctx.phase = Phase::Cleanup { pending: None };\n        self.close_in(ctx)"),
    # nested subscript targets (§8.2)
    ("nested-subscript-stores-into-the-sink", "8.2", TARGETS,
     "                loaded = format!(\"{label}[{key}]\");",
     "                loaded = label.clone();"),
    # SEMANTICS-ADDENDUM §15: direct protocol calls.
    ("direct-enter-returns-manager", "15.1", DIRECT,
     "                self.hit(Rule::DirectEnter);\n                ExcDetails::of(None)",
     "                self.hit(Rule::DirectEnter);\n                return Ok(mgr);"),
    ("direct-exit-result-truth-tested", "15.1", DIRECT,
     "        if !is_async {\n            return Ok(res);\n        }",
     "        if !is_async {\n            return Ok(Val::Bool(self.truthy(&res)?));\n        }"),
    ("direct-exit-type-only-normalised", "15.1", DIRECT,
     "                        ExcDetails { exc: None, fresh: false, only_type: Some(*c) }",
     "                        ExcDetails::of(Some(self.excs.new_exc(*c, message::instantiated(), Rule::DirectExitUnnormalised)))"),
    ("direct-exit-value-made-with-message", "15.2", DIRECT,
     "self.excs.new_exc(*c, message::instantiated(), Rule::DirectExitMakesValue)",
     "self.excs.new_exc(*c, c.name().to_string(), Rule::DirectExitMakesValue)"),
    ("nested-binds-tuple", "15.4", DIRECT,
     "        Ok(Val::List(values))\n    }",
     "        Ok(Val::Tuple(values))\n    }"),
    ("nested-exits-in-order", "15.4", DIRECT,
     "        for m in members.iter().rev() {",
     "        for m in members.iter() {"),
    ("nested-member-error-handled", "15.4", DIRECT,
     "                    self.hit(Rule::NestedMemberRaises);\n                    cur = Some(x);",
     "                    self.hit(Rule::NestedMemberRaises);\n                    self.excs.push_handled(x);\n                    cur = Some(x);"),
    # arguments of @contextmanager functions (SEMANTICS-ADDENDUM §16)
    ("cm-keywords-bound-in-call-order", "16.1", CTX,
     "            Some(j) => slots[j] = Some(arg.value),",
     "            Some(_) => {\n                let j = slots.iter().position(Option::is_none).unwrap_or(0);\n                slots[j] = Some(arg.value)\n            }"),
    ("cm-unexpected-keyword-ignored", "16.2", CTX,
     "            None => {\n                let near",
     "            None if true => continue,\n            None => {\n                let near"),
]


def stale():
    """The mutations that no longer apply: (name, file, how many times its old text is found)."""
    res = []
    for m in MUTATIONS:
        try:
            with open(os.path.join(ROOT, m[2])) as f:
                n = f.read().count(m[3])
        except OSError:
            n = 0
        if n != 1:
            res.append((m[0], m[2], n))
    return res


def summary(out):
    """The new root causes of the run's report.json under `out`: (findings, name, reproducer lines,
    shrink seconds, finding dir), and the first new finding's case number (None if nothing new)."""
    try:
        with open(os.path.join(out, "latest", "report.json")) as f:
            report = json.load(f)
    except (OSError, ValueError):
        return [], None
    run_dir = report["run"]["run_dir"]
    res = []
    for r in report["root_causes"]:
        if r["known"] is not None:
            continue
        shrink = r.get("shrink")
        lines = r["reproducer_lines"] if shrink else None
        secs = shrink["secs"] if shrink else None
        res.append((r["count"], r["name"], lines, secs, os.path.join(run_dir, r["finding"])))
    first = report["summary"].get("first_new_index")
    return res, (first + 1 if first is not None else None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=5000)
    ap.add_argument("--seed", default="1")
    ap.add_argument("--python", default="python3")
    ap.add_argument("--only", help="comma-separated mutation names")
    ap.add_argument("--limit", type=int, help="run only the first N mutations")
    ap.add_argument("--extra", default="", help="extra flags for withstand run, e.g. --no-shrink")
    ap.add_argument("--known", action="append", default=[], help="a known-differences file (repeatable)")
    ap.add_argument("--check", action="store_true", help="only check that every mutation applies")
    ap.add_argument("--keep", action="store_true",
                    help="keep each mutation's run directory (in the system's temporary directory; "
                         "70 to 120 MB for 5,000 programs against PyPy), to read its reproducers")
    args = ap.parse_args()
    if args.check:
        bad = stale()
        names = [m[0] for m in MUTATIONS]
        bad += [(n, "(name)", names.count(n)) for n in sorted(set(names)) if names.count(n) > 1]
        for name, path, n in bad:
            what = "its name is used" if path == "(name)" else f"its old text is found in {path}"
            print(f"stale mutation {name}: {what} {n} times, not once", file=sys.stderr)
        if bad:
            print("update it in scripts/detect.py to plant the same bug in today's code", file=sys.stderr)
        sys.exit(1 if bad else 0)
    only = set(args.only.split(",")) if args.only else None
    chosen = []
    for m in MUTATIONS:
        if only is not None and m[0] not in only:
            continue
        with open(os.path.join(ROOT, m[2])) as f:
            if f.read().count(m[3]) != 1:
                print(f"{m[0]:34} skipped: its text is not found exactly once in {m[2]} (update the mutation)",
                      file=sys.stderr)
                continue
        chosen.append(m)
    if args.limit:
        chosen = chosen[: args.limit]
    rows = []
    for name, section, path, old, new in chosen:
        full = os.path.join(ROOT, path)
        with open(full) as f:
            original = f.read()
        try:
            with open(full, "w") as f:
                f.write(original.replace(old, new))
            subprocess.run(["cargo", "build", "-q", "--release", "--bin", "withstand"], cwd=ROOT, check=True)
            out = tempfile.mkdtemp(prefix="withstand-detect-")
            cmd = [os.path.join(ROOT, "target/release/withstand"), "run", "--quiet", "--cases", str(args.cases),
                   "--seed", args.seed, "--python", args.python, "--out", out] + args.extra.split()
            for k in args.known:
                cmd += ["--known", os.path.abspath(k)]
            res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        finally:
            with open(full, "w") as f:
                f.write(original)
        sigs, first_case = summary(out)
        # Caught: the run failed (exit status 1) with a new root cause.
        first = str(first_case) if res.returncode == 1 and first_case is not None else "not caught"
        shrunk = [s for s in sigs if s[2] is not None]
        main_sig = max(shrunk, key=lambda s: s[0]) if shrunk else None
        worst = max((s[2] for s in shrunk), default=None)
        rows.append((name, section, first, len(sigs), main_sig, worst, [s[2] for s in shrunk]))
        if main_sig:
            repro = f"{main_sig[2]:>3} lines {main_sig[3]:>6.2f}s (largest {worst:>3})   {main_sig[4]}/reduced.py"
        else:
            repro = "no shrunk reproducer"
        if not args.keep:
            # A campaign's findings take tens of megabytes; twenty mutations would fill /tmp.
            shutil.rmtree(out, ignore_errors=True)
            repro = repro.replace(f"{main_sig[4]}/reduced.py", "(--keep keeps it)") if main_sig else repro
        print(f"{name:34} §{section:6} first caught at case {first:>10}   new root causes {len(sigs):>3}   exit {res.returncode}   {repro}",
              flush=True)
    subprocess.run(["cargo", "build", "-q", "--release", "--bin", "withstand"], cwd=ROOT, check=True)
    caught = sum(1 for r in rows if r[2] != "not caught")
    print(f"{caught} of {len(rows)} mutations caught within {args.cases} cases")
    mains = [r[4] for r in rows if r[4]]
    if mains:
        every = [n for r in rows for n in r[6]]
        print(f"main reproducers: median {statistics.median(m[2] for m in mains)} lines (target <= 12), "
              f"largest {max(m[2] for m in mains)}; over all {len(every)} shrunk root causes: median "
              f"{statistics.median(every)}, largest {max(every)} (target: none over 25); "
              f"median shrink time {statistics.median(m[3] for m in mains if m[3] is not None):.2f}s (target < 2 s)")


if __name__ == "__main__":
    main()
