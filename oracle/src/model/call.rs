//! Calling what a protocol lookup found (SEMANTICS.md §1.3–§1.5, §2.3, §3): a manager's
//! method with the exception details, awaiting what an async method returned, and the truth of
//! an exit's result.

use crate::ir::{Action, AwaitThen, BoolResult, ExcClass, ExitFnResult, Method, Slot, Value};
use crate::trace::Event;

use super::exc::{self, ExcId};
use super::message::{self, Code};
use super::protocol::{Call, Found};
use super::{Machine, Rule, Val};

/// Where an awaitable is awaited, for the §2.3 messages.
#[derive(Clone, Copy)]
pub(crate) enum Site {
    /// `async with` awaiting what the method in the slot (`__aenter__` or `__aexit__`) returned.
    With(Slot),
    /// An `await` expression (contextlib's coroutines awaiting what they called).
    Await,
}

/// The exception details an exit is called with: `(type(e), e, tb)`, or three Nones.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ExcDetails {
    /// The exception, if any.
    pub(crate) exc: Option<ExcId>,
    /// Whether `tb` is still `e.__traceback__`. The `with` statement takes the details as it
    /// calls; an exit stack before 3.13 passes the ones it received, which go stale when the
    /// exception's traceback changes meanwhile.
    pub(crate) fresh: bool,
    /// `(E1, None, None)` passed by a direct call (SEMANTICS-ADDENDUM §15.1): the type without an
    /// exception; `fresh` is then false.
    pub(crate) only_type: Option<ExcClass>,
}

impl ExcDetails {
    /// The details of `exc` taken now.
    pub(crate) fn of(exc: Option<ExcId>) -> ExcDetails {
        ExcDetails { exc, fresh: true, only_type: None }
    }
}

impl<'p> Machine<'p> {
    /// Calls the method in `slot` of `type(mgr)`, which contextlib found by attribute access;
    /// an exit method with `details`, bound to `mgr`, as an exit stack calls it.
    pub(crate) fn call_found(&mut self, mgr: &Val, slot: Slot, details: ExcDetails) -> Result<Val, ExcId> {
        let found = self.found_method(mgr, slot);
        self.call_method(mgr, found, slot, details)
    }

    /// Calls a protocol method of `mgr`: the one in `slot`, with `details` if it is an exit
    /// method (an enter method ignores them). For `async def` methods the result is the
    /// coroutine, run when it is awaited.
    pub(crate) fn call_method(
        &mut self,
        mgr: &Val,
        method: Found<'p>,
        slot: Slot,
        details: ExcDetails,
    ) -> Result<Val, ExcId> {
        let (owner, how) = match method {
            Found::Builtin => {
                let Val::Builtin(b) = mgr else { unreachable!("builtin methods belong to builtin managers") };
                let is_async = slot.is_async();
                return if slot.is_exit() {
                    self.builtin_exit(b, details.exc, is_async)
                } else {
                    self.builtin_enter(b, mgr, is_async)
                };
            }
            Found::None => {
                let rule = if slot.is_exit() { Rule::ExitIsNone } else { Rule::EnterIsNone };
                self.hit(rule);
                return Err(self.raise_builtin(rule, ExcClass::TypeError, message::none_not_callable()));
            }
            Found::Call { owner, how } => (owner, how),
        };
        let name = format!("M{owner}");
        let this = Val::Mgr(self.instance_of(mgr));
        if matches!(self.program.managers[owner].method(slot), Method::Static(_) | Method::ClassMethod(_)) {
            self.hit(Rule::StaticOrClassMethod);
        }
        let action = match how {
            Call::WrongArity => {
                self.hit(Rule::WrongArity);
                let msg = message::wrong_arity(&self.quirks, &name, slot);
                return Err(self.raise_builtin(Rule::WrongArity, ExcClass::TypeError, msg));
            }
            Call::Async { suspend, action } => {
                return Ok(Val::Coro {
                    mgr: name,
                    this: Box::new(this),
                    slot,
                    suspend: suspend.map(str::to_string),
                    action: Box::new(action.clone()),
                    details,
                });
            }
            Call::Callable(r) => {
                self.hit(Rule::CallableNotDescriptor);
                self.log_call(&name, slot, details);
                return match r {
                    ExitFnResult::Return(v) => Ok(self.eval(v)),
                    ExitFnResult::Raise(c) => {
                        let id = self.excs.new_user_exc(*c, message::raised_by_program(*c, slot.name()));
                        Err(self.raise_obj(id))
                    }
                };
            }
            Call::Plain(a) => a,
        };
        if slot.is_async() {
            self.hit(Rule::AsyncPlainDef);
        }
        self.method_body(&name, &this, slot, action, details, None)
    }

    /// The manager class index of `mgr`, an instance (methods are only ever found on one).
    fn instance_of(&self, mgr: &Val) -> usize {
        match mgr {
            Val::Mgr(m) => *m,
            _ => unreachable!("only manager instances have methods of their own"),
        }
    }

    /// The event of a call of a protocol method of class `name`: `__enter__` and `__aenter__` log
    /// `sys.exc_info()`, the exit methods their arguments too.
    fn log_call(&mut self, name: &str, slot: Slot, details: ExcDetails) {
        let is_async = slot.is_async();
        let info = self.exc_info();
        if slot.is_exit() {
            let exc_ref = self.excs.observe(details.exc);
            let event = Event::Exit { mgr: name.to_string(), is_async, exc: exc_ref, consistent: details.fresh, info };
            self.emit(event);
        } else {
            self.emit(Event::Enter { mgr: name.to_string(), is_async, info });
        }
    }

    /// The body of a defined method of class `name`, on the instance `this`: log the call,
    /// then the action.
    fn method_body(
        &mut self,
        name: &str,
        this: &Val,
        slot: Slot,
        action: &Action,
        details: ExcDetails,
        suspend: Option<&str>,
    ) -> Result<Val, ExcId> {
        self.log_call(name, slot, details);
        let res = self.method_action(this, action, details, suspend);
        if let Err(x) = res {
            // Out of the method's frame into the caller's: a traceback entry of its own, so an
            // `except*` handler's part re-raised there is raised, not re-raised (§13.4).
            self.excs.raised_again(x);
        }
        res
    }

    /// What a defined method does once its call is logged.
    fn method_action(
        &mut self,
        this: &Val,
        action: &Action,
        details: ExcDetails,
        suspend: Option<&str>,
    ) -> Result<Val, ExcId> {
        let exc = details.exc;
        if let Some(label) = suspend {
            // `await Aw('s1', True, None)` in an `async def` method.
            self.suspend_at(label)?;
        }
        match action {
            Action::ReturnSelf => Ok(this.clone()),
            Action::Return(v) => Ok(self.eval(v)),
            Action::Raise(r) => Err(self.raise_new(r)),
            Action::RaiseArg => match exc {
                Some(e) => Err(self.raise_obj(e)),
                None => {
                    self.hit(Rule::RaiseNone);
                    Err(self.raise_builtin(Rule::RaiseNone, ExcClass::TypeError, message::must_derive()))
                }
            },
            Action::BareRaise => Err(self.bare_raise()),
            Action::SuppressIf(classes) => {
                // `suppress_if(t, ...)`: the type passed, which a direct call may pass alone.
                let class = details.only_type.or_else(|| exc.map(|e| self.excs.get(e).class));
                let yes = class.is_some_and(|c| classes.iter().any(|of| exc::is_subclass(c, *of)));
                Ok(Val::Bool(yes))
            }
        }
    }

    /// `await` on something that suspends at `label`: the driver sees it.
    pub(crate) fn suspend_at(&mut self, label: &str) -> Result<(), ExcId> {
        self.hit(Rule::AsyncSuspends);
        self.emit(Event::Await { label: label.to_string() });
        self.suspended(label)
    }

    /// For `async with`, awaits what the method returned (§2.3, §3); for `with`, the value itself.
    pub(crate) fn awaited(&mut self, v: Val, slot: Slot) -> Result<Val, ExcId> {
        if !slot.is_async() {
            return Ok(v);
        }
        self.await_value(v, Site::With(slot))
    }

    /// `await v`: runs what `v` does when awaited and gives its result.
    pub(crate) fn await_value(&mut self, v: Val, site: Site) -> Result<Val, ExcId> {
        match v {
            Val::Coro { mgr, this, slot, suspend, action, details } => {
                self.hit(Rule::AsyncDefAwaited);
                let res = self.method_body(&mgr, &this, slot, &action, details, suspend.as_deref());
                // PEP 479 at the coroutine's frame boundary.
                res.map_err(|x| self.pep479(x, Code::Coroutine))
            }
            Val::Aw(Value::Awaitable { label, suspend, then, coroutine }) => {
                self.hit(if coroutine { Rule::AsyncCoroutineAwaited } else { Rule::AsyncAwaitableAwaited });
                self.emit(Event::Await { label: label.clone() });
                if suspend {
                    self.hit(Rule::AsyncSuspends);
                    self.suspended(&label)?;
                }
                match *then {
                    AwaitThen::Return(v) => Ok(self.eval(&v)),
                    AwaitThen::Raise(c) => {
                        let id = self.excs.new_user_exc(c, message::raised_by_program(c, &label));
                        let id = self.raise_obj(id);
                        // PEP 479 at the boundary of the coroutine, or of the awaitable's
                        // iterator, a generator.
                        let code = if coroutine { Code::Coroutine } else { Code::Generator };
                        Err(self.pep479(id, code))
                    }
                }
            }
            Val::Aw(_) => unreachable!("awaitables hold their own IR value"),
            Val::Ready(v) => Ok(*v),
            Val::BadAw => {
                self.hit(Rule::AwaitNonIterator);
                let msg = message::await_non_iterator("int");
                Err(self.raise_builtin(Rule::AwaitNonIterator, ExcClass::TypeError, msg))
            }
            other => {
                let ty = self.type_name(&other);
                let (rule, msg) = match site {
                    Site::With(slot) if slot.is_exit() => {
                        (Rule::AsyncExitNotAwaitable, message::not_awaitable(slot, &ty))
                    }
                    Site::With(slot) => (Rule::AsyncEnterNotAwaitable, message::not_awaitable(slot, &ty)),
                    Site::Await => (Rule::AwaitNotAwaitable, message::await_not_awaitable(&self.quirks, &ty)),
                };
                self.hit(rule);
                Err(self.raise_builtin(rule, ExcClass::TypeError, msg))
            }
        }
    }

    /// `PyObject_IsTrue` on an exit result: `__bool__`, else `__len__`, else true.
    pub(crate) fn truthy(&mut self, v: &Val) -> Result<bool, ExcId> {
        Ok(match v {
            Val::None => false,
            Val::Bool(b) => *b,
            Val::Int(n) => *n != 0,
            Val::Str(s) => !s.is_empty(),
            Val::Tuple(items) | Val::List(items) => !items.is_empty(),
            Val::Mgr(_) | Val::Exc(_) | Val::Aw(_) | Val::BadAw | Val::Coro { .. } | Val::Gen { .. } | Val::Xf(_) => {
                true
            }
            Val::Builtin(_) | Val::Closer(_) | Val::Ready(_) => true,
            Val::BoolObj(Value::BoolObj { label, result }) => {
                self.hit(Rule::ExitResultBool);
                self.emit(Event::Bool { label: label.clone() });
                match result {
                    BoolResult::Bool(b) => *b,
                    BoolResult::NonBool(_) => {
                        self.hit(Rule::BoolReturnsNonBool);
                        let msg = message::bool_returned("int");
                        return Err(self.raise_builtin(Rule::BoolReturnsNonBool, ExcClass::TypeError, msg));
                    }
                    BoolResult::Raise(c) => {
                        self.hit(Rule::BoolRaises);
                        let id = self.excs.new_user_exc(*c, message::raised_by_program(*c, label));
                        return Err(self.raise_obj(id));
                    }
                }
            }
            Val::LenObj(Value::LenObj { label, len }) => {
                self.hit(Rule::ExitResultLen);
                self.emit(Event::Len { label: label.clone() });
                if *len < 0 {
                    self.hit(Rule::LenNegative);
                    return Err(self.raise_builtin(Rule::LenNegative, ExcClass::ValueError, message::len_negative()));
                }
                *len != 0
            }
            Val::BoolObj(_) | Val::LenObj(_) => unreachable!("result objects hold their own IR value"),
        })
    }
}
