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
}
