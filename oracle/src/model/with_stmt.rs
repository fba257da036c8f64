//! The `with` and `async with` statements (SEMANTICS.md §1.2–§1.7, §2, §3): evaluate, look up,
//! enter, bind, run, exit, in exactly CPython's order. The async statement is the same
//! algorithm with the call results awaited (§1.9).

use crate::ir::{Action, AwaitThen, BoolResult, ExcClass, ItemExpr, Manager, Method, Stmt, Target, Value, WithItem};
use crate::trace::Event;

use super::contextlib::{Builtin, CmState, GenState, Obj};
use super::exc::{self, ExcId};
use super::message::{self, Code, Missing};
use super::{Flow, Machine, Rule, Val};

/// Which protocol a statement uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Proto {
    /// `with`: `__enter__` / `__exit__`.
    Sync,
    /// `async with`: `__aenter__` / `__aexit__`, results awaited.
    Async,
}

/// What a lookup on `type(mgr)` found.
#[derive(Clone, Copy)]
pub(crate) enum Found<'p> {
    /// `__enter__ = None`: found, fails when called.
    None,
    /// A function: wrong arity, a plain `def` or an `async def`.
    Method(&'p Method),
    /// A contextlib manager's method (the manager value says which).
    Builtin,
}

/// Where an awaitable is awaited, for the §2.3 messages.
#[derive(Clone, Copy)]
pub(crate) enum Site {
    /// `async with` awaiting what `__aenter__` returned.
    Enter,
    /// `async with` awaiting what `__aexit__` returned.
    Exit,
    /// An `await` expression (contextlib's coroutines awaiting what they called).
    Await,
}

impl<'p> Machine<'p> {
    pub(crate) fn with(&mut self, items: &'p [WithItem], body: &'p [Stmt], proto: Proto) -> Flow {
        self.with_items(items, body, false, proto)
    }

    /// `inner` says this item is not the first of its statement (§1.7).
    fn with_items(&mut self, items: &'p [WithItem], body: &'p [Stmt], inner: bool, proto: Proto) -> Flow {
        let Some((item, rest)) = items.split_first() else { return self.block(body) };
        if !rest.is_empty() {
            self.hit(Rule::MultiItemOrder);
        }
        self.with_item(item, rest, body, inner, proto)
    }

    /// An item failed before its body: expression, lookup, enter or binding.
    fn item_failed(&mut self, inner: bool, flow: Flow) -> Flow {
        if inner {
            self.hit(Rule::LaterItemFails);
        }
        flow
    }

    fn with_item(
        &mut self,
        item: &'p WithItem,
        rest: &'p [WithItem],
        body: &'p [Stmt],
        inner: bool,
        proto: Proto,
    ) -> Flow {
        let outer_handled = self.excs.handled();

        // §1.2.1: the expression; no lookup, enter or exit when it raises.
        let mgr = match self.eval_item(&item.expr) {
            Ok(v) => v,
            Err(flow) => return self.item_failed(inner, flow),
        };

        // §1.2.2 / §2: both lookups before any call.
        let (enter, exit) = match self.lookup(&mgr, proto) {
            Ok(found) => found,
            Err(flow) => return self.item_failed(inner, flow),
        };
        let name = self.type_name(&mgr);

        // §1.2.3: enter; when it raises, exit is not called.
        let value = match self.call_method(&name, &mgr, enter, proto, None, false) {
            Ok(v) => self.awaited(v, proto, Site::Enter),
            Err(id) => Err(id),
        };
        let value = match value {
            Ok(v) => v,
            Err(id) => {
                self.hit(Rule::EnterRaises);
                return self.item_failed(inner, Flow::Raise(id));
            }
        };

        // §1.2.4: binding happens inside the protected region.
        let flow = match self.bind(&item.target, value) {
            Err(id) => {
                self.hit(Rule::TargetUnpackFails);
                if inner {
                    self.hit(Rule::LaterItemFails);
                }
                Flow::Raise(id)
            }
            Ok(()) => match (&mgr, &item.target) {
                (Val::Builtin(Builtin::ClosingGen { .. }), Target::Name(var)) if rest.is_empty() => {
                    self.stepped_body(var, body)
                }
                _ => self.with_items(rest, body, true, proto),
            },
        };

        self.exit(&name, &mgr, exit, flow, outer_handled, inner, proto)
    }

    /// Evaluates a context expression (of a `with` item, an assignment or a stack operation).
    pub(crate) fn eval_item(&mut self, expr: &ItemExpr) -> Result<Val, Flow> {
        Ok(match expr {
            ItemExpr::New(m) => {
                let m = *m;
                self.emit(Event::Init { mgr: format!("M{m}") });
                if let Some(e) = &self.program.managers[m].init_raises {
                    self.hit(Rule::ExprRaises);
                    let id = self.instantiate(e);
                    return Err(self.raise_obj(id));
                }
                Val::Mgr(m)
            }
            ItemExpr::Literal(v) => self.eval(v),
            ItemExpr::Cm(c) => {
                let obj = self.alloc(Obj::Cm(CmState::Created));
                Val::Builtin(Builtin::Cm { cm: *c, obj })
            }
            ItemExpr::Suppress(classes) => Val::Builtin(Builtin::Suppress(classes.clone())),
            ItemExpr::Nullcontext(v) => Val::Builtin(Builtin::Null(v.clone())),
            ItemExpr::Closing { label, raises } => {
                Val::Builtin(Builtin::Closing { label: label.clone(), raises: *raises })
            }
            ItemExpr::Var(n) => self.vars.get(n).cloned().expect("validate checks that entered names are bound"),
            ItemExpr::ExitStack { is_async } => {
                let obj = self.alloc(Obj::Stack(Vec::new()));
                Val::Builtin(Builtin::Stack { is_async: *is_async, obj })
            }
            ItemExpr::PopAll(n) => return self.pop_all(n),
            ItemExpr::ClosingGen { gen, is_async } => {
                if *is_async && !self.quirks.contextlib_async_helpers {
                    let msg = message::name_not_defined("aclosing");
                    return Err(self.raise_builtin(ExcClass::NameError, msg));
                }
                let obj = self.alloc(Obj::Gen(GenState::Created));
                Val::Builtin(Builtin::ClosingGen { gen: *gen, is_async: *is_async, obj })
            }
        })
    }

    /// What `type(mgr)` has of `proto`: its enter and exit method, `None` where missing. The
    /// `with` statement and contextlib find the same methods; they differ in what a missing one
    /// raises.
    pub(crate) fn type_methods(&self, mgr: &Val, proto: Proto) -> (Option<Found<'p>>, Option<Found<'p>>) {
        match mgr {
            Val::Mgr(m) => {
                let (e, x) = protocol_methods(&self.program.managers[*m], proto);
                (found(e), found(x))
            }
            Val::Builtin(b) => {
                let (sync, async_) = b.protocols(self);
                let has = if proto == Proto::Sync { sync } else { async_ };
                let f = has.then_some(Found::Builtin);
                (f, f)
            }
            _ => (None, None),
        }
    }

    fn lookup(&mut self, mgr: &Val, proto: Proto) -> Result<(Found<'p>, Found<'p>), Flow> {
        let (enter, exit) = self.type_methods(mgr, proto);
        let other = match proto {
            Proto::Sync => Proto::Async,
            Proto::Async => Proto::Sync,
        };
        let other_has_both = match mgr {
            Val::Builtin(b) => {
                self.hit(Rule::ContextlibManager);
                let (sync, async_) = b.protocols(self);
                if proto == Proto::Sync {
                    async_
                } else {
                    sync
                }
            }
            Val::Mgr(m) => {
                let def = &self.program.managers[*m];
                let (e, x) = protocol_methods(def, proto);
                if matches!(e, Method::InstanceOnly) || matches!(x, Method::InstanceOnly) {
                    self.hit(Rule::InstanceAttrIgnored);
                }
                let (oe, ox) = protocol_methods(def, other);
                is_function(oe) && is_function(ox)
            }
            _ => {
                self.hit(Rule::NotAManager);
                false
            }
        };
        let exit_first = match proto {
            Proto::Sync => self.quirks.sync_exit_looked_up_first,
            Proto::Async => self.quirks.async_exit_looked_up_first,
        };
        let first_missing = match (enter.is_some(), exit.is_some()) {
            (true, true) => return Ok((enter.expect("checked"), exit.expect("checked"))),
            (false, false) => {
                self.hit(if proto == Proto::Sync { Rule::LacksBoth } else { Rule::AsyncLacksBoth });
                if exit_first {
                    Missing::Exit
                } else {
                    Missing::Enter
                }
            }
            (false, true) => {
                self.hit(if proto == Proto::Sync { Rule::LacksEnter } else { Rule::AsyncLacksEnter });
                Missing::Enter
            }
            (true, false) => {
                self.hit(if proto == Proto::Sync { Rule::LacksExit } else { Rule::AsyncLacksExit });
                Missing::Exit
            }
        };
        if other_has_both {
            self.hit(Rule::WrongStatementForManager);
        }
        let ty = self.protocol_type_name(mgr);
        let (cls, msg) =
            message::protocol_error(&self.quirks, &ty, first_missing, proto == Proto::Async, other_has_both);
        Err(self.raise_builtin(cls, msg))
    }

    /// Calls the enter method of `type(mgr)`, which contextlib found by attribute access.
    pub(crate) fn call_enter_of(&mut self, mgr: &Val, proto: Proto) -> Result<Val, ExcId> {
        let found = self.found_method(mgr, proto, false);
        let name = self.type_name(mgr);
        self.call_method(&name, mgr, found, proto, None, false)
    }

    /// Calls the exit method of `type(mgr)` bound to `mgr`, as an exit stack does.
    pub(crate) fn call_exit_of(&mut self, mgr: &Val, proto: Proto, exc: Option<ExcId>) -> Result<Val, ExcId> {
        let found = self.found_method(mgr, proto, true);
        let name = self.type_name(mgr);
        self.call_method(&name, mgr, found, proto, exc, true)
    }

    fn found_method(&self, mgr: &Val, proto: Proto, is_exit: bool) -> Found<'p> {
        let (enter, exit) = self.type_methods(mgr, proto);
        let method = if is_exit { exit } else { enter };
        method.expect("contextlib looked the method up first")
    }

    /// Calls a protocol method. `exc` is the exception passed to an exit method. For `async def`
    /// methods the result is the coroutine, run when it is awaited.
    fn call_method(
        &mut self,
        name: &str,
        mgr: &Val,
        method: Found<'p>,
        proto: Proto,
        exc: Option<ExcId>,
        is_exit: bool,
    ) -> Result<Val, ExcId> {
        let action = match method {
            Found::Builtin => {
                let Val::Builtin(b) = mgr else { unreachable!("builtin methods belong to builtin managers") };
                let is_async = proto == Proto::Async;
                return if is_exit {
                    self.builtin_exit(b, exc, is_async)
                } else {
                    self.builtin_enter(b, mgr, is_async)
                };
            }
            Found::None => {
                self.hit(if is_exit { Rule::ExitIsNone } else { Rule::EnterIsNone });
                return Err(flow_exc(self.raise_builtin(ExcClass::TypeError, message::none_not_callable())));
            }
            Found::Method(Method::WrongArity) => {
                self.hit(Rule::WrongArity);
                let dunder = dunder(is_exit, proto);
                let msg = if is_exit {
                    message::exit_takes_one(&self.quirks, name, dunder)
                } else {
                    message::enter_missing_arg(&self.quirks, name, dunder)
                };
                return Err(flow_exc(self.raise_builtin(ExcClass::TypeError, msg)));
            }
            Found::Method(Method::AsyncDef { suspend, action }) => {
                return Ok(Val::Coro {
                    mgr: name.to_string(),
                    is_exit,
                    suspend: suspend.clone(),
                    action: Box::new(action.clone()),
                    exc,
                });
            }
            Found::Method(Method::Defined(a)) => a,
            Found::Method(Method::Missing | Method::InstanceOnly | Method::NoneAttr) => {
                unreachable!("lookup only finds None, wrong-arity or defined methods")
            }
        };
        if proto == Proto::Async {
            self.hit(Rule::AsyncPlainDef);
        }
        self.method_body(name, is_exit, proto == Proto::Async, action, exc, None)
    }

    /// The body of a defined method: log the call, then the action.
    fn method_body(
        &mut self,
        name: &str,
        is_exit: bool,
        is_async: bool,
        action: &Action,
        exc: Option<ExcId>,
        suspend: Option<&str>,
    ) -> Result<Val, ExcId> {
        let info_of = |m: &mut Self| m.excs.observe(m.excs.handled());
        if is_exit {
            let exc_ref = self.excs.observe(exc);
            let info = info_of(self);
            let consistent = !std::mem::take(&mut self.stale_args);
            self.emit(Event::Exit { mgr: name.to_string(), is_async, exc: exc_ref, consistent, info });
        } else {
            let info = info_of(self);
            self.emit(Event::Enter { mgr: name.to_string(), is_async, info });
        }
        if let Some(label) = suspend {
            // `await Aw('s1', True, None)` in an `async def` method.
            self.hit(Rule::AsyncSuspends);
            self.emit(Event::Await { label: label.to_string() });
            self.emit(Event::Suspend { label: label.to_string() });
        }
        match action {
            Action::ReturnSelf => Ok(Val::Mgr(name[1..].parse().expect("manager names are M<n>"))),
            Action::Return(v) => Ok(self.eval(v)),
            Action::Raise(r) => Err(flow_exc(self.raise_new(r))),
            Action::RaiseArg => match exc {
                Some(e) => Err(flow_exc(self.raise_obj(e))),
                None => {
                    self.hit(Rule::RaiseNone);
                    Err(flow_exc(self.raise_builtin(ExcClass::TypeError, message::must_derive())))
                }
            },
            Action::BareRaise => Err(flow_exc(self.bare_raise())),
            Action::SuppressIf(classes) => {
                let class = exc.map(|e| self.excs.get(e).class);
                let yes = class.is_some_and(|c| classes.iter().any(|of| exc::is_subclass(c, *of)));
                Ok(Val::Bool(yes))
            }
        }
    }

    /// For `async with`, awaits what the method returned (§2.3, §3); for `with`, the value itself.
    pub(crate) fn awaited(&mut self, v: Val, proto: Proto, site: Site) -> Result<Val, ExcId> {
        if proto == Proto::Sync {
            return Ok(v);
        }
        self.await_value(v, site)
    }

    /// `await v`: runs what `v` does when awaited and gives its result.
    pub(crate) fn await_value(&mut self, v: Val, site: Site) -> Result<Val, ExcId> {
        match v {
            Val::Coro { mgr, is_exit, suspend, action, exc } => {
                self.hit(Rule::AsyncDefAwaited);
                let res = self.method_body(&mgr, is_exit, true, &action, exc, suspend.as_deref());
                // PEP 479 at the coroutine's frame boundary.
                res.map_err(|x| self.pep479(x, Code::Coroutine))
            }
            Val::Aw(Value::Awaitable { label, suspend, then, coroutine }) => {
                self.hit(if coroutine { Rule::AsyncCoroutineAwaited } else { Rule::AsyncAwaitableAwaited });
                self.emit(Event::Await { label: label.clone() });
                if suspend {
                    self.hit(Rule::AsyncSuspends);
                    self.emit(Event::Suspend { label: label.clone() });
                }
                match *then {
                    AwaitThen::Return(v) => Ok(self.eval(&v)),
                    AwaitThen::Raise(c) => {
                        let id = self.excs.new_exc(c, message::raised_by_program(c, &label));
                        let id = flow_exc(self.raise_obj(id));
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
                Err(flow_exc(self.raise_builtin(ExcClass::TypeError, msg)))
            }
            other => {
                let ty = self.type_name(&other);
                let msg = match site {
                    Site::Enter => {
                        self.hit(Rule::AsyncEnterNotAwaitable);
                        message::not_awaitable("__aenter__", &ty)
                    }
                    Site::Exit => {
                        self.hit(Rule::AsyncExitNotAwaitable);
                        message::not_awaitable("__aexit__", &ty)
                    }
                    Site::Await => {
                        self.hit(Rule::AwaitNotAwaitable);
                        message::await_not_awaitable(&self.quirks, &ty)
                    }
                };
                Err(flow_exc(self.raise_builtin(ExcClass::TypeError, msg)))
            }
        }
    }

    fn bind(&mut self, target: &Target, value: Val) -> Result<(), ExcId> {
        match target {
            Target::None => Ok(()),
            Target::Name(n) => {
                self.hit(Rule::TargetBindsEnterValue);
                self.vars.insert(n.clone(), value);
                Ok(())
            }
            Target::Tuple(names) => {
                let expected = names.len();
                let items: Vec<Val> = match &value {
                    Val::Tuple(items) => items.clone(),
                    Val::Str(s) => s.chars().map(|c| Val::Str(c.to_string())).collect(),
                    other => {
                        self.hit(Rule::UnpackMessage);
                        let msg = message::unpack_non_iterable(&self.type_name(other));
                        return Err(flow_exc(self.raise_builtin(ExcClass::TypeError, msg)));
                    }
                };
                if items.len() != expected {
                    self.hit(Rule::UnpackMessage);
                    let exact = matches!(value, Val::Tuple(_));
                    let msg = message::unpack_count(&self.quirks, expected, items.len(), exact);
                    return Err(flow_exc(self.raise_builtin(ExcClass::ValueError, msg)));
                }
                self.hit(Rule::TargetUnpacks);
                for (n, v) in names.iter().zip(items) {
                    self.vars.insert(n.clone(), v);
                }
                Ok(())
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn exit(
        &mut self,
        name: &str,
        mgr: &Val,
        exit: Found<'p>,
        flow: Flow,
        outer_handled: Option<ExcId>,
        inner: bool,
        proto: Proto,
    ) -> Flow {
        match flow {
            Flow::Raise(e) => {
                self.hit(Rule::ExitGetsException);
                self.excs.push_handled(e);
                let res = match self.call_method(name, mgr, exit, proto, Some(e), true) {
                    Ok(v) => self.awaited(v, proto, Site::Exit),
                    Err(x) => Err(x),
                };
                let res = match res {
                    Err(x) => {
                        if x == e {
                            self.hit(Rule::ExitReraisesSame);
                        } else {
                            self.hit(Rule::ExitRaisesOnException);
                            if inner {
                                self.hit(Rule::InnerExitRaisesOuterSees);
                            }
                        }
                        Flow::Raise(x)
                    }
                    Ok(v) => match self.truthy(&v) {
                        Err(x) => Flow::Raise(x),
                        Ok(true) => {
                            self.hit(Rule::ExitSuppresses);
                            if inner {
                                self.hit(Rule::InnerSuppressesOuterSeesNone);
                            }
                            Flow::Normal
                        }
                        Ok(false) => {
                            self.hit(Rule::ExitFalsyReraises);
                            Flow::Raise(e)
                        }
                    },
                };
                self.excs.pop_handled();
                res
            }
            other => {
                match other {
                    Flow::Normal => self.hit(Rule::ExitAfterNormalBody),
                    Flow::Return(_) => self.hit(Rule::ExitAfterReturn),
                    Flow::Break | Flow::Continue => self.hit(Rule::ExitAfterBreakContinue),
                    Flow::Raise(_) => unreachable!("handled above"),
                }
                if outer_handled.is_some() {
                    self.hit(Rule::ExitSeesOuterHandled);
                }
                let res = match self.call_method(name, mgr, exit, proto, None, true) {
                    Ok(v) => self.awaited(v, proto, Site::Exit),
                    Err(x) => Err(x),
                };
                match res {
                    Err(x) => {
                        self.hit(Rule::ExitRaisesOnNormalPath);
                        Flow::Raise(x)
                    }
                    Ok(_) => other,
                }
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
            Val::Tuple(items) => !items.is_empty(),
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
                        return Err(flow_exc(self.raise_builtin(ExcClass::TypeError, message::bool_returned("int"))));
                    }
                    BoolResult::Raise(c) => {
                        self.hit(Rule::BoolRaises);
                        let id = self.excs.new_exc(*c, message::raised_by_program(*c, label));
                        return Err(flow_exc(self.raise_obj(id)));
                    }
                }
            }
            Val::LenObj(Value::LenObj { label, len }) => {
                self.hit(Rule::ExitResultLen);
                self.emit(Event::Len { label: label.clone() });
                if *len < 0 {
                    self.hit(Rule::LenNegative);
                    return Err(flow_exc(self.raise_builtin(ExcClass::ValueError, message::len_negative())));
                }
                *len != 0
            }
            Val::BoolObj(_) | Val::LenObj(_) => unreachable!("result objects hold their own IR value"),
        })
    }
}

fn dunder(is_exit: bool, proto: Proto) -> &'static str {
    match (is_exit, proto) {
        (false, Proto::Sync) => "__enter__",
        (true, Proto::Sync) => "__exit__",
        (false, Proto::Async) => "__aenter__",
        (true, Proto::Async) => "__aexit__",
    }
}

/// A manager class's methods of a protocol: enter and exit.
fn protocol_methods(def: &Manager, proto: Proto) -> (&Method, &Method) {
    match proto {
        Proto::Sync => (&def.enter, &def.exit),
        Proto::Async => (&def.aenter, &def.aexit),
    }
}

fn found(m: &Method) -> Option<Found<'_>> {
    match m {
        Method::Missing | Method::InstanceOnly => None,
        Method::NoneAttr => Some(Found::None),
        Method::WrongArity | Method::Defined(_) | Method::AsyncDef { .. } => Some(Found::Method(m)),
    }
}

/// Found on the type and a descriptor with `__get__` (3.14's suggestion test): functions are.
fn is_function(m: &Method) -> bool {
    matches!(m, Method::WrongArity | Method::Defined(_) | Method::AsyncDef { .. })
}

pub(crate) fn flow_exc(flow: Flow) -> ExcId {
    match flow {
        Flow::Raise(id) => id,
        other => panic!("a raise always gives Flow::Raise, got {other:?}"),
    }
}
