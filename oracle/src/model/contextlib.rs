//! contextlib's managers (SEMANTICS.md §4), implemented by the model itself from the documented
//! algorithm: `@contextmanager` (`_GeneratorContextManager`), `suppress`, `nullcontext`,
//! `closing`. contextlib's own frames log nothing; what shows in the trace is the generator's
//! code, what `closing` calls, and the exceptions.

use crate::ir::{CmGen, ExcClass, Handler, Value};
use crate::trace::Event;

use super::exc::{self, ExcId};
use super::with_stmt::flow_exc;
use super::{Flow, Machine, Rule, Val};

/// A contextlib manager object.
#[derive(Clone, Debug)]
pub(crate) enum Builtin {
    /// `suppress(*classes)`.
    Suppress(Vec<ExcClass>),
    /// `nullcontext(value)`.
    Null(Value),
    /// `closing(Closer(label, raises))`.
    Closing { label: String, raises: Option<ExcClass> },
    /// `c<n>()`, a `_GeneratorContextManager`.
    Cm(usize),
}

impl Builtin {
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Builtin::Suppress(_) => "suppress",
            Builtin::Null(_) => "nullcontext",
            Builtin::Closing { .. } => "closing",
            Builtin::Cm(_) => "_GeneratorContextManager",
        }
    }

    /// Whether `type(obj)` has `__aenter__` and `__aexit__`.
    pub(crate) fn has_async(&self, machine: &Machine<'_>) -> bool {
        // §6 row 17: async nullcontext exists from 3.10 on.
        matches!(self, Builtin::Null(_)) && machine.profile.at_least(10)
    }
}

/// contextlib's view of a `@contextmanager` generator resumed by `__exit__`.
#[derive(Clone, Debug)]
pub(crate) struct CmYield {
    /// The generator's frame in the handled stack.
    frame: usize,
    /// The RuntimeError ("generator didn't stop", "... after throw()") that `__exit__` raised
    /// when the generator yielded again, then closed it in a `finally`.
    didnt_stop: Option<ExcId>,
    /// Whether `__exit__` got an exception (which message to use).
    after_throw: bool,
}

impl Machine<'_> {
    /// `__enter__` (or `__aenter__` when `is_async`) of a contextlib manager.
    pub(crate) fn builtin_enter(&mut self, b: &Builtin, is_async: bool) -> Result<Val, ExcId> {
        match b {
            Builtin::Suppress(_) => Ok(Val::None),
            Builtin::Null(v) => {
                self.hit(Rule::Nullcontext);
                let v = self.eval(v);
                Ok(if is_async { Val::Ready(Box::new(v)) } else { v })
            }
            Builtin::Closing { label, .. } => Ok(Val::Closer(label.clone())),
            Builtin::Cm(c) => self.cm_enter(*c),
        }
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
                Val::Bool(yes)
            }
            Builtin::Null(_) => Val::None,
            Builtin::Closing { label, raises } => {
                self.hit(Rule::ClosingCloses);
                self.events.push(Event::Close { label: label.clone() });
                if let Some(c) = raises {
                    self.hit(Rule::ClosingRaises);
                    let id = self.excs.new_exc(*c, exc::message_of(*c, label));
                    return Err(flow_exc(self.raise_obj(id)));
                }
                Val::None
            }
            Builtin::Cm(c) => return self.cm_exit(*c, exc),
        };
        Ok(if is_async { Val::Ready(Box::new(res)) } else { res })
    }

    /// `_GeneratorContextManager.__enter__`: `next(self.gen)`.
    fn cm_enter(&mut self, c: usize) -> Result<Val, ExcId> {
        let cm: &CmGen = &self.program.cms[c];
        let frame = self.excs.push_frame();
        let saved_vars = std::mem::take(&mut self.vars);
        let flow = self.block(&cm.pre);
        self.vars = saved_vars;
        let res = match (flow, &cm.yields) {
            (Flow::Normal, Some(v)) => {
                self.hit(Rule::CmEnterYields);
                Ok(self.eval(v))
            }
            (Flow::Raise(x), _) => {
                self.hit(Rule::CmEnterRaises);
                Err(self.pep479(x, "generator raised StopIteration"))
            }
            (flow, _) => {
                // The generator finished without yielding: `next()` raised StopIteration, and
                // contextlib raises RuntimeError from None while handling it.
                self.hit(Rule::CmDidntYield);
                let value = match flow {
                    Flow::Return(v) => Some(v),
                    _ => None,
                };
                let stop = self.stop_iteration(frame, value);
                self.excs.pop_frame(frame);
                self.excs.push_handled(stop);
                let err = self.excs.new_exc(ExcClass::RuntimeError, "generator didn't yield".to_string());
                self.excs.set_cause(err, None);
                let err = flow_exc(self.raise_obj(err));
                self.excs.pop_handled();
                return Err(err);
            }
        };
        self.excs.pop_frame(frame);
        res
    }

    /// `_GeneratorContextManager.__exit__`: `next(gen)` on the normal path, `gen.throw(exc)`
    /// on the exceptional one, with contextlib's rules for what comes back.
    fn cm_exit(&mut self, c: usize, exc: Option<ExcId>) -> Result<Val, ExcId> {
        let cm: &CmGen = &self.program.cms[c];
        let frame = self.excs.push_frame();
        let saved_vars = std::mem::take(&mut self.vars);
        let saved_yield = self.cm_yield.replace(CmYield { frame, didnt_stop: None, after_throw: exc.is_some() });
        // The generator resumes at its yield, inside the try: the yield returns, or raises the
        // thrown exception (unchained: the generator handles nothing there).
        let resumed = match exc {
            None => Flow::Normal,
            Some(e) => Flow::Raise(e),
        };
        let handlers: Vec<Handler> = cm.handler.iter().cloned().collect();
        let mut flow = self.try_rest(resumed, &handlers, &[], cm.finally.as_ref());
        if matches!(flow, Flow::Normal) {
            flow = self.block(&cm.post);
        }
        self.vars = saved_vars;
        let state = std::mem::replace(&mut self.cm_yield, saved_yield).expect("the contextlib state is ours");
        let flow = match flow {
            Flow::Raise(x) => Flow::Raise(self.pep479(x, "generator raised StopIteration")),
            other => other,
        };
        if let Some(rt) = state.didnt_stop {
            // `finally: self.gen.close()` is over: close() raised, or the RuntimeError goes on.
            self.excs.pop_frame(frame);
            self.excs.pop_handled();
            return match flow {
                Flow::Raise(x) if !exc::is_subclass(self.excs.get(x).class, ExcClass::GeneratorExit) => Err(x),
                _ => Err(rt),
            };
        }
        let res = match (exc, flow) {
            (None, Flow::Raise(x)) => Err(x),
            (None, _) => Ok(Val::Bool(false)),
            (Some(_), Flow::Raise(x)) => self.cm_throw_raised(exc.expect("checked"), x),
            (Some(_), _) => {
                // The generator finished: StopIteration from throw(); `exc is not value`.
                self.hit(Rule::CmSuppresses);
                Ok(Val::Bool(true))
            }
        };
        self.excs.pop_frame(frame);
        res
    }

    /// `gen.throw(value)` raised `x`: contextlib's `except RuntimeError` / `except BaseException`.
    fn cm_throw_raised(&mut self, value: ExcId, x: ExcId) -> Result<Val, ExcId> {
        if x == value {
            self.hit(Rule::CmReraisesSame);
            return Ok(Val::Bool(false));
        }
        let value_class = self.excs.get(value).class;
        let stop = if self.profile.at_least(9) {
            exc::is_subclass(value_class, ExcClass::StopIteration)
        } else {
            value_class == ExcClass::StopIteration
        };
        let x_obj = self.excs.get(x);
        if x_obj.class == ExcClass::RuntimeError && stop && x_obj.cause == Some(value) {
            // The generator let the thrown StopIteration through (PEP 479 wrapped it): the
            // original propagates.
            self.hit(Rule::CmUnwrapsStopIteration);
            return Ok(Val::Bool(false));
        }
        self.hit(Rule::CmRaisesOther);
        Err(x)
    }

    /// The `@contextmanager` generator yielded again while `__exit__` resumed it: contextlib
    /// raises "generator didn't stop" and, in a `finally`, closes the generator (3.11.7+).
    pub(crate) fn cm_yields_again(&mut self) -> Flow {
        let mut state = self.cm_yield.take().expect("called only while resuming a cm generator");
        let res = if state.didnt_stop.is_some() {
            unreachable!("validate allows one more yield only")
        } else {
            self.hit(if state.after_throw { Rule::CmDidntStopAfterThrow } else { Rule::CmDidntStop });
            let msg = if state.after_throw { "generator didn't stop after throw()" } else { "generator didn't stop" };
            let rt = self.excs.new_in_caller(state.frame, ExcClass::RuntimeError, msg);
            state.didnt_stop = Some(rt);
            // close(): GeneratorExit, chained to the RuntimeError the finally is handling.
            self.excs.push_handled_below(state.frame, rt);
            let ge = self.excs.new_exc(ExcClass::GeneratorExit, String::new());
            self.excs.set_context(ge, Some(rt));
            Flow::Raise(ge)
        };
        self.cm_yield = Some(state);
        res
    }
}
