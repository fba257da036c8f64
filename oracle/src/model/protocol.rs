//! Looking up the context-manager protocol on a manager's type (SEMANTICS.md §1.3, §2): which
//! methods `type(mgr)` has, in which order the `with` statement looks them up, and what a
//! failed lookup raises. contextlib's exit stacks find the same methods; they differ only in
//! what a missing one raises (`exit_stack`).

use crate::ir::{Method, Slot};

use super::exc::ExcId;
use super::message;
use super::{Builtin, Machine, Rule, Val};

/// Which protocol a statement uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Proto {
    /// `with`: `__enter__` / `__exit__`.
    Sync,
    /// `async with`: `__aenter__` / `__aexit__`, results awaited.
    Async,
}

impl Proto {
    pub(crate) fn of(is_async: bool) -> Proto {
        if is_async {
            Proto::Async
        } else {
            Proto::Sync
        }
    }

    /// The protocol `slot` belongs to.
    pub(crate) fn of_slot(slot: Slot) -> Proto {
        Proto::of(slot.is_async())
    }

    /// The slot of the method that enters: `__enter__` or `__aenter__`.
    pub(crate) fn enter(self) -> Slot {
        match self {
            Proto::Sync => Slot::Enter,
            Proto::Async => Slot::AEnter,
        }
    }

    /// The slot of the method that exits: `__exit__` or `__aexit__`.
    pub(crate) fn exit(self) -> Slot {
        match self {
            Proto::Sync => Slot::Exit,
            Proto::Async => Slot::AExit,
        }
    }

    fn other(self) -> Proto {
        match self {
            Proto::Sync => Proto::Async,
            Proto::Async => Proto::Sync,
        }
    }
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

impl<'p> Machine<'p> {
    /// What `type(mgr)` has in `slot`, `None` where it is missing.
    pub(crate) fn type_method(&self, mgr: &Val, slot: Slot) -> Option<Found<'p>> {
        match mgr {
            Val::Mgr(m) => found(self.program.managers[*m].method(slot)),
            Val::Builtin(b) => self.builtin_has(b, Proto::of_slot(slot)).then_some(Found::Builtin),
            _ => None,
        }
    }

    /// The method of `type(mgr)` in `slot`, which contextlib looked up already.
    pub(crate) fn found_method(&self, mgr: &Val, slot: Slot) -> Found<'p> {
        self.type_method(mgr, slot).expect("contextlib looked the method up first")
    }

    /// Whether the type of a contextlib object has both methods of `proto`.
    fn builtin_has(&self, b: &Builtin, proto: Proto) -> bool {
        let is_async = match b {
            Builtin::Suppress(_) | Builtin::Closing { .. } => false,
            Builtin::Null(_) => return proto == Proto::Sync || self.quirks.contextlib_async_helpers,
            Builtin::Cm { cm, .. } => self.program.cms[*cm].is_async,
            Builtin::Stack { is_async, .. } | Builtin::ClosingGen { is_async, .. } => *is_async,
        };
        proto == Proto::of(is_async)
    }

    /// The `with` statement's lookups of both methods, before any call (§1.2.2, §2): the
    /// methods, or the exception a missing one raises.
    pub(crate) fn lookup(&mut self, mgr: &Val, proto: Proto) -> Result<(Found<'p>, Found<'p>), ExcId> {
        let (enter, exit) = (self.type_method(mgr, proto.enter()), self.type_method(mgr, proto.exit()));
        let other_has_both = match mgr {
            Val::Builtin(b) => {
                self.hit(Rule::ContextlibManager);
                self.builtin_has(b, proto.other())
            }
            Val::Mgr(m) => {
                let def = &self.program.managers[*m];
                if [proto.enter(), proto.exit()].iter().any(|s| matches!(def.method(*s), Method::InstanceOnly)) {
                    self.hit(Rule::InstanceAttrIgnored);
                }
                let other = proto.other();
                is_function(def.method(other.enter())) && is_function(def.method(other.exit()))
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
        let is_async = proto == Proto::Async;
        let (rule, first_missing) = match (enter, exit) {
            (Some(enter), Some(exit)) => return Ok((enter, exit)),
            (None, None) => {
                let rule = if is_async { Rule::AsyncLacksBoth } else { Rule::LacksBoth };
                (rule, if exit_first { proto.exit() } else { proto.enter() })
            }
            (None, Some(_)) => (if is_async { Rule::AsyncLacksEnter } else { Rule::LacksEnter }, proto.enter()),
            (Some(_), None) => (if is_async { Rule::AsyncLacksExit } else { Rule::LacksExit }, proto.exit()),
        };
        self.hit(rule);
        if other_has_both {
            self.hit(Rule::WrongStatementForManager);
        }
        let ty = self.protocol_type_name(mgr);
        let (cls, msg) = message::protocol_error(&self.quirks, &ty, first_missing, other_has_both);
        Err(self.raise_builtin(rule, cls, msg))
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
