//! Protocol methods the program calls itself (SEMANTICS-ADDENDUM §15): `m1.__enter__()`,
//! `m1.__exit__(t, v, tb)` and their awaited async forms, on a manager instance or a generator
//! manager. The method runs as the `with` statement runs it, but nothing around the call is
//! handled for it and what it returns is a value, never tested for truth.

use crate::ir::{DirectCall, Slot, Triple};

use super::call::{ExcDetails, Site};
use super::exc::ExcId;
use super::message;
use super::protocol::Found;
use super::{Machine, Rule, Val};

impl<'p> Machine<'p> {
    /// `m1.__exit__(...)` and the like: what the call gives, awaited when `is_async`.
    pub(crate) fn direct(&mut self, var: &str, is_async: bool, call: &DirectCall) -> Result<Val, ExcId> {
        let mgr = self.var(var);
        let slot = match (call, is_async) {
            (DirectCall::Enter, false) => Slot::Enter,
            (DirectCall::Enter, true) => Slot::AEnter,
            (DirectCall::Exit(_), false) => Slot::Exit,
            (DirectCall::Exit(_), true) => Slot::AExit,
        };
        let is_class = matches!(mgr, Val::Mgr(_));
        let details = match call {
            DirectCall::Enter => {
                self.hit(Rule::DirectEnter);
                ExcDetails::of(None)
            }
            DirectCall::Exit(triple) => {
                self.hit(Rule::DirectExit);
                match triple {
                    Triple::Nones => ExcDetails::of(None),
                    Triple::Exc(e) => {
                        let x = self.instantiate(e);
                        ExcDetails::of(Some(x))
                    }
                    Triple::TypeOnly(c) if is_class => {
                        self.hit(Rule::DirectExitUnnormalised);
                        ExcDetails { exc: None, fresh: false, only_type: Some(*c) }
                    }
                    Triple::TypeOnly(c) => {
                        // `if value is None: value = typ()`, before anything is thrown in.
                        self.hit(Rule::DirectExitMakesValue);
                        let x = self.excs.new_exc(*c, message::instantiated(), Rule::DirectExitMakesValue);
                        ExcDetails::of(Some(x))
                    }
                }
            }
        };
        let found = match &mgr {
            Val::Mgr(m) => {
                let (owner, _) = self.resolve(*m, slot).expect("validate checks that the class has the method");
                if owner != *m {
                    self.hit(Rule::InheritedMethod);
                }
                self.type_method(&mgr, slot).expect("resolved above")
            }
            Val::Builtin(_) => Found::Builtin,
            _ => unreachable!("validate checks that a direct call's variable holds a manager"),
        };
        let res = self.call_method(&mgr, found, slot, details)?;
        if !is_async {
            return Ok(res);
        }
        self.await_value(res, Site::Await)
    }

    /// The member's method in `slot`, found by attribute access (validate allows only members
    /// whose access finds the class's plain function, or a generator manager's).
    fn member_method(&mut self, member: &Val, slot: Slot) -> Found<'p> {
        match member {
            Val::Mgr(m) => {
                let (owner, _) = self.resolve(*m, slot).expect("validate checks that the class has the method");
                if owner != *m {
                    self.hit(Rule::InheritedMethod);
                }
                self.type_method(member, slot).expect("resolved above")
            }
            Val::Builtin(_) => Found::Builtin,
            _ => unreachable!("validate checks what Nested holds"),
        }
    }

    /// `Nested.__enter__`: each member's `__enter__()` in order; the list of their values. When
    /// one raises, in its `except BaseException` (the exception handled) `__exit__` exits the
    /// members entered before it with that exception, and a bare `raise` re-raises it whatever
    /// they did, unless that `__exit__` raised another (§15.4).
    pub(crate) fn nested_enter(&mut self, members: &[Val]) -> Result<Val, ExcId> {
        self.hit(Rule::NestedEnters);
        let mut values = Vec::with_capacity(members.len());
        for (i, m) in members.iter().enumerate() {
            let found = self.member_method(m, Slot::Enter);
            match self.call_method(m, found, Slot::Enter, ExcDetails::of(None)) {
                Ok(v) => values.push(v),
                Err(e) => {
                    self.hit(Rule::NestedMemberRaises);
                    self.excs.push_handled(e);
                    let res = self.nested_exit(&members[..i], Some(e));
                    self.excs.pop_handled();
                    return Err(res.err().unwrap_or(e));
                }
            }
        }
        Ok(Val::List(values))
    }

    /// `Nested.__exit__(t, v, tb)`: each member's `__exit__` in reverse order with the exception
    /// left so far, in a `try` whose `except BaseException` takes what it raises (or what the
    /// truth test of its result raises) as the new one, a true result clearing it. Then: nothing
    /// left, suppress if there was an exception; the same, False; another, `raise` it (§15.4).
    pub(crate) fn nested_exit(&mut self, members: &[Val], exc: Option<ExcId>) -> Result<Val, ExcId> {
        self.hit(Rule::NestedExits);
        let mut cur = exc;
        for m in members.iter().rev() {
            let found = self.member_method(m, Slot::Exit);
            let res = self.call_method(m, found, Slot::Exit, ExcDetails::of(cur)).and_then(|v| self.truthy(&v));
            match res {
                Ok(true) => cur = None,
                Ok(false) => {}
                Err(x) => {
                    self.hit(Rule::NestedMemberRaises);
                    cur = Some(x);
                }
            }
        }
        match cur {
            None => Ok(Val::Bool(exc.is_some())),
            Some(x) if Some(x) == exc => Ok(Val::Bool(false)),
            Some(x) => Err(self.raise_obj(x)),
        }
    }
}
