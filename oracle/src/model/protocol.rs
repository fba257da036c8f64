//! Looking up the context-manager protocol on a manager's type (SEMANTICS.md §1.3, §2): which
//! methods `type(mgr)` has, in which order the `with` statement looks them up, and what a
//! failed lookup raises. contextlib's exit stacks find the same methods; they differ only in
//! what a missing one raises (`exit_stack`).

use crate::ir::{Action, ExitFnResult, Getter, Method, Slot};
use crate::trace::Event;

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
    /// `__enter__ = None`, or a getter that returned `None`: found, fails when called.
    None,
    /// What the call runs, defined in manager class `M<owner>` (the instance's class or a base).
    Call {
        /// The class the method is defined in: what its log line and its qualname name.
        owner: usize,
        /// What calling it does.
        how: Call<'p>,
    },
    /// A contextlib manager's method (the manager value says which).
    Builtin,
}

/// How a found protocol method runs when called.
#[derive(Clone, Copy)]
pub(crate) enum Call<'p> {
    /// `def __exit__(self):`: the call fails on its arguments.
    WrongArity,
    /// A plain `def` (bound to the instance, a static or class method, or a function a getter
    /// returned): logs, then does the action; for `async with` its result is what is awaited.
    Plain(&'p Action),
    /// An `async def` (a method, or what a getter of `__aenter__`/`__aexit__` returned): the
    /// call gives a coroutine that logs, maybe suspends, then does the action.
    Async {
        /// The label it suspends on.
        suspend: Option<&'p str>,
        /// What it does.
        action: &'p Action,
    },
    /// A callable object that is no descriptor: logs, then returns or raises (§7.2).
    Callable(&'p ExitFnResult),
}

impl<'p> Machine<'p> {
    /// The method in `slot` of manager class `M<m>` or of its bases (§7.3), with the class
    /// that defines it.
    pub(crate) fn resolve(&self, m: usize, slot: Slot) -> Option<(usize, &'p Method)> {
        self.program.resolve(m, slot)
    }

    /// What `type(mgr)` has in `slot`, `None` where it is missing. A property or descriptor is
    /// taken as the function its getter would return (exit stacks, which look methods up on the
    /// class, give up on those first).
    pub(crate) fn type_method(&self, mgr: &Val, slot: Slot) -> Option<Found<'p>> {
        match mgr {
            Val::Mgr(m) => self.resolve(*m, slot).map(|(owner, method)| found(owner, method, slot)),
            Val::Builtin(b) => self.builtin_has(b, Proto::of_slot(slot)).then_some(Found::Builtin),
            _ => None,
        }
    }

    /// Whether manager class `M<m>` has, for `proto`, a method given by a descriptor other than a
    /// plain function, or a callable object: what contextlib's class-level lookups are not
    /// modelled for.
    pub(crate) fn has_descriptor_method(&self, m: usize, proto: Proto) -> bool {
        [proto.enter(), proto.exit()]
            .into_iter()
            .any(|slot| self.resolve(m, slot).is_some_and(|(_, method)| method.is_descriptor_kind()))
    }

    /// The lookup of `slot` by the `with` statement, which binds a descriptor now: a property's
    /// (or custom descriptor's) getter runs, logs, and gives a function or `None`, or raises,
    /// and what it raises propagates as it is (§7.1).
    fn look_up(&mut self, mgr: &Val, slot: Slot) -> Result<Option<Found<'p>>, ExcId> {
        let Val::Mgr(m) = mgr else { return Ok(self.type_method(mgr, slot)) };
        let Some((owner, method)) = self.resolve(*m, slot) else { return Ok(None) };
        if owner != *m {
            self.hit(Rule::InheritedMethod);
        }
        let Method::Property { get, .. } = method else { return Ok(Some(found(owner, method, slot))) };
        self.hit(Rule::DescriptorGet);
        self.emit(Event::Get { mgr: format!("M{owner}"), method: slot.name().to_string() });
        match get {
            Getter::Raise(r) => {
                self.hit(Rule::DescriptorGetRaises);
                Err(self.raise_new(r))
            }
            Getter::None => {
                self.hit(Rule::DescriptorGetsNone);
                Ok(Some(Found::None))
            }
            Getter::Function(action) => Ok(Some(Found::Call { owner, how: function(action, slot) })),
        }
    }

    /// The method of `type(mgr)` in `slot`, which contextlib looked up already.
    pub(crate) fn found_method(&self, mgr: &Val, slot: Slot) -> Found<'p> {
        self.type_method(mgr, slot).expect("contextlib looked the method up first")
    }

    /// Whether the type of a contextlib object has both methods of `proto`.
    fn builtin_has(&self, b: &Builtin, proto: Proto) -> bool {
        let is_async = match b {
            Builtin::Suppress(_) | Builtin::Closing { .. } | Builtin::Nested(_) => false,
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
                let has_get = |slot| self.resolve(*m, slot).is_some_and(|(_, method)| has_get(method));
                has_get(other.enter()) && has_get(other.exit())
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
        if let (Some(_), Some(_)) = (enter, exit) {
            // Both are there: look them up in the profile's order, binding descriptors (§7.1).
            let order = if exit_first { [proto.exit(), proto.enter()] } else { [proto.enter(), proto.exit()] };
            let first = self.look_up(mgr, order[0])?.expect("found above");
            let second = self.look_up(mgr, order[1])?.expect("found above");
            return Ok(if exit_first { (second, first) } else { (first, second) });
        }
        // One is missing: a lookup before it in the profile's order binds its descriptor first.
        let (first, _) = if exit_first { (proto.exit(), proto.enter()) } else { (proto.enter(), proto.exit()) };
        let first_found = if first == proto.enter() { enter.is_some() } else { exit.is_some() };
        if first_found {
            self.look_up(mgr, first)?;
        }
        let (rule, first_missing) = match (enter, exit) {
            (Some(_), Some(_)) => unreachable!("handled above"),
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

/// What the method `m` of class `M<owner>` in `slot` is, found on the type (a property taken
/// as the function its getter would return).
fn found(owner: usize, m: &Method, slot: Slot) -> Found<'_> {
    let how = match m {
        Method::Missing | Method::InstanceOnly => unreachable!("resolve skips what the class does not define"),
        Method::NoneAttr => return Found::None,
        Method::WrongArity => Call::WrongArity,
        Method::Defined(a) | Method::Static(a) | Method::ClassMethod(a) => Call::Plain(a),
        Method::AsyncDef { suspend, action } => Call::Async { suspend: suspend.as_deref(), action },
        Method::Callable(r) => Call::Callable(r),
        Method::Property { get: Getter::Function(a), .. } => function(a, slot),
        Method::Property { .. } => return Found::None,
    };
    Found::Call { owner, how }
}

/// What a getter's returned function does: a `def`, an `async def` for `__aenter__`/`__aexit__`.
fn function(action: &Action, slot: Slot) -> Call<'_> {
    if slot.is_async() {
        Call::Async { suspend: None, action }
    } else {
        Call::Plain(action)
    }
}

/// Whether what the type has is a descriptor with `__get__` (3.14's suggestion test, probed on
/// 3.14.2): functions, properties, the prelude's descriptor, static and class methods are; `None`
/// and a callable object are not.
fn has_get(m: &Method) -> bool {
    !matches!(m, Method::Missing | Method::InstanceOnly | Method::NoneAttr | Method::Callable(_))
}
