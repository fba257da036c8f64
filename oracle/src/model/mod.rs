//! The reference model: an independent interpreter over the IR that predicts the trace a correct
//! Python of a given profile must produce. It never asks Python anything.
//!
//! Guest behaviour is data: a Python exception is a `Flow::Raise`, never a Rust error. The model
//! is total on every program that passes `ir::validate`: loops are bounded by the IR and there is
//! no recursion in the guest, so every run ends.
//!
//! This file holds what the run is made of: the `Machine`, its frames, values and flows. The
//! modules below are the semantics, each owning its part of the state; they are listed in the
//! order they build on each other (a module uses only those above it, and this one).

mod rules;
mod provenance;
mod message;
mod exc;
mod heap;
mod value;
mod protocol;
mod call;
mod targets;
mod stmt;
mod with_stmt;
mod direct;
mod contextlib;
mod exit_stack;
mod generator;
mod delegation;
mod groups;
mod decorator;

use std::collections::{HashMap, HashSet};

use crate::capability::Capabilities;
use crate::ir::compile;
use crate::ir::visit::{self, Flow as Walk};
use crate::ir::{Action, ExitFn, Program, Stmt, Value};
use crate::profile::{Profile, Quirks};
use crate::trace::{Event, ExcRef, Outcome, Trace};

pub use message::rule_raising;
pub use provenance::{ExcRules, Provenance};
pub use rules::{Coverage, Rule};

use exc::{ExcId, Excs};
use heap::{CmId, GenId, Heap, StackId};
use message::Code;
use provenance::Recorder;

/// What the model predicts for one program.
#[derive(Clone, Debug)]
pub struct Prediction {
    /// The trace a correct implementation produces.
    pub trace: Trace,
    /// Which rules the program exercised, and how often.
    pub coverage: Coverage,
    /// Which rule produced each event, the outcome and each exception.
    pub provenance: Provenance,
    /// Why the model does not predict this program on this profile, if it does not: a correct
    /// Python never finishes it, or what it does depends on when the garbage collector runs.
    /// Campaigns do not run such a program; the trace is what the model got to.
    pub unpredictable: Option<&'static str>,
}

impl Prediction {
    /// The prediction as an implementation with `capabilities` can show it: the trace masked by
    /// [`Capabilities::mask`], the provenance following its renumbered exceptions. Unchanged
    /// when no missing capability masks anything.
    pub fn within(&self, capabilities: Capabilities) -> Prediction {
        if !capabilities.masks() {
            return self.clone();
        }
        let (trace, map) = capabilities.mask_numbered(&self.trace);
        Prediction { trace, provenance: self.provenance.renumbered(&map), ..self.clone() }
    }
}

/// Predicts the trace of `program` under `profile`.
///
/// Panics if the program does not pass `ir::validate` (a bug in whoever built it).
pub fn predict(program: &Program, profile: Profile) -> Prediction {
    let mut m = Machine {
        program,
        quirks: profile.quirks(),
        excs: Excs::default(),
        recorder: Recorder::default(),
        main: HashMap::new(),
        frames: Vec::new(),
        heap: Heap::default(),
        finish: generator::Finish::default(),
        unpredictable: None,
        after_reads: after_reads(program),
        decorators: Vec::new(),
    };
    if let Some((rule, msg)) = refused(program, &m.quirks) {
        // The program does not compile: nothing runs (SEMANTICS-ADDENDUM §8.5-§8.7).
        m.hit(rule);
        let (events, log, outcome_span, coverage) = m.recorder.finish();
        let provenance = Provenance::new(log, events.spans, outcome_span, HashMap::new());
        let outcome = Outcome::CompileError(format!("SyntaxError: {msg}"));
        return Prediction {
            trace: Trace { events: events.events, outcome },
            coverage,
            provenance,
            unpredictable: None,
        };
    }
    if !m.quirks.exception_groups && crate::ir::uses_groups(program) {
        // ExceptionGroup and except* are NameError and SyntaxError before 3.11.
        m.give_up(message::group_names_missing());
    }
    let mut flow = match m.define_decorated() {
        Flow::Normal => m.block(&program.main),
        failed => failed,
    };
    if let (true, Flow::Raise(x)) = (program.is_async, &flow) {
        // main is a coroutine: PEP 479 at its frame boundary.
        flow = Flow::Raise(m.pep479(*x, Code::Coroutine));
    }
    let mut outcome = match flow {
        Flow::Normal => Outcome::Returned("None".to_string()),
        Flow::Return(v) => Outcome::Returned(m.show(&v)),
        Flow::Raise(e) => Outcome::Raised(m.excs.chain(e)),
        Flow::Break | Flow::Continue => panic!("validate rejects break/continue outside a loop"),
    };
    let (mut events, log, outcome_span, coverage) = m.recorder.finish();
    // What `_finish` does after main: generators that `closing` left suspended.
    let mut finish = m.finish.events();
    let numbers = renumber(&mut events.events, &mut outcome, &mut finish.events);
    events.extend(finish);
    let mut contexts: HashMap<(u32, u32), Rule> = HashMap::new();
    for (&internal, &number) in &numbers {
        for &(context, rule) in m.excs.context_history(ExcId::of_ref(internal)) {
            // 0 stands for no context; a context the trace never shows cannot be expected.
            let context = match context {
                None => Some(0),
                Some(c) => numbers.get(&c.as_ref_id()).copied(),
            };
            if let Some(context) = context {
                contexts.insert((number, context), rule);
            }
        }
    }
    let excs = numbers.into_iter().map(|(internal, number)| (number, m.excs.rules(ExcId::of_ref(internal)))).collect();
    let provenance = Provenance::new(log, events.spans, outcome_span, excs).with_contexts(contexts);
    Prediction { trace: Trace { events: events.events, outcome }, coverage, provenance, unpredictable: m.unpredictable }
}

/// The first construct of `program` this profile refuses to compile, with its rule and message
/// (validate lets a program hold at most one).
fn refused(program: &Program, quirks: &Quirks) -> Option<(Rule, String)> {
    use crate::ir::compile::Refused;
    compile::refused(program).into_iter().find_map(|(_, r)| {
        let rule = match r {
            Refused::Target(_) | Refused::TrailingComma(_) | Refused::StarAlone | Refused::Stars => {
                Rule::CompileRefusedTarget
            }
            Refused::ParenTargets => Rule::ParenthesizedTargets,
            Refused::AsyncWith => Rule::CompileAsyncWithOutsideAsync,
            Refused::TooDeep => Rule::CompileTooDeep,
        };
        message::refused(quirks, r).map(|msg| (rule, msg))
    })
}

/// The `show` statements that read a name after the `with` that bound it (§8.1): the name may be
/// unbound there. Identified by address, which is stable while the program is borrowed.
fn after_reads(program: &Program) -> HashSet<*const Stmt> {
    let mut res = HashSet::new();
    visit::each_stmt(program, |s, at| {
        if let Stmt::Show(n) = s {
            if !at.scope.is_bound(n) {
                res.insert(s as *const Stmt);
            }
        }
        Walk::Continue
    });
    res
}

/// Numbers exception objects in the order the program first observes them: the events of main,
/// then the outcome, then what `_finish` logs.
/// Returns the numbering: internal id to number.
fn renumber(events: &mut [Event], outcome: &mut Outcome, finish: &mut [Event]) -> HashMap<u32, u32> {
    let mut numbers: HashMap<u32, u32> = HashMap::new();
    let mut f = |r: &mut crate::trace::ExcRef| {
        let next = numbers.len() as u32 + 1;
        r.id = *numbers.entry(r.id).or_insert(next);
    };
    events.iter_mut().for_each(|e| e.for_each_exc_ref(&mut f));
    outcome.for_each_exc_ref(&mut f);
    finish.iter_mut().for_each(|e| e.for_each_exc_ref(&mut f));
    numbers
}

/// The interpreter's state during one run.
pub(crate) struct Machine<'p> {
    program: &'p Program,
    /// What the profile does where versions differ.
    quirks: Quirks,
    /// Exception objects and what is being handled.
    excs: Excs,
    /// The events, and the rules behind them.
    recorder: Recorder,
    /// The variables of main's frame.
    main: HashMap<String, Val>,
    /// The frames running above main's; the code running is the top frame's (main's when
    /// there is none).
    frames: Vec<Frame<'p>>,
    /// Objects whose identity matters: generator managers, exit stacks, stepped generators.
    heap: Heap,
    /// What `_finish` does after main.
    finish: generator::Finish,
    /// Set when the program reached something a correct implementation loops on forever, or
    /// leaves to the garbage collector.
    unpredictable: Option<&'static str>,
    /// The `show` statements that read a name after the `with` that bound it.
    after_reads: HashSet<*const Stmt>,
    /// What decorates each decorated function defined so far: the `ContextDecorator` instance,
    /// or the `@contextmanager` object, which every call recreates (§14).
    decorators: Vec<Val>,
}

/// A frame: its variables, and what kind of code runs in it.
pub(crate) struct Frame<'p> {
    vars: HashMap<String, Val>,
    role: Role<'p>,
}

/// What kind of code a frame runs, which decides what its `yield` does (main has no `yield`).
pub(crate) enum Role<'p> {
    /// A generator function's body, driven by `drive` or stepped in a `closing`: at a `yield`,
    /// the driver acts.
    Driven(generator::GenCtx<'p>),
    /// A `@contextmanager` generator run by `__enter__` to its first yield (which ends the run,
    /// so its `yield` is not a statement here).
    CmEntered,
    /// A `@contextmanager` generator resumed by `__exit__`: a `yield` is one it did not expect.
    CmResumed(contextlib::CmYield),
    /// A decorated function's body (§14), a plain function's frame: it has no `yield`.
    Call,
    /// A generator function running under `yield from` in the frame below: at a `yield`, the
    /// driver of the outermost generator acts.
    Delegate(delegation::Delegate),
}

impl<'p> Frame<'p> {
    fn new(role: Role<'p>) -> Frame<'p> {
        Frame { vars: HashMap::new(), role }
    }
}

impl<'p> Machine<'p> {
    /// Records that the model applied `rule`.
    fn hit(&mut self, rule: Rule) {
        self.recorder.hit(rule);
    }

    /// `sys.exc_info()` as an event shows it. Where the frames a throw() or close() set aside
    /// hide an exception, that rule decided what the event shows: it is applied again here, so
    /// that a difference in it names the rule (PyPy's delegate sees its delegator's exception).
    fn exc_info(&mut self) -> Option<ExcRef> {
        if self.excs.unlinking_hides() {
            self.hit(Rule::YieldFromUnlinked);
        }
        self.excs.observe(self.excs.handled())
    }

    /// Records the sync or the async form of a rule.
    fn rule(&mut self, is_async: bool, sync: Rule, async_: Rule) {
        self.hit(if is_async { async_ } else { sync });
    }

    /// Emits an event, with the rules applied since the event before it.
    fn emit(&mut self, event: Event) {
        self.recorder.emit(event);
    }

    /// The program reached something a correct implementation loops on forever, or leaves to
    /// the garbage collector: the model does not predict it.
    fn give_up(&mut self, why: &'static str) {
        self.unpredictable = Some(why);
    }

    /// Runs `body` in a new frame of `role`; gives how it ended and the frame's role after.
    fn in_frame(&mut self, role: Role<'p>, body: impl FnOnce(&mut Self) -> Flow) -> (Flow, Role<'p>) {
        self.frames.push(Frame::new(role));
        let flow = body(self);
        let frame = self.frames.pop().expect("the frame pushed above");
        (flow, frame.role)
    }

    /// Runs `f` on the role of the top frame with that frame set aside, as code that acts on
    /// the frame from outside it does (a driver at a `yield`): while `f` runs, the top frame is
    /// the caller's.
    fn on_top_role<R>(&mut self, f: impl FnOnce(&mut Self, &mut Role<'p>) -> R) -> R {
        let mut frame = self.frames.pop().expect("validate keeps yield inside generator functions");
        let res = f(self, &mut frame.role);
        self.frames.push(frame);
        res
    }

    /// Whether the code running is main's.
    fn in_main(&self) -> bool {
        self.frames.is_empty()
    }

    fn vars(&mut self) -> &mut HashMap<String, Val> {
        match self.frames.last_mut() {
            Some(frame) => &mut frame.vars,
            None => &mut self.main,
        }
    }

    /// The value of a variable the program reads (validate checks that it is bound).
    fn var(&self, name: &str) -> Val {
        let vars = self.frames.last().map_or(&self.main, |frame| &frame.vars);
        vars.get(name).cloned().unwrap_or_else(|| panic!("validate checks that `{name}` is bound"))
    }
}

/// A runtime value of the guest.
#[derive(Clone, Debug)]
pub(crate) enum Val {
    None,
    Bool(bool),
    Int(i64),
    Str(String),
    Tuple(Vec<Val>),
    /// A list: what a starred target binds.
    List(Vec<Val>),
    /// An instance of manager class `M<n>`.
    Mgr(usize),
    /// A `Bool(label, r)` result object.
    BoolObj(Value),
    /// A `Len(label, n)` result object.
    LenObj(Value),
    /// An `Aw(...)` awaitable.
    Aw(Value),
    /// A `BadAw()`.
    BadAw,
    /// A contextlib manager object.
    Builtin(Builtin),
    /// The generator object of `g<n>()` that a `closing` holds.
    Gen {
        /// Which generator function.
        gen: usize,
        /// The object.
        obj: GenId,
    },
    /// An exit function `Xf(...)` / `AXf(...)`.
    Xf(Box<ExitFn>),
    /// `Closer('k1', ...)`.
    Closer(String),
    /// A coroutine that finishes at once with this value (`nullcontext().__aenter__()`).
    Ready(Box<Val>),
    /// The coroutine an `async def` protocol method returned, not yet awaited.
    Coro {
        /// `M<n>`, the class that defines the method.
        mgr: String,
        /// The instance it was called on (`self`).
        this: Box<Val>,
        /// `__aenter__` or `__aexit__`.
        slot: crate::ir::Slot,
        /// The label it suspends on.
        suspend: Option<String>,
        /// What its body does.
        action: Box<Action>,
        /// The exception details `__aexit__` got.
        details: call::ExcDetails,
    },
    /// An exception object.
    Exc(ExcId),
}

/// A contextlib manager object.
#[derive(Clone, Debug)]
pub(crate) enum Builtin {
    /// `suppress(*classes)`.
    Suppress(Vec<crate::ir::ExcClass>),
    /// `nullcontext(value)`.
    Null(Value),
    /// `closing(Closer(label, raises))`.
    Closing { label: String, raises: Option<crate::ir::ExcClass> },
    /// `c<n>()`: a `_GeneratorContextManager`, or an `_AsyncGeneratorContextManager` when
    /// `c<n>` is an `@asynccontextmanager`.
    Cm { cm: usize, obj: CmId },
    /// `ExitStack()` / `AsyncExitStack()`.
    Stack { is_async: bool, obj: StackId },
    /// `closing(g<n>())` / `aclosing(g<n>())`.
    ClosingGen { gen: usize, is_async: bool, obj: GenId },
    /// `Nested(M0(), c1())`: the prelude's composite manager and its members (§15.4).
    Nested(Vec<Val>),
}

/// How a statement or block ended.
#[derive(Clone, Debug)]
pub(crate) enum Flow {
    Normal,
    Return(Val),
    Break,
    Continue,
    Raise(ExcId),
}

/// Python's `repr()` of a printable-ASCII string (what `validate` allows).
pub fn py_repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut res = String::with_capacity(s.len() + 2);
    res.push(quote);
    for c in s.chars() {
        match c {
            '\\' => res.push_str("\\\\"),
            '\n' => res.push_str("\\n"),
            '\r' => res.push_str("\\r"),
            '\t' => res.push_str("\\t"),
            c if c == quote => {
                res.push('\\');
                res.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => res.push_str(&format!("\\x{:02x}", c as u32)),
            c => res.push(c),
        }
    }
    res.push(quote);
    res
}

#[cfg(test)]
mod tests;
