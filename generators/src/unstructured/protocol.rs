//! How protocol methods are provided (SEMANTICS-ADDENDUM §7.1–§7.3): properties and descriptors
//! whose getters log, return a function or `None`, or raise (an AttributeError most often);
//! static and class methods; callable objects that are no descriptor; methods inherited from a
//! base class.

use arbitrary::Result;
use oracle::ir::{
    Action, AwaitThen, ExcClass, ExitFnResult, Getter, ItemExpr, Manager, Method, NewExc, RaiseNew, Slot, Stmt, Value,
};

use super::idioms::with;
use super::{Gen, RAISED};

/// What getters raise: AttributeError most, which is not turned into the protocol error (§7.1).
const GETTER_RAISES: &[ExcClass] =
    &[ExcClass::AttributeError, ExcClass::AttributeError, ExcClass::AttributeError, ExcClass::E1, ExcClass::KeyError];

impl Gen<'_, '_> {
    /// A protocol method given by a property or a descriptor, a static or class method, or a
    /// callable object.
    pub(super) fn descriptor_method(&mut self, slot: Slot) -> Result<Method> {
        Ok(match self.u.int_in_range(0..=4)? {
            0 | 1 => {
                let get = match self.weighted(&[4, 1, 2])? {
                    0 => Getter::Function(self.action(slot)?),
                    1 => Getter::None,
                    _ => {
                        let class = self.pick(GETTER_RAISES)?;
                        Getter::Raise(RaiseNew { exc: NewExc { class, label: self.labels.next('r') }, cause: None })
                    }
                };
                Method::Property { custom: self.u.ratio(1, 2)?, get }
            }
            2 => Method::Static(self.unbound_action(slot)?),
            3 => Method::ClassMethod(self.unbound_action(slot)?),
            _ => Method::Callable(self.callable_result(slot)?),
        })
    }

    /// An action for a method without self: `return self` becomes a value.
    fn unbound_action(&mut self, slot: Slot) -> Result<Action> {
        Ok(match self.action(slot)? {
            Action::ReturnSelf => Action::Return(if slot.is_exit() { self.exit_value()? } else { self.enter_value()? }),
            a => a,
        })
    }

    /// What a callable object stored as a method returns or raises; for `__aenter__` and
    /// `__aexit__` mostly an awaitable.
    fn callable_result(&mut self, slot: Slot) -> Result<ExitFnResult> {
        if self.u.ratio(1, 5)? {
            return Ok(ExitFnResult::Raise(self.pick(RAISED)?));
        }
        let v = if slot.is_exit() { self.exit_value()? } else { self.enter_value()? };
        if slot.is_async() && self.u.ratio(3, 4)? {
            let label = self.labels.next('a');
            let then = Box::new(AwaitThen::Return(v));
            return Ok(ExitFnResult::Return(Value::Awaitable {
                label,
                suspend: self.u.ratio(1, 2)?,
                then,
                coroutine: false,
            }));
        }
        Ok(ExitFnResult::Return(v))
    }

    /// Sometimes makes a new manager class derive from one of the `earlier` ones, leaving some
    /// of its methods to the base (§7.3). A method is set on the instance only where the base
    /// does not give it by a property (which has no setter, §7.3).
    pub(super) fn inherit(&mut self, m: &mut Manager, earlier: &[Manager]) -> Result<()> {
        if earlier.is_empty() || !self.chance(self.config.weights.inherit, 12)? {
            return Ok(());
        }
        let base = self.u.int_in_range(0..=earlier.len() - 1)?;
        m.base = Some(base);
        for (slot, method) in m.methods_mut() {
            let property = inherited_property(earlier, base, slot);
            if self.u.ratio(1, 2)? {
                *method = if !property && self.u.ratio(1, 4)? { Method::InstanceOnly } else { Method::Missing };
            } else if property && *method == Method::InstanceOnly {
                *method = Method::Missing;
            }
        }
        Ok(())
    }
}

/// Whether class `M<base>` of `managers` gives `slot`, itself or through its bases, by a
/// `property`.
fn inherited_property(managers: &[Manager], base: usize, slot: Slot) -> bool {
    let mut at = Some(base);
    while let Some(c) = at {
        match managers[c].method(slot) {
            Method::Missing | Method::InstanceOnly => at = managers[c].base,
            method => return matches!(method, Method::Property { custom: false, .. }),
        }
    }
    false
}

impl Gen<'_, '_> {
    /// §7.1–§7.3: a manager whose methods are given by properties or descriptors (which log at
    /// lookup, in the profile's order, and may raise or give `None`), static or class methods,
    /// callable objects, or a base class; used by `with` (or `async with` in async code).
    pub(super) fn open_protocol(&mut self, managers: &mut Vec<Manager>, is_async: bool) -> Result<Vec<Stmt>> {
        let is_async = is_async && self.u.ratio(1, 2)?;
        let (enter_slot, exit_slot) = if is_async { (Slot::AEnter, Slot::AExit) } else { (Slot::Enter, Slot::Exit) };
        let mut m = Manager::empty();
        let exit_action = self.opening_exit()?;
        let mut enter = Method::Property { custom: self.u.ratio(1, 2)?, get: Getter::Function(Action::ReturnSelf) };
        let mut exit = Method::Property { custom: self.u.ratio(1, 2)?, get: Getter::Function(exit_action.clone()) };
        match self.u.int_in_range(0..=5)? {
            0 => {}
            1 => {
                // A getter raises: which one depends on the lookup order.
                let class = self.pick(GETTER_RAISES)?;
                let r = RaiseNew { exc: NewExc { class, label: self.labels.next('r') }, cause: None };
                if self.u.ratio(1, 2)? {
                    enter = Method::Property { custom: false, get: Getter::Raise(r) };
                } else {
                    exit = Method::Property { custom: false, get: Getter::Raise(r) };
                }
            }
            2 => exit = Method::Property { custom: self.u.ratio(1, 2)?, get: Getter::None },
            3 => {
                enter = Method::Static(Action::Return(Value::Int(3)));
                exit = Method::ClassMethod(match exit_action {
                    Action::ReturnSelf => Action::Return(Value::Bool(true)),
                    a => a,
                });
            }
            4 => {
                enter = Method::Callable(ExitFnResult::Return(Value::Int(4)));
                exit = Method::Callable(ExitFnResult::Return(Value::Bool(self.u.ratio(1, 2)?)));
                if is_async {
                    // What the callable returns is awaited: an awaitable, or not.
                    let aw = |g: &mut Self, v| -> Result<Value> {
                        let label = g.labels.next('a');
                        Ok(Value::Awaitable {
                            label,
                            suspend: false,
                            then: Box::new(AwaitThen::Return(v)),
                            coroutine: false,
                        })
                    };
                    enter = Method::Callable(ExitFnResult::Return(aw(self, Value::Int(4))?));
                    if self.u.ratio(2, 3)? {
                        exit = Method::Callable(ExitFnResult::Return(aw(self, Value::Bool(true))?));
                    }
                }
            }
            _ => {
                // A base class defines what the class does not.
                let mut base = Manager::empty();
                *base.method_mut(enter_slot) = Method::Defined(Action::ReturnSelf);
                *base.method_mut(exit_slot) = Method::Defined(exit_action);
                managers.push(base);
                m.base = Some(managers.len() - 1);
                enter = Method::Missing;
                exit = if self.u.ratio(1, 2)? { Method::Missing } else { Method::Defined(Action::Return(Value::None)) };
            }
        }
        *m.method_mut(enter_slot) = enter;
        *m.method_mut(exit_slot) = exit;
        managers.push(m);
        let body = if self.u.ratio(1, 2)? { Stmt::Log(self.labels.next('L')) } else { self.raise_stmt()? };
        Ok(vec![with(is_async, ItemExpr::New(managers.len() - 1), vec![body])])
    }
}
