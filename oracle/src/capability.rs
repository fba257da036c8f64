//! What an implementation has of what the generated programs use: its capabilities.
//!
//! The prelude probes them when it loads (`_capabilities()` in `render/prelude.py`), in every
//! interpreter process the runner starts, and the runner hands the report over with the
//! handshake. Each [`Capability`] that is missing has one documented [`Effect`]:
//!
//! - **left out**: programs that use it are not generated (`generators` reads
//!   [`Capabilities`]), and [`required`] names what a given program uses, so that a corpus case
//!   needing it is skipped with a reason instead of reported as a divergence;
//! - **masked**: what it would show is not compared: [`Capabilities::mask`] removes it from the
//!   predicted and the observed trace alike (no `__context__`: every context is dropped, the
//!   chains are cut to what `__cause__` reaches, and exceptions are renumbered in the order the
//!   masked trace shows them, since the numbers of exceptions seen only through a context are
//!   gone);
//! - **emulated**: the prelude works around it in a way that observes the same events (no
//!   `__await__`: its awaitables are awaited as iterators, as MicroPython awaits);
//! - **nothing**: probed and reported, but no program depends on it.
//!
//! The probe checks presence (`hasattr`, or whether a construct compiles), never behaviour: a
//! capability that is present but misbehaves is used, and what it does wrong is a finding, not a
//! skip.
//!
//! This module is pure: the probe's report is parsed by `runner::proto`.

use std::fmt;
use std::str::FromStr;

use crate::ir::{visit, ExcAttr, ItemExpr, Program, StackOp, Stmt};
use crate::profile::Profile;
use crate::trace::{Event, ExcDetail, ExcRef, Outcome, Trace};

macro_rules! capabilities {
    ($($(#[doc = $doc:literal])+ $variant:ident = $name:literal, $effect:expr;)+) => {
        /// One thing the programs may use that an implementation may lack.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Capability {
            $($(#[doc = $doc])+ $variant,)+
        }

        impl Capability {
            /// Every capability, in the order reports list them.
            pub const ALL: &'static [Capability] = &[$(Capability::$variant,)+];

            /// The name the probe reports and the command line takes: `contextlib.ExitStack`,
            /// `__context__`, `sys.exc_info`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Capability::$variant => $name,)+
                }
            }

            /// What withstand does when an implementation lacks it.
            pub fn effect(self) -> Effect {
                match self {
                    $(Capability::$variant => $effect,)+
                }
            }
        }
    };
}

/// What a missing capability changes, and the sentence that says so in a summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Programs that use it are not generated: `"@contextmanager generator functions"`.
    LeftOut(&'static str),
    /// What it shows is removed from both traces before they are compared.
    Masked(&'static str),
    /// The prelude works around it, observing the same events.
    Emulated(&'static str),
    /// Nothing depends on it.
    Nothing(&'static str),
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Effect::LeftOut(what) => write!(f, "left out: {what}"),
            Effect::Masked(what) => write!(f, "masked: {what}"),
            Effect::Emulated(what) => write!(f, "emulated: {what}"),
            Effect::Nothing(what) => write!(f, "nothing left out: {what}"),
        }
    }
}

capabilities! {
    /// `contextlib.contextmanager`.
    Contextmanager = "contextlib.contextmanager",
        Effect::LeftOut("@contextmanager generator functions");
    /// `contextlib.asynccontextmanager`.
    AsyncContextmanager = "contextlib.asynccontextmanager",
        Effect::LeftOut("@asynccontextmanager generator functions");
    /// `contextlib.ExitStack`.
    ExitStack = "contextlib.ExitStack",
        Effect::LeftOut("`with ExitStack()` and its operations");
    /// `contextlib.AsyncExitStack`.
    AsyncExitStack = "contextlib.AsyncExitStack",
        Effect::LeftOut("`async with AsyncExitStack()` and its operations");
    /// `contextlib.suppress`.
    Suppress = "contextlib.suppress",
        Effect::LeftOut("`suppress(...)` items");
    /// `contextlib.nullcontext`.
    Nullcontext = "contextlib.nullcontext",
        Effect::LeftOut("`nullcontext(...)` items");
    /// `contextlib.closing`.
    Closing = "contextlib.closing",
        Effect::LeftOut("`closing(...)` items");
    /// `contextlib.aclosing` (3.10+; its absence on older profiles is no capability question:
    /// the model knows when CPython has it).
    Aclosing = "contextlib.aclosing",
        Effect::LeftOut("`aclosing(g0())` items");
    /// `contextlib.ContextDecorator`, the base of manager classes used as decorators (§14).
    ContextDecorator = "contextlib.ContextDecorator",
        Effect::LeftOut("manager classes used as decorators (`@M0()`)");
    /// Async generator functions (`async def` with `yield`) with `asend`, `athrow`, `aclose`.
    AsyncGenerators = "async-generators",
        Effect::LeftOut("async generator functions");
    /// `await` on an object with `__await__`.
    AwaitProtocol = "__await__",
        Effect::Emulated("the prelude's awaitables are awaited as iterators (`__iter__ = __await__`)");
    /// `BaseException.__context__`: implicit chaining.
    Context = "__context__",
        Effect::Masked("contexts are not compared (dropped from both traces, chains cut to causes)");
    /// `BaseException.__cause__`: `raise ... from ...`.
    Cause = "__cause__",
        Effect::Masked("causes are not compared (dropped from both traces)");
    /// `BaseException.__suppress_context__`.
    SuppressContext = "__suppress_context__",
        Effect::Masked("`__suppress_context__` is not compared");
    /// `sys.exc_info()`.
    ExcInfo = "sys.exc_info",
        Effect::Masked("`sys.exc_info()` is not compared; except clauses bind the exception to show which one they handle");
    /// `BaseException.__traceback__`, and with it the traceback argument of `__exit__`.
    Traceback = "__traceback__",
        Effect::Masked("whether `__exit__`'s traceback argument belongs to the exception is not compared (its type still is)");
    /// `ExceptionGroup` and `except*`.
    ExceptionGroups = "ExceptionGroup",
        Effect::Nothing("no program uses exception groups");
    /// `types.MethodType`.
    MethodType = "types.MethodType",
        Effect::Nothing("only contextlib's exit stacks use it, and a contextlib that needs it and lacks it is a finding");
    /// `__qualname__` of functions and classes.
    Qualname = "__qualname__",
        Effect::Nothing("messages that name a qualified name (call errors from 3.10 on) differ; --messages types compares the rest");
    /// CPython's limit on statically nested blocks (SEMANTICS-ADDENDUM §8.7): a function nested
    /// deeper than every version compiles is refused. The limit is CPython's own, not the
    /// language's (every test of it in CPython's `test_syntax` is `cpython_only`), so where an
    /// implementation compiles such a function that is no difference; probed by compiling one.
    NestingLimit = "nesting-limit",
        Effect::LeftOut("functions nested deeper than CPython compiles (its limit is CPython's own: its tests of it are cpython_only)");
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Capability {
    type Err = String;

    fn from_str(s: &str) -> Result<Capability, String> {
        Capability::ALL.iter().copied().find(|c| c.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Capability::ALL.iter().map(|c| c.name()).collect();
            format!("unknown capability {s:?}: the capabilities are {}", names.join(", "))
        })
    }
}

/// A set of [`Capability`]s: what an implementation has.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Capabilities {
    bits: u32,
}

impl Capabilities {
    /// Everything: what CPython has (from 3.8 on; what a version lacks is the profile's business,
    /// not a capability).
    pub const FULL: Capabilities = Capabilities { bits: (1 << Capability::ALL.len() as u32) - 1 };

    /// Nothing at all.
    pub const NONE: Capabilities = Capabilities { bits: 0 };

    fn bit(c: Capability) -> u32 {
        1 << (c as u32)
    }

    /// Whether `c` is in the set.
    pub fn has(self, c: Capability) -> bool {
        self.bits & Capabilities::bit(c) != 0
    }

    /// The set with `c` added.
    pub fn with(self, c: Capability) -> Capabilities {
        Capabilities { bits: self.bits | Capabilities::bit(c) }
    }

    /// The set without `c`.
    pub fn without(self, c: Capability) -> Capabilities {
        Capabilities { bits: self.bits & !Capabilities::bit(c) }
    }

    /// Whether every capability of `other` is in the set.
    pub fn covers(self, other: Capabilities) -> bool {
        other.bits & !self.bits == 0
    }

    /// The capabilities in the set, in [`Capability::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Capability> {
        Capability::ALL.iter().copied().filter(move |c| self.has(*c))
    }

    /// The capabilities of the set that `other` lacks, in [`Capability::ALL`] order.
    pub fn missing_from(self, other: Capabilities) -> Vec<Capability> {
        self.iter().filter(|c| !other.has(*c)).collect()
    }

    /// The capabilities not in the set, in [`Capability::ALL`] order.
    pub fn missing(self) -> impl Iterator<Item = Capability> {
        Capability::ALL.iter().copied().filter(move |c| !self.has(*c))
    }

    /// The set as `profile` judges it: what CPython of that version lacks as well (`aclosing`
    /// before 3.10, exception groups before 3.11) counts as present, since the model predicts
    /// what a program using it does there (a NameError). What is left is what the implementation
    /// lacks and its CPython has.
    pub fn for_profile(self, profile: Profile) -> Capabilities {
        let mut res = self;
        if !profile.quirks().contextlib_async_helpers {
            res = res.with(Capability::Aclosing);
        }
        if profile.version < (3, 11) {
            res = res.with(Capability::ExceptionGroups);
        }
        res
    }

    /// Whether any missing capability masks what traces show, so that [`Capabilities::mask`]
    /// changes something.
    pub fn masks(self) -> bool {
        self.missing().any(|c| matches!(c.effect(), Effect::Masked(_)))
    }

    /// The capabilities in one set and not the other, each with `+` (only in `other`) or `-`
    /// (only in `self`): how a later probe differs from the first, `-__context__, +sys.exc_info`.
    pub fn changes_to(self, other: Capabilities) -> String {
        let mut res = Vec::new();
        for c in Capability::ALL {
            match (self.has(*c), other.has(*c)) {
                (true, false) => res.push(format!("-{c}")),
                (false, true) => res.push(format!("+{c}")),
                _ => {}
            }
        }
        res.join(", ")
    }

    /// `trace` as an implementation with these capabilities can show it: with what the missing
    /// ones would show removed, and (when anything was removed) exceptions renumbered in the
    /// order the masked trace shows them. With every masking capability present, the trace is
    /// returned as it is. The same function masks the prediction and the observation, so that
    /// the two agree exactly when they agree on what is compared.
    pub fn mask(self, trace: &Trace) -> Trace {
        self.mask_numbered(trace).0
    }

    /// [`Capabilities::mask`], and the map from the old exception numbers to the new ones (empty
    /// when nothing is masked).
    pub(crate) fn mask_numbered(self, trace: &Trace) -> (Trace, Vec<(u32, u32)>) {
        if !self.masks() {
            return (trace.clone(), Vec::new());
        }
        let mut res = trace.clone();
        let context = self.has(Capability::Context);
        let cause = self.has(Capability::Cause);
        let suppress = self.has(Capability::SuppressContext);
        let exc_info = self.has(Capability::ExcInfo);
        let traceback = self.has(Capability::Traceback);
        let detail = |d: &mut ExcDetail| {
            if !context {
                d.context = None;
            }
            if !cause {
                d.cause = None;
            }
            if !suppress {
                d.suppress_context = false;
            }
        };
        for ev in &mut res.events {
            match ev {
                Event::Handler { exc, .. } => detail(exc),
                Event::Exit { consistent, info, .. } | Event::Call { consistent, info, .. } => {
                    if !traceback {
                        // What the prelude can still check is the type argument; an
                        // implementation that got it wrong still differs there.
                        *consistent = true;
                    }
                    if !exc_info {
                        *info = None;
                    }
                }
                Event::Enter { info, .. }
                | Event::Log { info, .. }
                | Event::Finally { info, .. }
                | Event::Callback { info, .. } => {
                    if !exc_info {
                        *info = None;
                    }
                }
                Event::Init { .. }
                | Event::Leaked { .. }
                | Event::InstanceMethod { .. }
                | Event::Get { .. }
                | Event::Store { .. }
                | Event::Bool { .. }
                | Event::Len { .. }
                | Event::Close { .. }
                | Event::Await { .. }
                | Event::Suspend { .. }
                | Event::GenYield { .. }
                | Event::GenEnd { .. }
                | Event::GenClosed { .. }
                | Event::GenCleanup { .. }
                | Event::Var { .. }
                | Event::Ret { .. } => {}
            }
        }
        if let Outcome::Raised(chain) = &mut res.outcome {
            // What the masked links still reach, in the order `_chain` visits it.
            let mut out: Vec<ExcDetail> = Vec::new();
            let mut todo = vec![chain[0].exc.id];
            while let Some(id) = todo.pop() {
                if out.iter().any(|d| d.exc.id == id) {
                    continue;
                }
                let Some(found) = chain.iter().find(|d| d.exc.id == id) else { continue };
                let mut d = found.clone();
                detail(&mut d);
                // Depth first: the context, then the cause.
                todo.extend(d.cause.as_ref().map(|c| c.id));
                todo.extend(d.context.as_ref().map(|c| c.id));
                out.push(d);
            }
            *chain = out;
        }
        let map = renumber(&mut res);
        (res, map)
    }
}

/// Renumbers the exceptions of `trace` by first appearance (events, then the outcome); returns
/// the map from old numbers to new ones.
pub(crate) fn renumber(trace: &mut Trace) -> Vec<(u32, u32)> {
    let mut map: Vec<(u32, u32)> = Vec::new();
    let mut f = |x: &mut ExcRef| {
        let new = match map.iter().find(|(old, _)| *old == x.id) {
            Some((_, new)) => *new,
            None => {
                let new = map.len() as u32 + 1;
                map.push((x.id, new));
                new
            }
        };
        x.id = new;
    };
    for ev in &mut trace.events {
        ev.for_each_exc_ref(&mut f);
    }
    trace.outcome.for_each_exc_ref(&mut f);
    map
}

impl Default for Capabilities {
    /// [`Capabilities::FULL`].
    fn default() -> Capabilities {
        Capabilities::FULL
    }
}

impl fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Capabilities({self})")
    }
}

impl fmt::Display for Capabilities {
    /// `all`, `none`, or the capabilities missing: `all but __context__, sys.exc_info`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Capabilities::FULL {
            return f.write_str("all");
        }
        if *self == Capabilities::NONE {
            return f.write_str("none");
        }
        let missing: Vec<&str> = self.missing().map(|c| c.name()).collect();
        write!(f, "all but {}", missing.join(", "))
    }
}

impl FromStr for Capabilities {
    type Err = String;

    /// `all`, `none`, or a comma-separated list of changes to all of them: `-__context__,-sys.exc_info`
    /// (what `Display` prints, `all but __context__, sys.exc_info`, reads back too), or names on
    /// their own, which start from none: `contextlib.suppress,__context__`.
    fn from_str(s: &str) -> Result<Capabilities, String> {
        let s = s.trim();
        let (mut res, rest) = match s {
            "all" => return Ok(Capabilities::FULL),
            "none" | "" => return Ok(Capabilities::NONE),
            _ => match s.strip_prefix("all but ") {
                Some(rest) => (Capabilities::FULL, rest.split(',').map(|n| format!("-{}", n.trim())).collect()),
                None => {
                    let items: Vec<String> = s.split(',').map(|n| n.trim().to_owned()).collect();
                    let start =
                        if items.iter().all(|n| n.starts_with('-')) { Capabilities::FULL } else { Capabilities::NONE };
                    (start, items)
                }
            },
        };
        for item in rest {
            match item.strip_prefix('-') {
                Some(name) => res = res.without(name.parse()?),
                None => res = res.with(item.strip_prefix('+').unwrap_or(&item).parse()?),
            }
        }
        Ok(res)
    }
}

impl Capability {
    /// The capability that assigning `attr` to an exception needs.
    pub fn of_attr(attr: ExcAttr) -> Capability {
        match attr {
            ExcAttr::Context => Capability::Context,
            ExcAttr::Cause => Capability::Cause,
            ExcAttr::SuppressContext => Capability::SuppressContext,
        }
    }
}

/// The capabilities `program` uses: what an implementation must have for it to be generated.
pub fn required(program: &Program) -> Capabilities {
    let mut res = Capabilities::NONE;
    if crate::ir::compile::refused(program).iter().any(|(_, r)| *r == crate::ir::compile::Refused::TooDeep) {
        res = res.with(Capability::NestingLimit);
    }
    for cm in &program.cms {
        res = res.with(if cm.is_async { Capability::AsyncContextmanager } else { Capability::Contextmanager });
    }
    if program.gens.iter().any(|g| g.is_async_gen()) {
        res = res.with(Capability::AsyncGenerators);
    }
    if program.decos.iter().any(|d| matches!(d.deco, crate::ir::Deco::Mgr(_))) {
        res = res.with(Capability::ContextDecorator);
    }
    let mut item = |e: &ItemExpr| {
        let c = match e {
            ItemExpr::Suppress(_) => Capability::Suppress,
            ItemExpr::Nullcontext(_) => Capability::Nullcontext,
            ItemExpr::Closing { .. } | ItemExpr::ClosingGen { is_async: false, .. } => Capability::Closing,
            ItemExpr::ClosingGen { is_async: true, .. } => Capability::Aclosing,
            ItemExpr::ExitStack { is_async: false } => Capability::ExitStack,
            ItemExpr::ExitStack { is_async: true } => Capability::AsyncExitStack,
            // Nested's members are items of their own to `all_exprs`' walk; the prelude's class needs
            // nothing (it reads `__traceback__` with getattr).
            ItemExpr::New(_)
            | ItemExpr::Literal(_)
            | ItemExpr::Cm(..)
            | ItemExpr::Var(_)
            | ItemExpr::PopAll(_)
            | ItemExpr::Nested(_) => return,
        };
        res = res.with(c);
    };
    let mut attrs = Vec::new();
    for s in visit::all_stmts(program) {
        match s {
            Stmt::With { items, .. } => items.iter().for_each(|it| item(&it.expr)),
            Stmt::Assign { expr, .. } => item(expr),
            Stmt::Stack { op: StackOp::Enter { expr, .. } | StackOp::Push { expr, .. }, .. } => item(expr),
            Stmt::SetAttr { attr, .. } => attrs.push(Capability::of_attr(*attr)),
            _ => {}
        }
    }
    attrs.into_iter().fold(res, Capabilities::with)
}

#[cfg(test)]
mod tests;
