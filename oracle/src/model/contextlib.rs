//! contextlib's managers (SEMANTICS.md §4), implemented by the model itself from the documented
//! algorithm: `@contextmanager` and `@asynccontextmanager` (`_GeneratorContextManager`,
//! `_AsyncGeneratorContextManager`), `suppress`, `nullcontext`, `closing` and `aclosing`.
//! `ExitStack` and `AsyncExitStack` are in `exit_stack`. contextlib's own frames log nothing;
//! what shows in the trace is the generator's code, what the managers call, and the exceptions.

use crate::ir::{CmGen, ExcClass, Handler, Value};
use crate::trace::Event;

use super::exc::{self, ExcId};
use super::exit_stack::Entry;
use super::message::{self, Code};
use super::with_stmt::flow_exc;
use super::{Flow, Machine, Rule, Val};

/// Index of a stateful object in the machine's heap.
pub(crate) type ObjId = usize;

/// The state of an object whose identity matters: entered twice, or shared by name.
#[derive(Clone, Debug)]
pub(crate) enum Obj {
    /// A `_GeneratorContextManager`: where its generator is.
    Cm(CmState),
    /// An exit stack's callbacks, oldest first.
    Stack(Vec<Entry>),
    /// The generator object `closing(g0())` holds.
    Gen(GenState),
}

/// Where the generator of a `@contextmanager` object is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmState {
    /// Never run: `__enter__` was not called (an exit stack may `push` it unentered).
    Created,
    /// Suspended at its first yield: entered, not exited.
    Suspended,
    /// Done: ran to its end, raised, or was closed (or left suspended where nothing runs).
    Finished,
}

/// Where the generator held by a `closing` / `aclosing` stands, as its `__exit__` sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GenState {
    /// Never stepped: closing it runs none of its code.
    Created,
    /// Stepped to its end (or it raised): closing it does nothing.
    Finished,
    /// `stepped_body` closed it when the body ended; this is what `close()` gave.
    Closed(Option<ExcId>),
}

/// A contextlib manager object.
#[derive(Clone, Debug)]
pub(crate) enum Builtin {
    /// `suppress(*classes)`.
    Suppress(Vec<ExcClass>),
    /// `nullcontext(value)`.
    Null(Value),
    /// `closing(Closer(label, raises))`.
    Closing { label: String, raises: Option<ExcClass> },
    /// `c<n>()`: a `_GeneratorContextManager`, or an `_AsyncGeneratorContextManager` when
    /// `c<n>` is an `@asynccontextmanager`.
    Cm { cm: usize, obj: ObjId },
    /// `ExitStack()` / `AsyncExitStack()`.
    Stack { is_async: bool, obj: ObjId },
    /// `closing(g<n>())` / `aclosing(g<n>())`.
    ClosingGen { gen: usize, is_async: bool, obj: ObjId },
}

impl Builtin {
    pub(crate) fn type_name(&self, machine: &Machine<'_>) -> &'static str {
        match self {
            Builtin::Suppress(_) => "suppress",
            Builtin::Null(_) => "nullcontext",
            Builtin::Closing { .. } | Builtin::ClosingGen { is_async: false, .. } => "closing",
            Builtin::ClosingGen { is_async: true, .. } => "aclosing",
            Builtin::Cm { cm, .. } if machine.program.cms[*cm].is_async => "_AsyncGeneratorContextManager",
            Builtin::Cm { .. } => "_GeneratorContextManager",
            Builtin::Stack { is_async: false, .. } => "ExitStack",
            Builtin::Stack { is_async: true, .. } => "AsyncExitStack",
        }
    }

    /// Whether `type(obj)` has `__enter__` and `__exit__`, and whether it has `__aenter__` and
    /// `__aexit__`.
    pub(crate) fn protocols(&self, machine: &Machine<'_>) -> (bool, bool) {
        match self {
            Builtin::Suppress(_) | Builtin::Closing { .. } => (true, false),
            Builtin::Null(_) => (true, machine.quirks.contextlib_async_helpers),
            Builtin::Cm { cm, .. } => {
                let a = machine.program.cms[*cm].is_async;
                (!a, a)
            }
            Builtin::Stack { is_async, .. } | Builtin::ClosingGen { is_async, .. } => (!is_async, *is_async),
        }
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

impl Machine<'_> {
    pub(crate) fn alloc(&mut self, obj: Obj) -> ObjId {
        self.heap.push(obj);
        self.heap.len() - 1
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
                Val::Bool(yes)
            }
            Builtin::Null(_) => Val::None,
            Builtin::Closing { label, raises } => {
                self.hit(Rule::ClosingCloses);
                self.emit(Event::Close { label: label.clone() });
                if let Some(c) = raises {
                    self.hit(Rule::ClosingRaises);
                    let id = self.excs.new_exc(*c, message::raised_by_program(*c, label));
                    return Err(flow_exc(self.raise_obj(id)));
                }
                Val::None
            }
            Builtin::Cm { cm, obj } => return self.cm_exit(*cm, *obj, exc),
            Builtin::Stack { is_async: stack_async, obj } => {
                let res = self.stack_exit(*obj, exc, *stack_async);
                // AsyncExitStack.__aexit__ is a coroutine: PEP 479 at its boundary.
                return if *stack_async { res.map_err(|x| self.pep479(x, Code::Coroutine)) } else { res };
            }
            Builtin::ClosingGen { obj, is_async: gen_async, .. } => {
                // The closing itself happened when the body ended (`stepped_body`).
                self.rule(*gen_async, Rule::ClosingGen, Rule::AclosingGen);
                match self.heap[*obj] {
                    Obj::Gen(GenState::Closed(Some(x))) => return Err(x),
                    Obj::Gen(_) => Val::None,
                    _ => unreachable!("a closing holds a generator"),
                }
            }
        };
        Ok(if is_async { Val::Ready(Box::new(res)) } else { res })
    }

    /// `_GeneratorContextManager.__enter__`: `next(self.gen)`; the async one awaits
    /// `anext(self.gen)`.
    fn cm_enter(&mut self, c: usize, obj: ObjId) -> Result<Val, ExcId> {
        let cm: &CmGen = &self.program.cms[c];
        let is_async = cm.is_async;
        let Obj::Cm(state) = self.heap[obj] else { unreachable!("a generator manager") };
        let entered = state != CmState::Created;
        // 3.8's async manager does not `del self.args`: entering again resumes the generator,
        // which an earlier `__aexit__` ran to its end, so it "didn't yield".
        let deletes_args = !is_async || self.quirks.acm_enter_deletes_args;
        if entered && deletes_args {
            self.hit(Rule::CmReentered);
            let ty = if is_async { "_AsyncGeneratorContextManager" } else { "_GeneratorContextManager" };
            let msg = message::cm_reentered(&self.quirks, ty);
            let err = flow_exc(self.raise_builtin(ExcClass::AttributeError, msg));
            return Err(self.coroutine_boundary(err, is_async));
        }
        if entered && state == CmState::Suspended {
            // 3.8 resumes the generator of the outer `async with` from its yield.
            self.unpredictable = Some("3.8 re-enters an @asynccontextmanager object by resuming its generator");
        }
        self.heap[obj] = Obj::Cm(CmState::Finished);
        let gen_code = Code::of_generator(is_async);
        let frame = self.excs.push_frame();
        let flow = if entered {
            Flow::Normal
        } else {
            let saved_vars = std::mem::take(&mut self.vars);
            let flow = self.block(&cm.pre);
            self.vars = saved_vars;
            flow
        };
        let res = match (flow, &cm.yields) {
            (Flow::Normal, Some(v)) if !entered => {
                self.rule(is_async, Rule::CmEnterYields, Rule::AcmEnterYields);
                self.heap[obj] = Obj::Cm(CmState::Suspended);
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
                self.rule(is_async, Rule::CmDidntYield, Rule::AcmDidntYield);
                let value = match flow {
                    Flow::Return(v) => Some(v),
                    _ => None,
                };
                let stop = if is_async {
                    self.excs.new_in_caller(frame, ExcClass::StopAsyncIteration, "")
                } else {
                    self.stop_iteration(frame, value)
                };
                self.excs.pop_frame(frame);
                self.excs.push_handled(stop);
                let err = self.excs.new_exc(ExcClass::RuntimeError, message::didnt_yield());
                self.excs.set_cause(err, None);
                let err = flow_exc(self.raise_obj(err));
                self.excs.pop_handled();
                return Err(self.coroutine_boundary(err, is_async));
            }
        };
        self.excs.pop_frame(frame);
        res.map_err(|x| self.coroutine_boundary(x, is_async))
    }

    /// An exception leaving one of contextlib's `async def` methods meets PEP 479 there.
    fn coroutine_boundary(&mut self, x: ExcId, is_async: bool) -> ExcId {
        if is_async {
            self.pep479(x, Code::Coroutine)
        } else {
            x
        }
    }

    /// `_GeneratorContextManager.__exit__`: `next(gen)` on the normal path, `gen.throw(exc)`
    /// on the exceptional one, with contextlib's rules for what comes back. The async one
    /// awaits `anext(gen)` and `gen.athrow(exc)`.
    fn cm_exit(&mut self, c: usize, obj: ObjId, exc: Option<ExcId>) -> Result<Val, ExcId> {
        let cm: &CmGen = &self.program.cms[c];
        let is_async = cm.is_async;
        let Obj::Cm(state) = self.heap[obj] else { unreachable!("a generator manager") };
        self.heap[obj] = Obj::Cm(CmState::Finished);
        let ready = |v: Val| if is_async { Val::Ready(Box::new(v)) } else { v };
        if state == CmState::Finished {
            // next() raises StopIteration at once: False. throw() raises the very exception:
            // False; but athrow() on a finished async generator returns None, so the generator
            // "didn't stop".
            if let (Some(_), true) = (exc, is_async) {
                self.hit(Rule::AcmDidntStopAfterAthrow);
                let rt = self.raise_builtin(ExcClass::RuntimeError, message::didnt_stop(true, true));
                return Err(self.coroutine_boundary(flow_exc(rt), is_async));
            }
            if let Some(e) = exc {
                self.stale_traceback(e);
            }
            return Ok(ready(Val::Bool(false)));
        }
        let frame = self.excs.push_frame();
        let saved_vars = std::mem::take(&mut self.vars);
        let cm_yield =
            CmYield { frame, didnt_stop: None, ignored: None, after_throw: exc.is_some(), is_async, closed: false };
        let saved_yield = self.cm_yield.replace(cm_yield);
        let handlers: &[Handler] = cm.handler.as_slice();
        let flow = match (state, exc) {
            // The generator resumes at its yield, inside the try: the yield returns, or raises
            // the thrown exception (unchained: the generator handles nothing there).
            (CmState::Suspended, _) => {
                let resumed = exc.map_or(Flow::Normal, Flow::Raise);
                let flow = self.try_rest(resumed, handlers, &[], cm.finally.as_ref());
                match flow {
                    Flow::Normal => self.block(&cm.post),
                    other => other,
                }
            }
            // Pushed on an exit stack without being entered: what is thrown in is raised where
            // the generator starts, before any of its code.
            (CmState::Created, Some(e)) => {
                self.hit(Rule::CmExitUnentered);
                Flow::Raise(e)
            }
            // next() runs it from its start, up to a first yield that `__exit__` did not expect.
            (CmState::Created, None) => {
                self.hit(Rule::CmExitUnentered);
                match (self.block(&cm.pre), &cm.yields) {
                    (Flow::Normal, Some(_)) => {
                        if !self.quirks.cm_closes_generator_that_did_not_stop
                            && (cm.handler.is_some() || cm.finally.is_some())
                        {
                            // Left suspended in its try: the garbage collector closes it.
                            self.unpredictable =
                                Some("a @contextmanager generator left suspended in a try is closed by the garbage collector");
                        }
                        let ge = self.cm_yields_again();
                        match self.try_rest(ge, handlers, &[], cm.finally.as_ref()) {
                            Flow::Normal => self.block(&cm.post),
                            other => other,
                        }
                    }
                    (flow, _) => flow,
                }
            }
            (CmState::Finished, _) => unreachable!("handled above"),
        };
        self.vars = saved_vars;
        let state = std::mem::replace(&mut self.cm_yield, saved_yield).expect("the contextlib state is ours");
        let flow = match flow {
            Flow::Raise(x) => Flow::Raise(self.pep479(x, Code::of_generator(is_async))),
            other => other,
        };
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
            (None, _) => Ok(Val::Bool(false)),
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
        if x == value {
            self.rule(is_async, Rule::CmReraisesSame, Rule::AcmReraisesSame);
            return Ok(Val::Bool(false));
        }
        let value_class = self.excs.get(value).class;
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
            // The generator let the thrown StopIteration through (PEP 479 wrapped it): the
            // original propagates.
            self.rule(is_async, Rule::CmUnwrapsStopIteration, Rule::AcmUnwrapsStopIteration);
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
    pub(crate) fn cm_yields_again(&mut self) -> Flow {
        let mut state = self.cm_yield.take().expect("called only while resuming a cm generator");
        if state.didnt_stop.is_some() {
            self.hit(Rule::GenCloseIgnored);
            let msg = message::ignored_generator_exit(state.is_async);
            let err = self.excs.new_in_caller(state.frame, ExcClass::RuntimeError, &msg);
            state.ignored = Some(err);
            self.cm_yield = Some(state);
            return Flow::Raise(err);
        }
        self.hit(match (state.after_throw, state.is_async) {
            (false, false) => Rule::CmDidntStop,
            (true, false) => Rule::CmDidntStopAfterThrow,
            (false, true) => Rule::AcmDidntStop,
            (true, true) => Rule::AcmDidntStopAfterAthrow,
        });
        let msg = message::didnt_stop(state.after_throw, state.is_async);
        let rt = self.excs.new_in_caller(state.frame, ExcClass::RuntimeError, &msg);
        state.didnt_stop = Some(rt);
        if !self.quirks.cm_closes_generator_that_did_not_stop {
            // Before 3.11.7 the generator is not closed; it stays suspended where
            // nothing of it runs again, and the RuntimeError leaves __exit__ at once.
            self.cm_yield = Some(state);
            return Flow::Raise(rt);
        }
        state.closed = true;
        // close(): GeneratorExit, chained to the RuntimeError the finally is handling; aclose()
        // does not chain it.
        self.excs.push_handled_below(state.frame, rt);
        let ge = self.excs.new_exc(ExcClass::GeneratorExit, String::new());
        if !state.is_async {
            self.excs.set_context(ge, Some(rt));
        }
        self.cm_yield = Some(state);
        Flow::Raise(ge)
    }

    /// 3.8-3.10 re-raise a thrown exception out of `throw()` without restoring its traceback:
    /// the details an exit stack holds for it go stale.
    fn stale_traceback(&mut self, e: ExcId) {
        if !self.quirks.cm_restores_traceback {
            self.excs.bump_tb(e);
        }
    }
}
