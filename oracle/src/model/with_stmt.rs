//! The `with` statement (SEMANTICS.md §1.2–§1.7, §2.1, §2.4): evaluate, look up, enter, bind,
//! run, exit, in exactly CPython's order.

use crate::ir::{Action, BoolResult, ExcClass, ItemExpr, Method, Stmt, Target, Value, WithItem};
use crate::trace::Event;

use super::exc::{self, ExcId};
use super::message::{self, Missing};
use super::{Flow, Machine, Rule, Val};

/// What a lookup on `type(mgr)` found.
#[derive(Clone, Copy)]
enum Found<'p> {
    /// `__enter__ = None`: found, fails when called.
    None,
    /// A function: `def __exit__(self)` (wrong arity) or a defined behaviour.
    Method(&'p Method),
}

impl<'p> Machine<'p> {
    pub(crate) fn with(&mut self, items: &[WithItem], body: &[Stmt]) -> Flow {
        self.with_items(items, body, false)
    }

    /// `inner` says this item is not the first of its statement (§1.7).
    fn with_items(&mut self, items: &[WithItem], body: &[Stmt], inner: bool) -> Flow {
        let Some((item, rest)) = items.split_first() else { return self.block(body) };
        if !rest.is_empty() {
            self.hit(Rule::MultiItemOrder);
        }
        self.with_item(item, rest, body, inner)
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
        item: &WithItem,
        rest: &[WithItem],
        body: &[Stmt],
        inner: bool,
    ) -> Flow {
        let outer_handled = self.excs.handled();

        // §1.2.1: the expression; no lookup, enter or exit when it raises.
        let (mgr, class) = match &item.expr {
            ItemExpr::New(m) => {
                let m = *m;
                self.events.push(Event::Init { mgr: format!("M{m}") });
                let def = &self.program.managers[m];
                if matches!(def.enter, Method::InstanceOnly)
                    || matches!(def.exit, Method::InstanceOnly)
                {
                    self.hit(Rule::InstanceAttrIgnored);
                }
                if let Some(e) = &def.init_raises {
                    self.hit(Rule::ExprRaises);
                    let id = self.instantiate(e);
                    let flow = self.raise_obj(id);
                    return self.item_failed(inner, flow);
                }
                (Val::Mgr(m), Some(m))
            }
            ItemExpr::Literal(v) => (self.eval(v), None),
        };

        // §1.2.2 / §2.1: both lookups before any call.
        let (enter, exit) = match self.lookup(&mgr, class) {
            Ok(found) => found,
            Err(flow) => return self.item_failed(inner, flow),
        };

        // §1.2.3: enter; when it raises, exit is not called.
        let value = match self.call_enter(class, enter, &mgr) {
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
            Ok(()) => self.with_items(rest, body, true),
        };

        self.exit(class, exit, flow, outer_handled, inner)
    }

    fn lookup(&mut self, mgr: &Val, class: Option<usize>) -> Result<(Found<'p>, Found<'p>), Flow> {
        let (enter, exit) = match class {
            Some(m) => {
                let def = &self.program.managers[m];
                (found(&def.enter), found(&def.exit))
            }
            None => {
                self.hit(Rule::NotAManager);
                (None, None)
            }
        };
        let exit_first = self.profile.at_least(14);
        let first_missing = match (enter.is_some(), exit.is_some()) {
            (true, true) => return Ok((enter.expect("checked"), exit.expect("checked"))),
            (false, false) => {
                self.hit(Rule::LacksBoth);
                if exit_first {
                    Missing::Exit
                } else {
                    Missing::Enter
                }
            }
            (false, true) => {
                self.hit(Rule::LacksEnter);
                Missing::Enter
            }
            (true, false) => {
                self.hit(Rule::LacksExit);
                Missing::Exit
            }
        };
        let ty = self.type_name(mgr);
        let (cls, msg) = message::protocol_error(self.profile, &ty, first_missing);
        Err(self.raise_builtin(cls, msg))
    }

    fn call_enter(
        &mut self,
        class: Option<usize>,
        enter: Found<'p>,
        mgr: &Val,
    ) -> Result<Val, ExcId> {
        let name = format!("M{}", class.expect("only managers get past the lookup"));
        let action = match enter {
            Found::None => {
                self.hit(Rule::EnterIsNone);
                return Err(flow_exc(
                    self.raise_builtin(ExcClass::TypeError, message::none_not_callable()),
                ));
            }
            Found::Method(Method::WrongArity) => {
                self.hit(Rule::WrongArity);
                let msg = message::enter_missing_arg(self.profile, &name);
                return Err(flow_exc(self.raise_builtin(ExcClass::TypeError, msg)));
            }
            Found::Method(Method::Defined(a)) => a.clone(),
            Found::Method(_) => {
                unreachable!("lookup only finds None, wrong-arity or defined methods")
            }
        };
        let info = self.excs.observe(self.excs.handled());
        self.events.push(Event::Enter { mgr: name, info });
        match action {
            Action::ReturnSelf => Ok(mgr.clone()),
            Action::Return(v) => Ok(self.eval(&v)),
            Action::Raise(r) => Err(flow_exc(self.raise_new(&r))),
            Action::BareRaise => Err(flow_exc(self.bare_raise())),
            Action::RaiseArg | Action::SuppressIf(_) => {
                unreachable!("validate keeps these out of __enter__")
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
                    let msg = message::unpack_count(self.profile, expected, items.len(), exact);
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

    fn exit(
        &mut self,
        class: Option<usize>,
        exit: Found<'p>,
        flow: Flow,
        outer_handled: Option<ExcId>,
        inner: bool,
    ) -> Flow {
        let name = format!("M{}", class.expect("only managers get past the lookup"));
        match flow {
            Flow::Raise(e) => {
                self.hit(Rule::ExitGetsException);
                self.excs.push_handled(e);
                let res = self.call_exit(&name, exit, Some(e));
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
                match self.call_exit(&name, exit, None) {
                    Err(x) => {
                        self.hit(Rule::ExitRaisesOnNormalPath);
                        Flow::Raise(x)
                    }
                    Ok(_) => other,
                }
            }
        }
    }

    /// Calls `__exit__`; `Ok` is its result, `Err` the exception it raised.
    fn call_exit(&mut self, name: &str, exit: Found<'p>, exc: Option<ExcId>) -> Result<Val, ExcId> {
        let action = match exit {
            Found::None => {
                self.hit(Rule::ExitIsNone);
                return Err(flow_exc(
                    self.raise_builtin(ExcClass::TypeError, message::none_not_callable()),
                ));
            }
            Found::Method(Method::WrongArity) => {
                self.hit(Rule::WrongArity);
                let msg = message::exit_takes_one(self.profile, name);
                return Err(flow_exc(self.raise_builtin(ExcClass::TypeError, msg)));
            }
            Found::Method(Method::Defined(a)) => a.clone(),
            Found::Method(_) => {
                unreachable!("lookup only finds None, wrong-arity or defined methods")
            }
        };
        let exc_ref = self.excs.observe(exc);
        let info = self.excs.observe(self.excs.handled());
        self.events.push(Event::Exit {
            mgr: name.to_string(),
            exc: exc_ref,
            consistent: true,
            info,
        });
        let class = exc.map(|e| self.excs.get(e).class);
        match action {
            Action::ReturnSelf => Ok(Val::Mgr(name[1..].parse().expect("manager names are M<n>"))),
            Action::Return(v) => Ok(self.eval(&v)),
            Action::Raise(r) => Err(flow_exc(self.raise_new(&r))),
            Action::RaiseArg => match exc {
                Some(e) => Err(flow_exc(self.raise_obj(e))),
                None => {
                    self.hit(Rule::RaiseNone);
                    Err(flow_exc(self.raise_builtin(ExcClass::TypeError, message::must_derive())))
                }
            },
            Action::BareRaise => Err(flow_exc(self.bare_raise())),
            Action::SuppressIf(classes) => {
                let yes = class.is_some_and(|c| classes.iter().any(|of| exc::is_subclass(c, *of)));
                Ok(Val::Bool(yes))
            }
        }
    }

    /// `PyObject_IsTrue` on an exit result: `__bool__`, else `__len__`, else true.
    fn truthy(&mut self, v: &Val) -> Result<bool, ExcId> {
        Ok(match v {
            Val::None => false,
            Val::Bool(b) => *b,
            Val::Int(n) => *n != 0,
            Val::Str(s) => !s.is_empty(),
            Val::Tuple(items) => !items.is_empty(),
            Val::Mgr(_) | Val::Exc(_) => true,
            Val::BoolObj(Value::BoolObj { label, result }) => {
                self.hit(Rule::ExitResultBool);
                self.events.push(Event::Bool { label: label.clone() });
                match result {
                    BoolResult::Bool(b) => *b,
                    BoolResult::NonBool(_) => {
                        self.hit(Rule::BoolReturnsNonBool);
                        return Err(flow_exc(
                            self.raise_builtin(ExcClass::TypeError, message::bool_returned("int")),
                        ));
                    }
                    BoolResult::Raise(c) => {
                        self.hit(Rule::BoolRaises);
                        let id = self.excs.new_exc(*c, exc::message_of(*c, label));
                        return Err(flow_exc(self.raise_obj(id)));
                    }
                }
            }
            Val::LenObj(Value::LenObj { label, len }) => {
                self.hit(Rule::ExitResultLen);
                self.events.push(Event::Len { label: label.clone() });
                if *len < 0 {
                    self.hit(Rule::LenNegative);
                    return Err(flow_exc(
                        self.raise_builtin(ExcClass::ValueError, message::len_negative()),
                    ));
                }
                *len != 0
            }
            Val::BoolObj(_) | Val::LenObj(_) => {
                unreachable!("result objects hold their own IR value")
            }
        })
    }
}

fn found(m: &Method) -> Option<Found<'_>> {
    match m {
        Method::Missing | Method::InstanceOnly => None,
        Method::NoneAttr => Some(Found::None),
        Method::WrongArity | Method::Defined(_) => Some(Found::Method(m)),
    }
}

fn flow_exc(flow: Flow) -> ExcId {
    match flow {
        Flow::Raise(id) => id,
        other => panic!("a raise always gives Flow::Raise, got {other:?}"),
    }
}
