//! Looking up the context-manager protocol on a manager's type (SEMANTICS.md §1.3, §2): which
//! methods `type(mgr)` has, in which order the `with` statement looks them up, and what a
//! failed lookup raises. contextlib's exit stacks find the same methods; they differ only in
//! what a missing one raises (`exit_stack`).

use crate::ir::{Manager, Method};

use super::exc::ExcId;
use super::message::{self, Missing};
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

/// The name of a protocol method: enter or exit (`is_exit`) of `proto`.
pub(crate) fn dunder(is_exit: bool, proto: Proto) -> &'static str {
    match (is_exit, proto) {
        (false, Proto::Sync) => "__enter__",
        (true, Proto::Sync) => "__exit__",
        (false, Proto::Async) => "__aenter__",
        (true, Proto::Async) => "__aexit__",
    }
}

impl<'p> Machine<'p> {
    /// What `type(mgr)` has of `proto`: its enter and exit method, `None` where missing.
    pub(crate) fn type_methods(&self, mgr: &Val, proto: Proto) -> (Option<Found<'p>>, Option<Found<'p>>) {
        match mgr {
            Val::Mgr(m) => {
                let (e, x) = protocol_methods(&self.program.managers[*m], proto);
                (found(e), found(x))
            }
            Val::Builtin(b) => {
                let f = self.builtin_has(b, proto).then_some(Found::Builtin);
                (f, f)
            }
            _ => (None, None),
        }
    }

    /// The method of `type(mgr)` that contextlib looked up already.
    pub(crate) fn found_method(&self, mgr: &Val, proto: Proto, is_exit: bool) -> Found<'p> {
        let (enter, exit) = self.type_methods(mgr, proto);
        let method = if is_exit { exit } else { enter };
        method.expect("contextlib looked the method up first")
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
        let (enter, exit) = self.type_methods(mgr, proto);
        let other_has_both = match mgr {
            Val::Builtin(b) => {
                self.hit(Rule::ContextlibManager);
                self.builtin_has(b, proto.other())
            }
            Val::Mgr(m) => {
                let def = &self.program.managers[*m];
                let (e, x) = protocol_methods(def, proto);
                if matches!(e, Method::InstanceOnly) || matches!(x, Method::InstanceOnly) {
                    self.hit(Rule::InstanceAttrIgnored);
                }
                let (oe, ox) = protocol_methods(def, proto.other());
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
        let is_async = proto == Proto::Async;
        let (rule, first_missing) = match (enter, exit) {
            (Some(enter), Some(exit)) => return Ok((enter, exit)),
            (None, None) => {
                let rule = if is_async { Rule::AsyncLacksBoth } else { Rule::LacksBoth };
                (rule, if exit_first { Missing::Exit } else { Missing::Enter })
            }
            (None, Some(_)) => (if is_async { Rule::AsyncLacksEnter } else { Rule::LacksEnter }, Missing::Enter),
            (Some(_), None) => (if is_async { Rule::AsyncLacksExit } else { Rule::LacksExit }, Missing::Exit),
        };
        self.hit(rule);
        if other_has_both {
            self.hit(Rule::WrongStatementForManager);
        }
        let ty = self.protocol_type_name(mgr);
        let (cls, msg) = message::protocol_error(&self.quirks, &ty, first_missing, is_async, other_has_both);
        Err(self.raise_builtin(rule, cls, msg))
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
