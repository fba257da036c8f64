//! The trace: what a program run can observe, as the model predicts it and as the worker records it.
//!
//! A trace is a list of events and an outcome. Exceptions are named by the order in which the
//! program first observed them (`#1`, `#2`, ...), never by address, so that identity ("the very
//! object in flight") is part of the trace and stays deterministic.

use std::fmt;

/// A reference to an exception object: its type name, `str()` and observation number.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExcRef {
    /// `type(e).__name__`, e.g. `TypeError`.
    pub ty: String,
    /// `str(e)`; `None` once messages are masked (`--messages types`).
    pub msg: Option<String>,
    /// Observation number: 1 for the first exception object the program looked at.
    pub id: u32,
}

/// One exception with its chaining attributes, as seen at the moment it was observed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExcDetail {
    /// The exception itself.
    pub exc: ExcRef,
    /// `e.__context__`.
    pub context: Option<ExcRef>,
    /// `e.__cause__`.
    pub cause: Option<ExcRef>,
    /// `e.__suppress_context__`.
    pub suppress_context: bool,
    /// `e.exceptions` of an exception group (3.11+), in order; empty for any other exception
    /// (a group is never empty).
    pub leaves: Vec<ExcRef>,
}

/// Something a program observably did, in order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// `M0()` ran `__init__`.
    Init {
        /// The manager class, `M0`.
        mgr: String,
    },
    /// `M0.__enter__` started; `info` is `sys.exc_info()[1]` there.
    Enter {
        /// The manager class.
        mgr: String,
        /// `__aenter__` rather than `__enter__`.
        is_async: bool,
        /// `sys.exc_info()[1]`.
        info: Option<ExcRef>,
    },
    /// `M0.__exit__(t, v, tb)` started. `consistent` is `t is type(v) and tb is v.__traceback__`
    /// (or all three `None`); `info` is `sys.exc_info()[1]` inside the call.
    Exit {
        /// The manager class.
        mgr: String,
        /// `__aexit__` rather than `__exit__`.
        is_async: bool,
        /// The exception argument `v`.
        exc: Option<ExcRef>,
        /// Whether `t` and `tb` agree with `v`.
        consistent: bool,
        /// `sys.exc_info()[1]`.
        info: Option<ExcRef>,
    },
    /// An exit function pushed on an exit stack was called: `Xf('x1', True)(t, v, tb)`
    /// (`AXf` for `is_async`); fields as for [`Event::Exit`].
    Call {
        /// The function's label.
        label: String,
        /// `AXf`, whose `async def __call__` was awaited.
        is_async: bool,
        /// The exception argument `v`.
        exc: Option<ExcRef>,
        /// Whether `t` and `tb` agree with `v`.
        consistent: bool,
        /// `sys.exc_info()[1]`.
        info: Option<ExcRef>,
    },
    /// A callback registered with `st.callback(cb, 'k1', None)` (or `push_async_callback(acb,
    /// ...)` for `is_async`) ran; `info` is `sys.exc_info()[1]` there.
    Callback {
        /// The callback's label.
        label: String,
        /// `acb`.
        is_async: bool,
        /// `sys.exc_info()[1]`.
        info: Option<ExcRef>,
    },
    /// The getter of a protocol method given as a property or a descriptor ran (`on_get('M0',
    /// '__exit__')`), at lookup (§7.1).
    Get {
        /// The manager class that defines it.
        mgr: String,
        /// The method name.
        method: String,
    },
    /// A method stored only on the instance was called, which the protocol never does.
    InstanceMethod {
        /// The manager class.
        mgr: String,
        /// The method name.
        method: String,
    },
    /// `__bool__` of a result object ran: `return Bool('b1', True)` in an `__exit__`.
    Bool {
        /// The result object's label.
        label: String,
    },
    /// `__len__` of a result object ran: `return Len('n1', 0)` in an `__exit__`.
    Len {
        /// The result object's label.
        label: String,
    },
    /// `Closer('k1', ...).close()` ran (called by `closing`).
    Close {
        /// The closer's label.
        label: String,
    },
    /// `Aw('a1', ...).__await__` ran: something started awaiting it.
    Await {
        /// The awaitable's label.
        label: String,
    },
    /// The coroutine being driven suspended, yielding this label to the driver.
    Suspend {
        /// What it yielded.
        label: String,
    },
    /// `drive('d1', ...)` received a yielded value from the generator.
    GenYield {
        /// The drive's label.
        label: String,
        /// What was yielded.
        value: String,
    },
    /// The generator was exhausted (`next()` raised StopIteration).
    GenEnd {
        /// The drive's label.
        label: String,
    },
    /// `close()` returned normally: None, or (3.13+) the value the generator returned after
    /// catching GeneratorExit.
    GenClosed {
        /// The drive's label.
        label: String,
        /// What `close()` returned, shown, if not None.
        value: Option<String>,
    },
    /// A cleanup `close()` (closing a generator left suspended) raised, and `drive` logged it.
    GenCleanup {
        /// The drive's label.
        label: String,
        /// What `close()` raised.
        exc: ExcRef,
    },
    /// `log('L1')` in a body; `info` is `sys.exc_info()[1]`.
    Log {
        /// The label.
        label: String,
        /// `sys.exc_info()[1]`.
        info: Option<ExcRef>,
    },
    /// `show('x', x)`: the value bound to a `with` target.
    Var {
        /// The variable.
        name: String,
        /// Its canonical text.
        value: String,
    },
    /// `Sink('o1', None).a = v` or `Sink('o1', None)['k'] = v` ran: a `with` target stored into
    /// an attribute or an item (§8.2).
    Store {
        /// The sink's label.
        label: String,
        /// `.a` or `['k']`.
        key: String,
        /// The canonical text of the value stored.
        value: String,
    },
    /// `return ret('v1', ...)`: the return expression was evaluated.
    Ret {
        /// The label of the `return`.
        label: String,
    },
    /// An `except` clause was entered (`handler('h1')`), with the exception it handles.
    Handler {
        /// The handler's label.
        label: String,
        /// The exception it handles.
        exc: ExcDetail,
    },
    /// A `finally` clause started (`fin('f1')`); `info` is `sys.exc_info()[1]`.
    Finally {
        /// The label.
        label: String,
        /// `sys.exc_info()[1]`.
        info: Option<ExcRef>,
    },
    /// After `main()` was over, `sys.exc_info()[1]` still held this exception: a handler's
    /// exception outlived the handler. A correct Python never shows it (the model never predicts
    /// it); the worker reports it at the end of the program that left it, and clears it where it
    /// can, so that the next program run in the same process does not inherit it.
    Leaked {
        /// What `sys.exc_info()[1]` held.
        info: ExcRef,
    },
}

/// How `main()` ended.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// `main()` returned a value, shown canonically (`None`, `3`, `'a'`, `<M0>`, `(1, 2)`).
    Returned(String),
    /// `main()` raised; the first entry is the exception, then every exception reachable through
    /// `__context__`, `__cause__` and, for a group, what it holds, depth first, each once.
    Raised(Vec<ExcDetail>),
    /// The interpreter refused to compile the program (`SyntaxError` and the like).
    CompileError(String),
}

/// The whole observable behaviour of one run.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Trace {
    /// Events, in order.
    pub events: Vec<Event>,
    /// How `main()` ended.
    pub outcome: Outcome,
}

impl Trace {
    /// Every exception reference of the trace, in printed order (events, then the outcome).
    pub fn exc_refs(&self) -> Vec<ExcRef> {
        let mut res = Vec::new();
        let mut note = |e: &mut ExcRef| res.push(e.clone());
        self.events.iter().for_each(|ev| ev.clone().for_each_exc_ref(&mut note));
        res.extend(self.outcome_refs());
        res
    }

    /// The exception references of the outcome alone, in printed order.
    pub fn outcome_refs(&self) -> Vec<ExcRef> {
        let mut res = Vec::new();
        self.outcome.clone().for_each_exc_ref(&mut |e: &mut ExcRef| res.push(e.clone()));
        res
    }

    /// The same trace with every exception message removed, for `--messages types`.
    pub fn without_messages(&self) -> Trace {
        let mut res = self.clone();
        let mut mask = |x: &mut ExcRef| x.msg = None;
        for ev in &mut res.events {
            ev.for_each_exc_ref(&mut mask);
        }
        res.outcome.for_each_exc_ref(&mut mask);
        res
    }

    /// One canonical line per event and per outcome entry; this is what diffs are made of.
    pub fn lines(&self) -> Vec<String> {
        let mut res: Vec<String> = self.events.iter().map(|ev| ev.to_string()).collect();
        match &self.outcome {
            Outcome::Returned(v) => res.push(format!("=> return {v}")),
            Outcome::CompileError(m) => res.push(format!("=> compile error {m:?}")),
            Outcome::Raised(chain) => {
                for (i, d) in chain.iter().enumerate() {
                    let lead = if i == 0 { "=> raise" } else { "   chain" };
                    res.push(format!("{lead} {d}"));
                }
            }
        }
        res
    }
}

impl ExcDetail {
    /// Calls `f` on each exception reference, in printed order: the exception, its context,
    /// its cause.
    pub fn for_each_exc_ref(&mut self, f: &mut dyn FnMut(&mut ExcRef)) {
        f(&mut self.exc);
        if let Some(c) = &mut self.context {
            f(c);
        }
        if let Some(c) = &mut self.cause {
            f(c);
        }
        self.leaves.iter_mut().for_each(f);
    }
}

impl Event {
    /// Calls `f` on each exception reference of the event, in printed order.
    pub fn for_each_exc_ref(&mut self, f: &mut dyn FnMut(&mut ExcRef)) {
        let mut opt = |x: &mut Option<ExcRef>| {
            if let Some(x) = x {
                f(x)
            }
        };
        match self {
            Event::Enter { info, .. }
            | Event::Log { info, .. }
            | Event::Finally { info, .. }
            | Event::Callback { info, .. } => opt(info),
            Event::Exit { exc, info, .. } | Event::Call { exc, info, .. } => {
                opt(exc);
                opt(info);
            }
            Event::Handler { exc, .. } => exc.for_each_exc_ref(f),
            Event::GenCleanup { exc, .. } | Event::Leaked { info: exc } => f(exc),
            Event::Init { .. }
            | Event::Get { .. }
            | Event::InstanceMethod { .. }
            | Event::Bool { .. }
            | Event::Len { .. }
            | Event::Var { .. }
            | Event::Store { .. }
            | Event::Await { .. }
            | Event::GenYield { .. }
            | Event::Close { .. }
            | Event::GenEnd { .. }
            | Event::GenClosed { .. }
            | Event::Suspend { .. }
            | Event::Ret { .. } => {}
        }
    }
}

impl Outcome {
    /// Calls `f` on each exception reference of the outcome, in printed order.
    pub fn for_each_exc_ref(&mut self, f: &mut dyn FnMut(&mut ExcRef)) {
        match self {
            Outcome::Raised(chain) => chain.iter_mut().for_each(|d| d.for_each_exc_ref(f)),
            Outcome::Returned(_) | Outcome::CompileError(_) => {}
        }
    }
}

impl fmt::Display for ExcRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.msg {
            Some(m) => write!(f, "{}({:?})#{}", self.ty, m, self.id),
            None => write!(f, "{}#{}", self.ty, self.id),
        }
    }
}

struct Opt<'a>(&'a Option<ExcRef>);

impl fmt::Display for Opt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(e) => write!(f, "{e}"),
            None => f.write_str("-"),
        }
    }
}

impl fmt::Display for ExcDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.exc)?;
        if !self.leaves.is_empty() {
            let leaves: Vec<String> = self.leaves.iter().map(|l| ExcRefShort(l).to_string()).collect();
            write!(f, " [{}]", leaves.join(", "))?;
        }
        if let Some(c) = &self.context {
            write!(f, " context={}", ExcRefShort(c))?;
        }
        if let Some(c) = &self.cause {
            write!(f, " cause={}", ExcRefShort(c))?;
        }
        if self.suppress_context {
            f.write_str(" suppress_context")?;
        }
        Ok(())
    }
}

/// A chained exception is printed in full on its own line; links name only the number and type.
struct ExcRefShort<'a>(&'a ExcRef);

impl fmt::Display for ExcRefShort<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.0.ty, self.0.id)
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Init { mgr } => write!(f, "{mgr}.__init__"),
            Event::Enter { mgr, is_async, info } => {
                let a = if *is_async { "a" } else { "" };
                write!(f, "{mgr}.__{a}enter__ exc_info={}", Opt(info))
            }
            Event::Exit { mgr, is_async, exc, consistent, info } => {
                let a = if *is_async { "a" } else { "" };
                write!(f, "{mgr}.__{a}exit__ exc={}", Opt(exc))?;
                if !consistent {
                    f.write_str(" INCONSISTENT-ARGS")?;
                }
                write!(f, " exc_info={}", Opt(info))
            }
            Event::Call { label, is_async, exc, consistent, info } => {
                let a = if *is_async { "a" } else { "" };
                write!(f, "{a}call {label} exc={}", Opt(exc))?;
                if !consistent {
                    f.write_str(" INCONSISTENT-ARGS")?;
                }
                write!(f, " exc_info={}", Opt(info))
            }
            Event::Callback { label, is_async, info } => {
                let a = if *is_async { "a" } else { "" };
                write!(f, "{a}callback {label} exc_info={}", Opt(info))
            }
            Event::Get { mgr, method } => write!(f, "get {mgr}.{method}"),
            Event::InstanceMethod { mgr, method } => {
                write!(f, "{mgr} instance attribute {method} called")
            }
            Event::Bool { label } => write!(f, "{label}.__bool__"),
            Event::Len { label } => write!(f, "{label}.__len__"),
            Event::Log { label, info } => write!(f, "log {label} exc_info={}", Opt(info)),
            Event::Await { label } => write!(f, "await {label}"),
            Event::Close { label } => write!(f, "{label}.close()"),
            Event::GenYield { label, value } => write!(f, "{label} got {value}"),
            Event::GenEnd { label } => write!(f, "{label} exhausted"),
            Event::GenClosed { label, value: None } => write!(f, "{label} closed"),
            Event::GenClosed { label, value: Some(v) } => write!(f, "{label} closed, returned {v}"),
            Event::GenCleanup { label, exc } => write!(f, "{label} cleanup close raised {exc}"),
            Event::Suspend { label } => write!(f, "suspend {label}"),
            Event::Var { name, value } => write!(f, "var {name} = {value}"),
            Event::Store { label, key, value } => write!(f, "store {label}{key} = {value}"),
            Event::Ret { label } => write!(f, "evaluate return value {label}"),
            Event::Handler { label, exc } => write!(f, "except {label} caught {exc}"),
            Event::Finally { label, info } => write!(f, "finally {label} exc_info={}", Opt(info)),
            Event::Leaked { info } => write!(f, "after main exc_info={info}"),
        }
    }
}
