//! contextlib's managers (SEMANTICS.md §4), implemented by the model itself from the documented
//! algorithm: `@contextmanager` and `@asynccontextmanager` (`_GeneratorContextManager`,
//! `_AsyncGeneratorContextManager`), `suppress`, `nullcontext`, `closing` and `aclosing`.
//! `ExitStack` and `AsyncExitStack` are in `exit_stack`. contextlib's own frames log nothing;
//! what shows in the trace is the generator's code, what the managers call, and the exceptions.

use crate::ir::{Arg, CmGen, ExcClass, Handler, Param, BAD_KEYWORDS};
use crate::trace::Event;

use super::exc::{self, ExcFrame, ExcId};
use super::heap::{CmId, CmState, GenState};
use super::message::{self, BadCall, Code};
use super::{Builtin, Flow, Machine, Role, Rule, Val};

/// contextlib's view of a `@contextmanager` generator resumed by `__exit__`.
#[derive(Clone, Debug)]
pub(crate) struct CmYield {
    /// The generator's frame in the handled stack.
    frame: ExcFrame,
    /// The RuntimeError ("generator didn't stop", "... after throw()") that `__exit__` raised
    /// when the generator yielded again, then closed it in a `finally`.
    didnt_stop: Option<ExcId>,
    /// The RuntimeError "generator ignored GeneratorExit" that the `close()` in that `finally`
    /// raised when the generator yielded once more; it stays suspended there.
    ignored: Option<ExcId>,
    /// Whether `__exit__` got an exception (which message to use).
    after_throw: bool,
    /// Whether `__exit__` closed the generator after "didn't stop" (3.11.7+), with the
    /// RuntimeError handled meanwhile.
    closed: bool,
    /// An `@asynccontextmanager` generator.
    is_async: bool,
}

/// Binds the arguments of a call to the parameters of a Python function as CPython's
/// `initialize_locals` does (SEMANTICS-ADDENDUM §16.2): the values in the parameters' order, or
/// the first thing wrong it meets. Positional arguments fill the positional parameters; then each
/// keyword, in order, must name a parameter not filled yet; then too many positional arguments,
/// missing positional parameters, missing keyword-only ones.
pub(crate) fn bind_args<'a>(params: &'a [Param], args: &'a [Arg]) -> Result<Vec<i64>, BadCall<'a>> {
    let takes = params.iter().filter(|p| !p.kw_only).count();
    let mut slots: Vec<Option<i64>> = vec![None; params.len()];
    let positional: Vec<i64> = args.iter().filter(|a| a.keyword.is_none()).map(|a| a.value).collect();
    for (slot, v) in slots.iter_mut().zip(positional.iter().take(takes)) {
        *slot = Some(*v);
    }
    for arg in args {
        let Some(name) = &arg.keyword else { continue };
        match params.iter().position(|p| p.name == *name) {
            None => {
                let near = BAD_KEYWORDS
                    .iter()
                    .find(|(bad, _)| bad == name)
                    .and_then(|(_, near)| *near)
                    .filter(|near| params.iter().any(|p| p.name == *near));
                return Err(BadCall::Unexpected(name, near));
            }
            Some(j) if slots[j].is_some() => return Err(BadCall::Multiple(&params[j].name)),
            Some(j) => slots[j] = Some(arg.value),
        }
    }
    if positional.len() > takes {
        let kw_only = slots[takes..].iter().filter(|s| s.is_some()).count();
        return Err(BadCall::TooMany { takes, given: positional.len(), kw_only });
    }
    for positional in [true, false] {
        let missing: Vec<&str> = params
            .iter()
            .zip(&slots)
            .filter(|(p, s)| p.kw_only != positional && s.is_none())
            .map(|(p, _)| p.name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(BadCall::Missing(positional, missing));
        }
    }
    Ok(slots.into_iter().map(|s| s.expect("every parameter filled")).collect())
}

impl<'p> Machine<'p> {
    /// `c0(11, kwds=22)`: contextlib's helper makes the manager, whose `__init__` calls the
    /// generator function with the arguments (SEMANTICS-ADDENDUM §16): a TypeError there when they
    /// do not bind, before any manager exists.
    pub(crate) fn cm_factory(&mut self, c: usize, args: &[Arg]) -> Result<Val, ExcId> {
        let cm: &'p CmGen = &self.program.cms[c];
        match bind_args(&cm.params, args) {
            Ok(bound) => Ok(Val::Builtin(Builtin::Cm { cm: c, obj: self.heap.new_cm(bound) })),
            Err(bad) => {
                self.hit(Rule::CmFactoryBadArgs);
                let msg = message::bad_call(&self.quirks, &format!("c{c}"), &bad);
                Err(self.raise_builtin(Rule::CmFactoryBadArgs, ExcClass::TypeError, msg))
            }
        }
    }

    /// The first thing a `@contextmanager` generator with parameters does: `show('self', self)`
    /// for each, with the values the factory bound (SEMANTICS-ADDENDUM §16.1).
    fn cm_start(&mut self, c: usize, obj: CmId) {
        let params: &'p [Param] = &self.program.cms[c].params;
        if params.is_empty() {
            return;
        }
        self.hit(Rule::CmFactoryArgs);
        let values = self.heap.cm_args(obj).to_vec();
        for (p, v) in params.iter().zip(values) {
            let v = Val::Int(v);
            let value = self.show(&v);
            self.vars().insert(p.name.clone(), v);
            self.emit(Event::Var { name: p.name.clone(), value });
        }
    }

    /// `__enter__` (or `__aenter__` when `is_async`) of a contextlib manager `mgr`.
    pub(crate) fn builtin_enter(&mut self, b: &Builtin, mgr: &Val, is_async: bool) -> Result<Val, ExcId> {
        let res = match b {
            Builtin::Suppress(_) => Val::None,
            Builtin::Null(v) => {
                self.hit(Rule::Nullcontext);
                self.eval(v)
            }
            Builtin::Closing { label, .. } => Val::Closer(label.clone()),
            Builtin::Cm { cm, obj } => self.cm_enter(*cm, *obj)?,
            Builtin::Stack { .. } => mgr.clone(),
            Builtin::ClosingGen { gen, obj, .. } => Val::Gen { gen: *gen, obj: *obj },
            Builtin::Nested(members) => self.nested_enter(members)?,
        };
        Ok(if is_async { Val::Ready(Box::new(res)) } else { res })
    }

    /// `__exit__` (or `__aexit__`) of a contextlib manager; `exc` is the exception passed.
    pub(crate) fn builtin_exit(&mut self, b: &Builtin, exc: Option<ExcId>, is_async: bool) -> Result<Val, ExcId> {
        let res = match b {
            Builtin::Suppress(classes) => {
                let class = exc.map(|e| self.excs.get(e).class);
                if exc.is_some() {
                    self.hit(if classes.is_empty() { Rule::SuppressNothing } else { Rule::SuppressClasses });
                }
                // 3.8–3.11: `exctype is not None and issubclass(exctype, self._exceptions)`.
                let yes = class.is_some_and(|c| classes.iter().any(|of| exc::is_subclass(c, *of)));
                // 3.12+: a group it does not match as a class is split (§13.5).
                match exc {
                    Some(e) if !yes => match self.suppress_group(e, classes) {
                        Some(Ok(all)) => Val::Bool(all),
                        Some(Err(rest)) => return Err(rest),
                        None => Val::Bool(false),
                    },
                    _ => Val::Bool(yes),
                }
            }
            Builtin::Null(_) => Val::None,
            Builtin::Closing { label, raises } => {
                self.hit(Rule::ClosingCloses);
                self.emit(Event::Close { label: label.clone() });
                if let Some(c) = raises {
                    self.hit(Rule::ClosingRaises);
                    let id = self.excs.new_user_exc(*c, message::raised_by_program(*c, label));
                    return Err(self.raise_obj(id));
                }
                Val::None
            }
            Builtin::Cm { cm, obj } => return self.cm_exit(*cm, *obj, exc),
            Builtin::Nested(members) => self.nested_exit(members, exc)?,
            Builtin::Stack { is_async: stack_async, obj } => {
                let res = self.stack_exit(*obj, exc, *stack_async);
                // AsyncExitStack.__aexit__ is a coroutine: PEP 479 at its boundary.
                return res.map_err(|x| self.coroutine_boundary(x, *stack_async));
            }
            Builtin::ClosingGen { obj, is_async: gen_async, .. } => {
                // The closing itself happened when the body ended (`stepped_body`).
                self.rule(*gen_async, Rule::ClosingGen, Rule::AclosingGen);
                match self.heap.gen(*obj) {
                    GenState::Closed(Some(x)) => return Err(x),
                    GenState::Created | GenState::Finished | GenState::Closed(None) => Val::None,
                }
            }
        };
        Ok(if is_async { Val::Ready(Box::new(res)) } else { res })
    }

    /// `_GeneratorContextManager.__enter__`: `next(self.gen)`; the async one awaits
    /// `anext(self.gen)`.
    fn cm_enter(&mut self, c: usize, obj: CmId) -> Result<Val, ExcId> {
        let cm: &'p CmGen = &self.program.cms[c];
        let is_async = cm.is_async;
        let state = self.heap.cm(obj);
        let entered = state != CmState::Created;
        // 3.8's async manager does not `del self.args`: entering again resumes the generator,
        // which an earlier `__aexit__` ran to its end, so it "didn't yield".
        let deletes_args = !is_async || self.quirks.acm_enter_deletes_args;
        if entered && deletes_args {
            self.hit(Rule::CmReentered);
            let ty = self.builtin_type_name(&Builtin::Cm { cm: c, obj });
            let msg = message::cm_reentered(&self.quirks, ty);
            let err = self.raise_builtin(Rule::CmReentered, ExcClass::AttributeError, msg);
            return Err(self.coroutine_boundary(err, is_async));
        }
        if entered && state == CmState::Suspended {
            // 3.8 resumes the generator of the outer `async with` from its yield.
            self.give_up("3.8 re-enters an @asynccontextmanager object by resuming its generator");
        }
        self.heap.set_cm(obj, CmState::Finished);
        let gen_code = Code::of_generator(is_async);
        let frame = self.excs.push_frame();
        let flow = if entered {
            Flow::Normal
        } else {
            self.in_frame(Role::CmEntered, |m| {
                m.cm_start(c, obj);
                m.block(&cm.pre)
            })
            .0
        };
        let res = match (flow, &cm.yields) {
            (Flow::Normal, Some(v)) if !entered => {
                self.rule(is_async, Rule::CmEnterYields, Rule::AcmEnterYields);
                self.heap.set_cm(obj, CmState::Suspended);
                Ok(self.eval(v))
            }
            (Flow::Raise(x), _) => {
                self.hit(Rule::CmEnterRaises);
                Err(self.pep479(x, gen_code))
            }
            (flow, _) => {
                // The generator finished without yielding: `next()` raised StopIteration (or
                // StopAsyncIteration), and contextlib raises RuntimeError from None while
                // handling it.
                let rule = if is_async { Rule::AcmDidntYield } else { Rule::CmDidntYield };
                self.hit(rule);
                let value = match flow {
                    Flow::Return(v) => Some(v),
                    _ => None,
                };
                let stop = if is_async {
                    self.excs.new_in_caller(frame, ExcClass::StopAsyncIteration, "", rule)
                } else {
                    self.stop_iteration(frame, value, rule)
                };
                self.excs.pop_frame(frame);
                self.excs.push_handled(stop);
                let err = self.excs.new_exc(ExcClass::RuntimeError, message::didnt_yield(), rule);
                self.excs.set_cause(err, None, rule);
                let err = self.raise_obj(err);
                self.excs.pop_handled();
                return Err(self.coroutine_boundary(err, is_async));
            }
        };
        self.excs.pop_frame(frame);
        res.map_err(|x| self.coroutine_boundary(x, is_async))
    }

    /// `_GeneratorContextManager.__exit__`: `next(gen)` on the normal path, `gen.throw(exc)`
    /// on the exceptional one, with contextlib's rules for what comes back. The async one
    /// awaits `anext(gen)` and `gen.athrow(exc)`.
    fn cm_exit(&mut self, c: usize, obj: CmId, exc: Option<ExcId>) -> Result<Val, ExcId> {
        let cm: &'p CmGen = &self.program.cms[c];
        let is_async = cm.is_async;
        let state = self.heap.cm(obj);
        self.heap.set_cm(obj, CmState::Finished);
        let ready = |v: Val| if is_async { Val::Ready(Box::new(v)) } else { v };
        if state == CmState::Finished {
            // next() raises StopIteration at once: False. throw() raises the very exception:
            // False; but athrow() on a finished async generator returns None, so the generator
            // "didn't stop".
            if let (Some(_), true) = (exc, is_async) {
                self.hit(Rule::AsyncGenAthrowFinished);
                self.hit(Rule::AcmDidntStopAfterAthrow);
                let msg = message::didnt_stop(true, true);
                let rt = self.raise_builtin(Rule::AcmDidntStopAfterAthrow, ExcClass::RuntimeError, msg);
                return Err(self.coroutine_boundary(rt, is_async));
            }
            if let Some(e) = exc {
                self.stale_traceback(e);
            }
            let res = self.acm_false(is_async);
            return Ok(ready(res));
        }
        let frame = self.excs.push_frame();
        let cm_yield =
            CmYield { frame, didnt_stop: None, ignored: None, after_throw: exc.is_some(), is_async, closed: false };
        let handlers: &'p [Handler] = cm.handler.as_slice();
        let (flow, role) = self.in_frame(Role::CmResumed(cm_yield), |m| match (state, exc) {
            // The generator resumes at its yield, inside the try: the yield returns, or raises
            // the thrown exception (unchained: the generator handles nothing there).
            (CmState::Suspended, _) => {
                if let Some(e) = exc {
                    // Thrown into the generator's frame: a traceback entry of its own (§13.4).
                    m.excs.raised_again(e);
                }
                let resumed = exc.map_or(Flow::Normal, Flow::Raise);
                let flow = m.try_rest(resumed, handlers, &[], cm.finally.as_ref());
                match flow {
                    Flow::Normal => m.block(&cm.post),
                    other => other,
                }
            }
            // Pushed on an exit stack without being entered: what is thrown in is raised where
            // the generator starts, before any of its code.
            (CmState::Created, Some(e)) => {
                m.hit(Rule::CmExitUnentered);
                let stop = exc::is_subclass(m.excs.get(e).class, ExcClass::StopIteration);
                if is_async && stop && m.quirks.throw_into_unstarted_skips_frame {
                    // 3.12+: the StopIteration leaves athrow()'s awaitable as it is, which ends
                    // the await with a value, as if the generator had yielded (§10.1).
                    m.hit(Rule::GenThrowUnstarted);
                    return m.on_top_role(|m, role| match role {
                        Role::CmResumed(state) => m.cm_yields_again(state),
                        _ => unreachable!("the frame pushed above"),
                    });
                }
                Flow::Raise(e)
            }
            // next() runs it from its start, up to a first yield that `__exit__` did not expect.
            (CmState::Created, None) => {
                m.hit(Rule::CmExitUnentered);
                m.cm_start(c, obj);
                match (m.block(&cm.pre), &cm.yields) {
                    (Flow::Normal, Some(_)) => {
                        if !m.quirks.cm_closes_generator_that_did_not_stop
                            && (cm.handler.is_some() || cm.finally.is_some())
                        {
                            // Left suspended in its try: the garbage collector closes it.
                            m.give_up("a @contextmanager generator left suspended in a try is closed by the garbage collector");
                        }
                        let ge = m.on_top_role(|m, role| match role {
                            Role::CmResumed(state) => m.cm_yields_again(state),
                            _ => unreachable!("the frame pushed above"),
                        });
                        match m.try_rest(ge, handlers, &[], cm.finally.as_ref()) {
                            Flow::Normal => m.block(&cm.post),
                            other => other,
                        }
                    }
                    (flow, _) => flow,
                }
            }
            (CmState::Finished, _) => unreachable!("handled above"),
        });
        let Role::CmResumed(state) = role else { unreachable!("the frame pushed above") };
        let flow = self.leave_generator(flow, is_async);
        if let Some(rt) = state.didnt_stop {
            // `finally: self.gen.close()` is over: close() raised, or the RuntimeError goes on.
            self.excs.pop_frame(frame);
            if !state.closed {
                return Err(self.coroutine_boundary(rt, is_async));
            }
            self.excs.pop_handled();
            let x = match (state.ignored, flow) {
                (Some(err), _) => err,
                (None, Flow::Raise(x)) if !exc::is_subclass(self.excs.get(x).class, ExcClass::GeneratorExit) => x,
                _ => rt,
            };
            return Err(self.coroutine_boundary(x, is_async));
        }
        let res = match (exc, flow) {
            (None, Flow::Raise(x)) => Err(x),
            (None, _) => Ok(self.acm_false(is_async)),
            (Some(e), Flow::Raise(x)) => {
                let res = self.cm_throw_raised(e, x, is_async);
                if res.is_ok() {
                    self.stale_traceback(e);
                }
                res
            }
            (Some(_), _) => {
                // The generator finished: StopIteration from throw(); `exc is not value`.
                self.rule(is_async, Rule::CmSuppresses, Rule::AcmSuppresses);
                Ok(Val::Bool(true))
            }
        };
        self.excs.pop_frame(frame);
        match res {
            Ok(v) => Ok(ready(v)),
            Err(x) => Err(self.coroutine_boundary(x, is_async)),
        }
    }

    /// `gen.throw(value)` raised `x`: contextlib's `except RuntimeError` / `except BaseException`.
    fn cm_throw_raised(&mut self, value: ExcId, x: ExcId, is_async: bool) -> Result<Val, ExcId> {
        let value_class = self.excs.get(value).class;
        if x == value {
            self.rule(is_async, Rule::CmReraisesSame, Rule::AcmReraisesSame);
            // 3.8's `except RuntimeError` returns False, its `except BaseException` nothing.
            if exc::is_subclass(value_class, ExcClass::RuntimeError) {
                return Ok(Val::Bool(false));
            }
            return Ok(self.acm_false(is_async));
        }
        let stop = if is_async {
            // `isinstance(value, (StopIteration, StopAsyncIteration))`, on every version.
            exc::is_subclass(value_class, ExcClass::StopIteration)
                || exc::is_subclass(value_class, ExcClass::StopAsyncIteration)
        } else if self.quirks.cm_unwraps_stop_iteration_subclass {
            exc::is_subclass(value_class, ExcClass::StopIteration)
        } else {
            value_class == ExcClass::StopIteration
        };
        let x_obj = self.excs.get(x);
        if x_obj.class == ExcClass::RuntimeError && stop && x_obj.cause == Some(value) {
            // The generator let the thrown StopIteration through (PEP 479 wrapped it), or raised
            // a RuntimeError from it itself: the original propagates.
            if x_obj.rules.created.is_none() {
                self.hit(Rule::CmUnwrapsRaisedFrom);
            } else {
                self.rule(is_async, Rule::CmUnwrapsStopIteration, Rule::AcmUnwrapsStopIteration);
            }
            return Ok(Val::Bool(false));
        }
        self.rule(is_async, Rule::CmRaisesOther, Rule::AcmRaisesOther);
        Err(x)
    }

    /// The `@contextmanager` generator yielded again while `__exit__` resumed it: contextlib
    /// raises "generator didn't stop" and, in a `finally`, closes the generator (3.11.7+). If
    /// it yields once more, that close() raises "generator ignored GeneratorExit" and the
    /// generator stays where it is; nothing of it runs again (its last yield is at the top of
    /// its body), so what the `yield` gives here only unwinds it.
    pub(crate) fn cm_yields_again(&mut self, state: &mut CmYield) -> Flow {
        if state.didnt_stop.is_some() {
            self.rule(state.is_async, Rule::GenCloseIgnored, Rule::AsyncGenCloseIgnored);
            let err = self.ignored_generator_exit(state.frame, Code::of_generator(state.is_async));
            state.ignored = Some(err);
            return Flow::Raise(err);
        }
        let rule = match (state.after_throw, state.is_async) {
            (false, false) => Rule::CmDidntStop,
            (true, false) => Rule::CmDidntStopAfterThrow,
            (false, true) => Rule::AcmDidntStop,
            (true, true) => Rule::AcmDidntStopAfterAthrow,
        };
        self.hit(rule);
        let msg = message::didnt_stop(state.after_throw, state.is_async);
        let rt = self.excs.new_in_caller(state.frame, ExcClass::RuntimeError, &msg, rule);
        state.didnt_stop = Some(rt);
        if !self.quirks.cm_closes_generator_that_did_not_stop {
            // Before 3.11.7 the generator is not closed; it stays suspended where
            // nothing of it runs again, and the RuntimeError leaves __exit__ at once.
            return Flow::Raise(rt);
        }
        state.closed = true;
        // close(): GeneratorExit, chained to the RuntimeError the finally is handling; aclose()
        // does not chain it.
        self.excs.push_handled_below(state.frame, rt);
        let ge = self.excs.new_exc(ExcClass::GeneratorExit, String::new(), rule);
        if !state.is_async {
            self.excs.set_context(ge, Some(rt), Rule::ImplicitChaining);
        }
        Flow::Raise(ge)
    }

    /// What `__exit__` returns where it returns a false value: False, but None from 3.8's
    /// `__aexit__` (`return` without a value, or falling off its end). Only a direct call tells
    /// them apart (SEMANTICS-ADDENDUM §15.2).
    fn acm_false(&self, is_async: bool) -> Val {
        if is_async && !self.quirks.acm_aexit_returns_false {
            return Val::None;
        }
        Val::Bool(false)
    }

    /// 3.8-3.10 re-raise a thrown exception out of `throw()` without restoring its traceback:
    /// the details an exit stack holds for it go stale.
    fn stale_traceback(&mut self, e: ExcId) {
        if !self.quirks.cm_restores_traceback {
            self.excs.bump_tb(e);
        }
    }
}
