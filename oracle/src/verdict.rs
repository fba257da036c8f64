//! The verdict: what one run of a program on an interpreter shows, judged against the model's
//! prediction. The one place that decides it; `cli`, the fuzz targets, replay and shrinking all
//! call [`judge`].
//!
//! Traces are compared as typed values, position by position (a position is one line of
//! [`Trace::lines`]: each event, then each entry of the outcome), in one linear pass. The first
//! position that differs gives the divergence its [`Signature`]: the kind of the expected event
//! there, what differs ([`Differs`]), and the rule of the model behind it, read from the
//! prediction's provenance. `(rule, what differs)` is the [`RootCause`]: findings that share one
//! are very likely the same bug, and the reducer keeps a candidate only while it keeps the root
//! cause. The kind of event is not part of it: one wrong message shows in a handler, an exit or
//! the outcome alike, and a shrink that moves it from one to the other keeps the bug. The kind
//! and the signature's `detail` are the finer, masked level (which event, which field, which
//! message). `oracle::triage` groups root causes further, by families of rules and by known
//! differences.
//!
//! Pure: no files, processes or clocks (the runner produced the [`RunResult`]).

use std::fmt;

use similar::TextDiff;

use crate::model::{Prediction, Provenance, Rule};
use crate::runner::compile::BuildFailure;
use crate::runner::RunResult;
use crate::trace::{Event, ExcDetail, ExcRef, Outcome, Trace};

/// How exception messages take part in the comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Messages {
    /// Messages must match exactly.
    Exact,
    /// Only types, identities and chains are compared.
    Types,
}

/// What running one program showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The interpreter did what the model predicts; its trace.
    Agrees(Trace),
    /// It did not.
    Fails(Failure),
}

/// How a run failed: the interpreter's trace differs from the model's, or the interpreter hung,
/// crashed or answered something that is not a trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The interpreter's trace differs from the model's.
    Divergence(Box<Divergence>),
    /// The program did not finish within the time limit.
    Hang {
        /// The last few KiB the interpreter wrote to stderr.
        stderr_tail: String,
    },
    /// The interpreter died.
    Crash {
        /// How: `exit status 3`, `killed by signal 11`.
        status: String,
        /// The last few KiB the interpreter wrote to stderr.
        stderr_tail: String,
    },
    /// The interpreter answered something that is not a trace.
    Garbage {
        /// The answer, truncated.
        line: String,
        /// The last few KiB the interpreter wrote to stderr.
        stderr_tail: String,
    },
    /// A compiler (`--compile`) did not build the program, or its built module did not import:
    /// the compiler rejected it, crashed or hung on it.
    Compile(Box<BuildFailure>),
}

/// The kinds of [`Failure`], for counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FailureKind {
    /// [`Failure::Divergence`].
    Divergence,
    /// [`Failure::Hang`].
    Hang,
    /// [`Failure::Crash`].
    Crash,
    /// [`Failure::Garbage`].
    Garbage,
    /// [`Failure::Compile`].
    Compile,
}

/// Two traces that differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The model's trace.
    pub expected: Trace,
    /// The interpreter's trace.
    pub observed: Trace,
    /// How messages were compared (the diff leaves them out with [`Messages::Types`]).
    pub messages: Messages,
    /// Where and how they first differ.
    pub signature: Signature,
}

/// Where two traces first differ, and how.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Signature {
    /// The first differing position: an index into [`Trace::lines`] of both traces.
    pub position: usize,
    /// The kind of the expected event at that position ([`Kind::Leaked`] for an exception the
    /// interpreter left in hand after main, where the model expects whatever comes next).
    pub kind: Kind,
    /// What differs.
    pub differs: Differs,
    /// The rule of the model behind what differs, when the provenance names one.
    pub rule: Option<Rule>,
    /// The finer level, masked so that it does not depend on labels and exception numbers:
    /// `expected MN.__exit__ | observed => return`, `exc message: "…" vs "…"`.
    pub detail: String,
    /// When an exception's type or message differs (or a compile error's message): the expected
    /// and the observed message, unmasked, each cut to [`MAX_MESSAGE_BYTES`]; when an item is
    /// missing or extra, the messages of the exceptions the two items are about, if either is
    /// about one (empty for the other). What a known-differences entry's message pattern is
    /// matched against.
    pub messages: Option<(String, String)>,
    /// An exception of the interpreter's own at the first difference: one the observed item there
    /// is about (`Type: message`, digits masked; not one it links to as a context or cause) that the model's whole trace has none like, of a
    /// type the program does not define and with a message that is not one of the program's
    /// labels. A refusal the interpreter makes up (PyPy's "can't do
    /// async_generator.athrow().throw()") shows under whatever rule the model was carrying out;
    /// this is what tells a reader, and the report's joining of root causes, that it is one bug.
    /// `None` when messages are not compared.
    pub raised: Option<String>,
    /// What the model expected at the first difference and the interpreter does not show, where
    /// an item is missing (or the interpreter did something else before it, and it is about an
    /// exception a rule made), an exception has another type, or a value another than its rule gives:
    /// the rule that made the exception the expected item is about and its type
    /// (`gen-throw-bad-args`, `TypeError`); for an item about no exception a rule made, the rule
    /// that produced the item (or decided its value) and its subject (`async-gen-athrow-finished`,
    /// `got`). One bug leaves the same thing out under different culprits
    /// (PyPy's `athrow()` on a finished async generator raises where CPython's gives None, and
    /// the first difference is that raise or, for a bad argument, the TypeError of the argument
    /// check that CPython skips there); the report's joining of root causes reads it.
    pub missing: Option<(Rule, String)>,
}

/// How much of each message a [`Signature`] keeps.
pub const MAX_MESSAGE_BYTES: usize = 1000;

/// What a root cause is made of: the rule and what differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RootCause {
    /// The rule of the model behind what differs.
    pub rule: Option<Rule>,
    /// What differs.
    pub differs: Differs,
}

/// What differs at the first differing position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Differs {
    /// An event is missing, or one is extra.
    Presence,
    /// The same events, in another order.
    Order,
    /// The type of an exception.
    Type,
    /// The message of an exception.
    Message,
    /// Which exception object: its number differs.
    Identity,
    /// `__context__`.
    Context,
    /// `__cause__`.
    Cause,
    /// `__suppress_context__`.
    SuppressContext,
    /// A returned or shown value, or another field (`exc_info`, the consistency of exit args).
    Value,
}

/// The kind of a position of a trace: an event, an entry of the outcome, or the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum Kind {
    Init,
    Enter,
    AEnter,
    Exit,
    AExit,
    Call,
    ACall,
    Callback,
    ACallback,
    InstanceMethod,
    Get,
    Bool,
    Len,
    Close,
    Await,
    Suspend,
    GenYield,
    GenEnd,
    GenClosed,
    GenCleanup,
    Log,
    Var,
    Store,
    Ret,
    Handler,
    Finally,
    /// `after main exc_info=…`: an exception left in hand after `main()` ([`Event::Leaked`]).
    Leaked,
    /// `=> return`.
    Return,
    /// `=> raise`.
    Raise,
    /// `=> compile error`.
    CompileError,
    /// A `chain` line of the outcome.
    Chain,
    /// Past the last line.
    End,
}

impl Kind {
    /// Every kind, in order.
    pub const ALL: &'static [Kind] = &[
        Kind::Init,
        Kind::Enter,
        Kind::AEnter,
        Kind::Exit,
        Kind::AExit,
        Kind::Call,
        Kind::ACall,
        Kind::Callback,
        Kind::ACallback,
        Kind::InstanceMethod,
        Kind::Get,
        Kind::Bool,
        Kind::Len,
        Kind::Close,
        Kind::Await,
        Kind::Suspend,
        Kind::GenYield,
        Kind::GenEnd,
        Kind::GenClosed,
        Kind::GenCleanup,
        Kind::Log,
        Kind::Var,
        Kind::Store,
        Kind::Ret,
        Kind::Handler,
        Kind::Finally,
        Kind::Leaked,
        Kind::Return,
        Kind::Raise,
        Kind::CompileError,
        Kind::Chain,
        Kind::End,
    ];

    /// The kebab-case name: `exit`, `aenter`, `gen-yield`, `raise`, `end`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Init => "init",
            Kind::Enter => "enter",
            Kind::AEnter => "aenter",
            Kind::Exit => "exit",
            Kind::AExit => "aexit",
            Kind::Call => "call",
            Kind::ACall => "acall",
            Kind::Callback => "callback",
            Kind::ACallback => "acallback",
            Kind::InstanceMethod => "instance-method",
            Kind::Get => "get",
            Kind::Bool => "bool",
            Kind::Len => "len",
            Kind::Close => "close",
            Kind::Await => "await",
            Kind::Suspend => "suspend",
            Kind::GenYield => "gen-yield",
            Kind::GenEnd => "gen-end",
            Kind::GenClosed => "gen-closed",
            Kind::GenCleanup => "gen-cleanup",
            Kind::Log => "log",
            Kind::Var => "var",
            Kind::Store => "store",
            Kind::Ret => "ret",
            Kind::Handler => "handler",
            Kind::Finally => "finally",
            Kind::Leaked => "leaked",
            Kind::Return => "return",
            Kind::Raise => "raise",
            Kind::CompileError => "compile-error",
            Kind::Chain => "chain",
            Kind::End => "end",
        }
    }

    /// The kind of an event.
    pub fn of(event: &Event) -> Kind {
        let pick = |is_async: bool, sync: Kind, a: Kind| if is_async { a } else { sync };
        match event {
            Event::Init { .. } => Kind::Init,
            Event::Enter { is_async, .. } => pick(*is_async, Kind::Enter, Kind::AEnter),
            Event::Exit { is_async, .. } => pick(*is_async, Kind::Exit, Kind::AExit),
            Event::Call { is_async, .. } => pick(*is_async, Kind::Call, Kind::ACall),
            Event::Callback { is_async, .. } => pick(*is_async, Kind::Callback, Kind::ACallback),
            Event::InstanceMethod { .. } => Kind::InstanceMethod,
            Event::Get { .. } => Kind::Get,
            Event::Bool { .. } => Kind::Bool,
            Event::Len { .. } => Kind::Len,
            Event::Close { .. } => Kind::Close,
            Event::Await { .. } => Kind::Await,
            Event::Suspend { .. } => Kind::Suspend,
            Event::GenYield { .. } => Kind::GenYield,
            Event::GenEnd { .. } => Kind::GenEnd,
            Event::GenClosed { .. } => Kind::GenClosed,
            Event::GenCleanup { .. } => Kind::GenCleanup,
            Event::Log { .. } => Kind::Log,
            Event::Var { .. } => Kind::Var,
            Event::Store { .. } => Kind::Store,
            Event::Ret { .. } => Kind::Ret,
            Event::Handler { .. } => Kind::Handler,
            Event::Finally { .. } => Kind::Finally,
            Event::Leaked { .. } => Kind::Leaked,
        }
    }
}

impl Differs {
    /// Every value, in order.
    pub const ALL: &'static [Differs] = &[
        Differs::Presence,
        Differs::Order,
        Differs::Type,
        Differs::Message,
        Differs::Identity,
        Differs::Context,
        Differs::Cause,
        Differs::SuppressContext,
        Differs::Value,
    ];

    /// `presence`, `order`, `type`, `message`, `identity`, `context`, `cause`,
    /// `suppress_context`, `value`.
    pub fn name(self) -> &'static str {
        match self {
            Differs::Presence => "presence",
            Differs::Order => "order",
            Differs::Type => "type",
            Differs::Message => "message",
            Differs::Identity => "identity",
            Differs::Context => "context",
            Differs::Cause => "cause",
            Differs::SuppressContext => "suppress_context",
            Differs::Value => "value",
        }
    }
}

/// The value of `all` whose name is `s`; the error lists the names.
fn by_name<T: Copy>(all: &[T], name: fn(T) -> &'static str, s: &str, what: &str) -> Result<T, String> {
    all.iter().copied().find(|x| name(*x) == s).ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|x| name(*x)).collect();
        format!("unknown {what} {s:?}; one of {}", names.join(", "))
    })
}

impl std::str::FromStr for Kind {
    type Err = String;

    /// A kind by its [`Kind::name`], as a known-differences file names it.
    fn from_str(s: &str) -> Result<Kind, String> {
        by_name(Kind::ALL, Kind::name, s, "event kind")
    }
}

impl std::str::FromStr for Differs {
    type Err = String;

    /// What differs, by its [`Differs::name`].
    fn from_str(s: &str) -> Result<Differs, String> {
        by_name(Differs::ALL, Differs::name, s, "difference")
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Differs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for RootCause {
    /// `exit-after-return: presence`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rule {
            Some(r) => write!(f, "{}", r.name())?,
            None => f.write_str("no-rule")?,
        }
        write!(f, ": {}", self.differs)
    }
}

impl fmt::Display for Signature {
    /// The root cause, the kind of event, then the detail: `exit-after-return: presence of exit
    /// (expected MN.__exit__ | observed => return)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} of {} ({})", self.root_cause(), self.kind, self.detail)
    }
}

impl Signature {
    /// The part that names a bug: the rule and what differs.
    pub fn root_cause(&self) -> RootCause {
        RootCause { rule: self.rule, differs: self.differs }
    }
}

/// Judges one run of the program `prediction` was made for. The program is predicted once, by
/// the caller, and the prediction carried along.
pub fn judge(prediction: &Prediction, result: RunResult, messages: Messages) -> Verdict {
    match result {
        RunResult::Completed(observed) => match signature(prediction, &observed, messages) {
            None => Verdict::Agrees(observed),
            Some(signature) => Verdict::Fails(Failure::Divergence(Box::new(Divergence {
                expected: prediction.trace.clone(),
                observed,
                messages,
                signature,
            }))),
        },
        RunResult::Timeout { stderr_tail } => Verdict::Fails(Failure::Hang { stderr_tail }),
        RunResult::Crashed { status, stderr_tail } => Verdict::Fails(Failure::Crash { status, stderr_tail }),
        RunResult::Garbage { line, stderr_tail } => Verdict::Fails(Failure::Garbage { line, stderr_tail }),
    }
}

/// [`judge`] for a run of a compiled program (a `proto::import_request`): a module that did not
/// import is a [`Failure::Compile`] of `compiler` (the import error is the worker's answer), not
/// a divergence.
pub fn judge_compiled(prediction: &Prediction, result: RunResult, messages: Messages, compiler: &str) -> Verdict {
    if let RunResult::Completed(Trace { events, outcome: Outcome::CompileError(message) }) = &result {
        if let Some(error) = message.strip_prefix(crate::runner::proto::IMPORT_FAILED) {
            if events.is_empty() {
                return judge_build_failure(prediction, &BuildFailure::import_failed(compiler, error));
            }
        }
    }
    judge(prediction, result, messages)
}

/// The verdict on a program a compiler did not build (or whose module did not import): the
/// compiler agrees with a prediction that CPython refuses to compile the program (a
/// `SyntaxError`, SEMANTICS-ADDENDUM §8.5-§8.8) when it rejected the program itself (an error
/// and a failing status; not a crash or a hang) or its module raised SyntaxError on import.
/// The compiler's wording and line are its own, so only the refusal is compared; the agreeing
/// trace is the prediction's. Any other failure is a finding.
pub fn judge_build_failure(prediction: &Prediction, failure: &BuildFailure) -> Verdict {
    use crate::runner::compile::{How, Stage};
    let refused = matches!(&prediction.trace.outcome, Outcome::CompileError(_)) && prediction.trace.events.is_empty();
    let rejected = match (&failure.stage, &failure.how) {
        (Stage::Build, How::Rejected { .. }) => true,
        (Stage::Import, _) => failure.output.trim_start().starts_with("SyntaxError"),
        _ => false,
    };
    if refused && rejected {
        Verdict::Agrees(prediction.trace.clone())
    } else {
        Verdict::Fails(Failure::Compile(Box::new(failure.clone())))
    }
}

impl Verdict {
    /// The failure, if the run failed.
    pub fn failure(self) -> Option<Failure> {
        match self {
            Verdict::Agrees(_) => None,
            Verdict::Fails(f) => Some(f),
        }
    }
}

impl Failure {
    /// Which kind of failure.
    pub fn kind(&self) -> FailureKind {
        match self {
            Failure::Divergence(_) => FailureKind::Divergence,
            Failure::Hang { .. } => FailureKind::Hang,
            Failure::Crash { .. } => FailureKind::Crash,
            Failure::Garbage { .. } => FailureKind::Garbage,
            Failure::Compile(_) => FailureKind::Compile,
        }
    }

    /// The signature of a divergence.
    pub fn signature(&self) -> Option<&Signature> {
        match self {
            Failure::Divergence(d) => Some(&d.signature),
            _ => None,
        }
    }

    /// Whether `other` fails the same way, the predicate shrinking keeps candidates by: the same
    /// root cause (rule and what differs) for a divergence, the same kind of interpreter failure (and exit status, for a
    /// crash) otherwise.
    pub fn same_as(&self, other: &Failure) -> bool {
        match (self, other) {
            (Failure::Divergence(a), Failure::Divergence(b)) => a.signature.root_cause() == b.signature.root_cause(),
            (Failure::Crash { status: a, .. }, Failure::Crash { status: b, .. }) => a == b,
            (Failure::Compile(a), Failure::Compile(b)) => a.same_as(b),
            (a, b) => a.kind() == b.kind(),
        }
    }

    /// A grouping key, one line: the divergence signature, or the kind of interpreter failure.
    pub fn key(&self) -> String {
        match self {
            Failure::Divergence(d) => d.signature.to_string(),
            Failure::Hang { .. } => "interpreter hang".to_string(),
            Failure::Crash { status, .. } => format!("interpreter crash ({status})"),
            Failure::Garbage { .. } => "interpreter answered garbage".to_string(),
            Failure::Compile(b) => b.key(),
        }
    }

    /// The diff, or what the interpreter left behind: what a `.diff` file holds.
    pub fn details(&self) -> String {
        match self {
            Failure::Divergence(d) => d.unified_diff(),
            Failure::Hang { stderr_tail } => format!("the interpreter hung\nstderr tail:\n{stderr_tail}"),
            Failure::Crash { status, stderr_tail } => {
                format!("the interpreter crashed: {status}\nstderr tail:\n{stderr_tail}")
            }
            Failure::Garbage { line, stderr_tail } => {
                format!("the interpreter answered: {line}\nstderr tail:\n{stderr_tail}")
            }
            Failure::Compile(b) => b.details(),
        }
    }
}

impl FailureKind {
    /// `divergence`, `hang`, `crash`, `garbage`.
    pub fn word(self) -> &'static str {
        match self {
            FailureKind::Divergence => "divergence",
            FailureKind::Hang => "hang",
            FailureKind::Crash => "crash",
            FailureKind::Garbage => "garbage",
            FailureKind::Compile => "compile",
        }
    }
}

/// A diff longer than this many lines on either side (after the common prefix and suffix) is
/// cut to this many, so that a flood of events costs linear time, not Myers' quadratic.
pub const MAX_DIFF_LINES: usize = 1000;

/// Lines of the diff are cut to this many bytes.
pub const MAX_DIFF_LINE_BYTES: usize = 1000;

/// Equal lines shown around the differing part of a long diff.
const LONG_DIFF_CONTEXT: usize = 20;

impl Divergence {
    /// The model's lines, as compared (without messages under [`Messages::Types`]).
    pub fn expected_lines(&self) -> Vec<String> {
        lines_of(&self.expected, self.messages)
    }

    /// The interpreter's lines, as compared.
    pub fn observed_lines(&self) -> Vec<String> {
        lines_of(&self.observed, self.messages)
    }

    /// A unified diff, `-` for what the model expects and `+` for what the interpreter did. The
    /// whole trace is context; a long one (more than [`MAX_DIFF_LINES`] differing lines on a
    /// side) is cut around the first difference, and says so. Lines are cut to
    /// [`MAX_DIFF_LINE_BYTES`].
    pub fn unified_diff(&self) -> String {
        let mut a = self.expected_lines();
        let mut b = self.observed_lines();
        for l in a.iter_mut().chain(b.iter_mut()) {
            clip_in_place(l, MAX_DIFF_LINE_BYTES);
        }
        let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
        let suffix = a[prefix..].iter().rev().zip(b[prefix..].iter().rev()).take_while(|(x, y)| x == y).count();
        let long = a.len() - prefix - suffix > MAX_DIFF_LINES || b.len() - prefix - suffix > MAX_DIFF_LINES;
        if !long {
            return unified(&a, &b, "");
        }
        // Only a window: some context, then at most MAX_DIFF_LINES of each side.
        let start = prefix.saturating_sub(LONG_DIFF_CONTEXT);
        let end_a = (prefix + MAX_DIFF_LINES).min(a.len());
        let end_b = (prefix + MAX_DIFF_LINES).min(b.len());
        let note = format!(
            "(long traces: lines {}.. shown, the first {} after the common part; expected has {} lines, observed {})\n",
            start + 1,
            MAX_DIFF_LINES,
            a.len(),
            b.len()
        );
        unified(&a[start..end_a], &b[start..end_b], &note)
    }
}

fn unified(a: &[String], b: &[String], note: &str) -> String {
    let mut x = a.join("\n");
    x.push('\n');
    let mut y = b.join("\n");
    y.push('\n');
    let diff = TextDiff::from_lines(&x, &y)
        .unified_diff()
        .context_radius(MAX_DIFF_LINES)
        .header("expected (model)", "observed (interpreter)")
        .to_string();
    format!("{note}{diff}")
}

fn lines_of(trace: &Trace, messages: Messages) -> Vec<String> {
    match messages {
        Messages::Exact => trace.lines(),
        Messages::Types => trace.without_messages().lines(),
    }
}

/// Cuts `text` to at most `max` bytes (on a character boundary), saying how much was cut.
pub fn clip(text: &str, max: usize) -> String {
    let mut s = text.to_string();
    clip_in_place(&mut s, max);
    s
}

fn clip_in_place(text: &mut String, max: usize) {
    if text.len() <= max {
        return;
    }
    let total = text.len();
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    text.push_str(&format!("… ({} more bytes)", total - cut));
}

/// One position of a trace: an event, an entry of the outcome, or past the end.
#[derive(Clone, Copy)]
enum Item<'a> {
    Event(&'a Event),
    Return(&'a str),
    CompileError(&'a str),
    Raise(&'a ExcDetail),
    Chain(&'a ExcDetail),
    End,
}

fn items(trace: &Trace) -> Vec<Item<'_>> {
    let mut res: Vec<Item<'_>> = trace.events.iter().map(Item::Event).collect();
    match &trace.outcome {
        Outcome::Returned(v) => res.push(Item::Return(v)),
        Outcome::CompileError(m) => res.push(Item::CompileError(m)),
        Outcome::Raised(chain) => {
            for (i, d) in chain.iter().enumerate() {
                res.push(if i == 0 { Item::Raise(d) } else { Item::Chain(d) });
            }
        }
    }
    res
}

impl Item<'_> {
    fn kind(self) -> Kind {
        match self {
            Item::Event(e) => Kind::of(e),
            Item::Return(_) => Kind::Return,
            Item::CompileError(_) => Kind::CompileError,
            Item::Raise(_) => Kind::Raise,
            Item::Chain(_) => Kind::Chain,
            Item::End => Kind::End,
        }
    }

    /// Which event this is, apart from what it shows: its kind and labels. Two items with the
    /// same subject are the same event; what differs between them is a field.
    fn same_subject(self, other: Item<'_>) -> bool {
        match (self, other) {
            (Item::Event(a), Item::Event(b)) => match (a, b) {
                (Event::Init { mgr: x }, Event::Init { mgr: y }) => x == y,
                (Event::Enter { mgr: x, is_async: p, .. }, Event::Enter { mgr: y, is_async: q, .. })
                | (Event::Exit { mgr: x, is_async: p, .. }, Event::Exit { mgr: y, is_async: q, .. })
                | (Event::Call { label: x, is_async: p, .. }, Event::Call { label: y, is_async: q, .. })
                | (Event::Callback { label: x, is_async: p, .. }, Event::Callback { label: y, is_async: q, .. }) => {
                    x == y && p == q
                }
                (Event::InstanceMethod { mgr: x, method: m }, Event::InstanceMethod { mgr: y, method: n })
                | (Event::Get { mgr: x, method: m }, Event::Get { mgr: y, method: n })
                | (Event::Store { label: x, key: m, .. }, Event::Store { label: y, key: n, .. }) => x == y && m == n,
                (Event::Bool { label: x }, Event::Bool { label: y })
                | (Event::Len { label: x }, Event::Len { label: y })
                | (Event::Close { label: x }, Event::Close { label: y })
                | (Event::Await { label: x }, Event::Await { label: y })
                | (Event::Suspend { label: x }, Event::Suspend { label: y })
                | (Event::GenYield { label: x, .. }, Event::GenYield { label: y, .. })
                | (Event::GenEnd { label: x }, Event::GenEnd { label: y })
                | (Event::GenClosed { label: x, .. }, Event::GenClosed { label: y, .. })
                | (Event::GenCleanup { label: x, .. }, Event::GenCleanup { label: y, .. })
                | (Event::Log { label: x, .. }, Event::Log { label: y, .. })
                | (Event::Var { name: x, .. }, Event::Var { name: y, .. })
                | (Event::Ret { label: x }, Event::Ret { label: y })
                | (Event::Handler { label: x, .. }, Event::Handler { label: y, .. })
                | (Event::Finally { label: x, .. }, Event::Finally { label: y, .. }) => x == y,
                (Event::Leaked { .. }, Event::Leaked { .. }) => true,
                _ => false,
            },
            (a, b) => a.kind() == b.kind(),
        }
    }

    /// The subject, masked, for the detail of a presence or order difference: `MN.__exit__`,
    /// `log`, `=> raise TypeError`, `(end)`.
    fn subject(self) -> String {
        let a = |is_async: bool| if is_async { "a" } else { "" };
        let text = match self {
            Item::Event(e) => match e {
                Event::Init { mgr } => format!("{mgr}.__init__"),
                Event::Enter { mgr, is_async, .. } => format!("{mgr}.__{}enter__", a(*is_async)),
                Event::Exit { mgr, is_async, .. } => format!("{mgr}.__{}exit__", a(*is_async)),
                Event::Call { is_async, .. } => format!("{}call", a(*is_async)),
                Event::Callback { is_async, .. } => format!("{}callback", a(*is_async)),
                Event::InstanceMethod { mgr, method } => format!("{mgr} instance attribute {method}"),
                Event::Get { mgr, method } => format!("get {mgr}.{method}"),
                Event::Bool { .. } => "__bool__".to_string(),
                Event::Len { .. } => "__len__".to_string(),
                Event::Close { .. } => "close()".to_string(),
                Event::Await { .. } => "await".to_string(),
                Event::Suspend { .. } => "suspend".to_string(),
                Event::GenYield { .. } => "got".to_string(),
                Event::GenEnd { .. } => "exhausted".to_string(),
                Event::GenClosed { .. } => "closed".to_string(),
                Event::GenCleanup { .. } => "cleanup close raised".to_string(),
                Event::Log { .. } => "log".to_string(),
                Event::Var { .. } => "var".to_string(),
                Event::Store { label, key, .. } => format!("store {label}{key}"),
                Event::Ret { .. } => "evaluate return value".to_string(),
                Event::Handler { .. } => "except".to_string(),
                Event::Finally { .. } => "finally".to_string(),
                Event::Leaked { .. } => "after main".to_string(),
            },
            Item::Return(_) => "=> return".to_string(),
            Item::CompileError(_) => "=> compile error".to_string(),
            Item::Raise(d) => format!("=> raise {}", d.exc.ty),
            Item::Chain(d) => format!("chain {}", d.exc.ty),
            Item::End => "(end)".to_string(),
        };
        mask(&clip(&text, 80))
    }
}

/// Whose rules explain a difference.
#[derive(Clone, Copy)]
enum Source {
    /// None: an event the interpreter added, which no rule of the model produced.
    Nothing,
    /// The rule that produced the expected event (or outcome) at the position: the last one
    /// applied before it.
    Position,
    /// The rule that decided what the expected event shows: the first one applied after the
    /// event before it (a suppression that leaves the next `__exit__` without an exception, a
    /// result taken as true or false).
    Consequence,
    /// What `sys.exc_info()` shows inside the expected event: the frames a `throw()` or `close()`
    /// set aside, when the model applied that rule as it took the value
    /// ([`Rule::YieldFromUnlinked`]); else as [`Source::Position`].
    ExcInfo,
    /// The rule that created exception `#n`.
    Created(u32),
    /// The rule that gave `#n` the context the model expected there (its number; `None` for no
    /// context).
    Context(u32, Option<u32>),
    /// The rule that set the cause of `#n`.
    Cause(u32),
}

/// A difference in a field of two items of the same subject.
struct FieldDiff {
    differs: Differs,
    detail: String,
    source: Source,
    /// The expected and observed message, for a type or message difference.
    messages: Option<(String, String)>,
}

/// Compares two items of the same subject field by field, in printed order.
fn field_diff(e: Item<'_>, o: Item<'_>, messages: Messages) -> Option<FieldDiff> {
    match (e, o) {
        (Item::Event(x), Item::Event(y)) => event_diff(x, y, messages),
        (Item::Return(x), Item::Return(y)) => value_diff("return value", x, y),
        (Item::CompileError(x), Item::CompileError(y)) => (x != y).then(|| FieldDiff {
            differs: Differs::Message,
            detail: format!("compile error: {} vs {}", show_text(x), show_text(y)),
            source: Source::Position,
            messages: Some((clip(x, MAX_MESSAGE_BYTES), clip(y, MAX_MESSAGE_BYTES))),
        }),
        (Item::Raise(x), Item::Raise(y)) | (Item::Chain(x), Item::Chain(y)) => detail_diff(x, y, messages),
        _ => None,
    }
}

fn event_diff(e: &Event, o: &Event, messages: Messages) -> Option<FieldDiff> {
    let info = |x: &Option<ExcRef>, y: &Option<ExcRef>| opt_exc_diff("exc_info", x, y, messages);
    match (e, o) {
        (Event::Enter { info: x, .. }, Event::Enter { info: y, .. })
        | (Event::Log { info: x, .. }, Event::Log { info: y, .. })
        | (Event::Finally { info: x, .. }, Event::Finally { info: y, .. })
        | (Event::Callback { info: x, .. }, Event::Callback { info: y, .. }) => info(x, y),
        (
            Event::Exit { exc: x, consistent: cx, info: ix, .. },
            Event::Exit { exc: y, consistent: cy, info: iy, .. },
        )
        | (
            Event::Call { exc: x, consistent: cx, info: ix, .. },
            Event::Call { exc: y, consistent: cy, info: iy, .. },
        ) => opt_exc_diff("exc", x, y, messages)
            .or_else(|| {
                (cx != cy).then(|| FieldDiff {
                    differs: Differs::Value,
                    detail: format!("args consistent: {cx} vs {cy}"),
                    source: Source::Consequence,
                    messages: None,
                })
            })
            .or_else(|| info(ix, iy)),
        (Event::GenYield { value: x, .. }, Event::GenYield { value: y, .. })
        | (Event::Var { value: x, .. }, Event::Var { value: y, .. })
        | (Event::Store { value: x, .. }, Event::Store { value: y, .. }) => value_diff("value", x, y),
        (Event::GenClosed { value: x, .. }, Event::GenClosed { value: y, .. }) => {
            let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "None".to_string());
            value_diff("close() returned", &shown(x), &shown(y))
        }
        (Event::GenCleanup { exc: x, .. }, Event::GenCleanup { exc: y, .. }) => exc_diff("exc", x, y, messages),
        (Event::Handler { exc: x, .. }, Event::Handler { exc: y, .. }) => detail_diff(x, y, messages),
        _ => None,
    }
}

fn value_diff(field: &str, x: &str, y: &str) -> Option<FieldDiff> {
    (x != y).then(|| FieldDiff {
        differs: Differs::Value,
        detail: format!("{field}: {} vs {}", mask(&clip(x, 60)), mask(&clip(y, 60))),
        source: Source::Consequence,
        messages: None,
    })
}

fn opt_exc_diff(field: &str, x: &Option<ExcRef>, y: &Option<ExcRef>, messages: Messages) -> Option<FieldDiff> {
    match (x, y) {
        (None, None) => None,
        (Some(x), Some(y)) => exc_diff(field, x, y, messages),
        _ => Some(FieldDiff {
            differs: Differs::Value,
            detail: format!("{field}: {} vs {}", short(x.as_ref()), short(y.as_ref())),
            source: value_source(field),
            messages: None,
        }),
    }
}

/// Whose rule explains a differing value or identity in `field`: what `sys.exc_info()` shows
/// inside an event is the state the rules that produced the event left (the last one); which
/// exception an `__exit__` receives, or a value, what the rules after the event before decided
/// (the first one: a suppression, a result taken as true or false).
fn value_source(field: &str) -> Source {
    if field == "exc_info" {
        Source::ExcInfo
    } else {
        Source::Consequence
    }
}

/// Type, then message, then identity: the printed order of `Type("message")#n`.
fn exc_diff(field: &str, x: &ExcRef, y: &ExcRef, messages: Messages) -> Option<FieldDiff> {
    let texts = || {
        let t = |r: &ExcRef| clip(r.msg.as_deref().unwrap_or(""), MAX_MESSAGE_BYTES);
        Some((t(x), t(y)))
    };
    if x.ty != y.ty {
        return Some(FieldDiff {
            differs: Differs::Type,
            detail: format!("{field} type: {} vs {}", mask(&x.ty), mask(&y.ty)),
            source: Source::Created(x.id),
            messages: texts(),
        });
    }
    if messages == Messages::Exact && x.msg != y.msg {
        let m = |r: &ExcRef| r.msg.as_deref().map_or_else(|| "-".to_string(), show_text);
        return Some(FieldDiff {
            differs: Differs::Message,
            detail: format!("{field} message of {}: {} vs {}", mask(&x.ty), m(x), m(y)),
            source: Source::Created(x.id),
            messages: texts(),
        });
    }
    (x.id != y.id).then(|| FieldDiff {
        differs: Differs::Identity,
        detail: format!("{field} identity of {}", mask(&x.ty)),
        source: value_source(field),
        messages: None,
    })
}

fn detail_diff(x: &ExcDetail, y: &ExcDetail, messages: Messages) -> Option<FieldDiff> {
    if let Some(d) = exc_diff("exc", &x.exc, &y.exc, messages) {
        return Some(d);
    }
    let link = |a: &Option<ExcRef>, b: &Option<ExcRef>| match (a, b) {
        (Some(a), Some(b)) => a.ty != b.ty || a.id != b.id,
        (a, b) => a.is_some() != b.is_some(),
    };
    let n = x.exc.id;
    if link(&x.context, &y.context) {
        return Some(FieldDiff {
            differs: Differs::Context,
            detail: format!(
                "context of {}: {} vs {}",
                mask(&x.exc.ty),
                short(x.context.as_ref()),
                short(y.context.as_ref())
            ),
            source: Source::Context(n, x.context.as_ref().map(|c| c.id)),
            messages: None,
        });
    }
    if link(&x.cause, &y.cause) {
        return Some(FieldDiff {
            differs: Differs::Cause,
            detail: format!("cause of {}: {} vs {}", mask(&x.exc.ty), short(x.cause.as_ref()), short(y.cause.as_ref())),
            source: Source::Cause(n),
            messages: None,
        });
    }
    if x.suppress_context != y.suppress_context {
        return Some(FieldDiff {
            differs: Differs::SuppressContext,
            detail: format!(
                "suppress_context of {}: {} vs {}",
                mask(&x.exc.ty),
                x.suppress_context,
                y.suppress_context
            ),
            source: Source::Cause(n),
            messages: None,
        });
    }
    leaves_diff(x, y, messages)
}

/// What two exception groups hold (`e.exceptions`): how many, then each in order.
fn leaves_diff(x: &ExcDetail, y: &ExcDetail, messages: Messages) -> Option<FieldDiff> {
    if x.leaves.len() != y.leaves.len() {
        return Some(FieldDiff {
            differs: Differs::Value,
            detail: format!("exceptions of {}: {} vs {}", mask(&x.exc.ty), x.leaves.len(), y.leaves.len()),
            source: Source::Created(x.exc.id),
            messages: None,
        });
    }
    x.leaves.iter().zip(&y.leaves).find_map(|(a, b)| {
        exc_diff("exceptions", a, b, messages).map(|mut d| {
            d.source = Source::Created(x.exc.id);
            d
        })
    })
}

/// `TypeError` or `-`, masked.
fn short(x: Option<&ExcRef>) -> String {
    x.map_or_else(|| "-".to_string(), |r| mask(&r.ty))
}

/// A message in quotes, digits masked, cut to 200 bytes.
fn show_text(text: &str) -> String {
    format!("{:?}", mask(&clip(text, 200)))
}

/// Masks what varies between instances of one bug: every run of digits becomes `N`.
fn mask(text: &str) -> String {
    let mut res = String::with_capacity(text.len());
    let mut digits = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !digits {
                res.push('N');
            }
            digits = true;
        } else {
            digits = false;
            res.push(c);
        }
    }
    res
}

fn at<'a>(v: &[Item<'a>], i: usize) -> Item<'a> {
    v.get(i).copied().unwrap_or(Item::End)
}

/// Where `expected` and `observed` first differ, and how; `None` if they agree. One linear pass
/// (and one more over the rest of both traces to tell order from presence).
pub fn signature(prediction: &Prediction, observed: &Trace, messages: Messages) -> Option<Signature> {
    let e = items(&prediction.trace);
    let o = items(observed);
    let mut i = 0;
    let (x, y, diff) = loop {
        let (x, y) = (at(&e, i), at(&o, i));
        if matches!((x, y), (Item::End, Item::End)) {
            return None;
        }
        if !x.same_subject(y) {
            break (x, y, None);
        }
        if let Some(d) = field_diff(x, y, messages) {
            break (x, y, Some(d));
        }
        i += 1;
    };
    if let (None, Item::Event(Event::Leaked { .. })) = (&diff, y) {
        // An exception left in hand after main: the interpreter's bug whatever the model expected
        // there (the end of the events, or a `log` the leaked state no longer lets it reach).
        let detail = format!("observed {}", y.subject());
        return Some(Signature {
            position: i,
            kind: Kind::Leaked,
            differs: Differs::Presence,
            rule: None,
            detail,
            messages: None,
            raised: None,
            missing: None,
        });
    }
    let raised = own_exception(&prediction.trace, y, messages);
    let provenance = &prediction.provenance;
    let events = prediction.trace.events.len();
    let (differs, detail, source, messages) = match diff {
        Some(d) => (d.differs, d.detail, d.source, d.messages),
        None => {
            let later = |v: &[Item<'_>], it: Item<'_>| v.iter().skip(i + 1).any(|z| z.same_subject(it));
            let both = !matches!(x, Item::End) && !matches!(y, Item::End);
            let (differs, source) = if both && later(&o, x) && later(&e, y) {
                (Differs::Order, Source::Position)
            } else if both && later(&o, x) {
                // The interpreter did something more before the expected event: no rule of the
                // model produced it, and the rules before it are not why it is there.
                (Differs::Presence, Source::Nothing)
            } else {
                (Differs::Presence, Source::Position)
            };
            (
                differs,
                format!("expected {} | observed {}", x.subject(), y.subject()),
                source,
                messages_about(x, y, messages),
            )
        }
    };
    let by_provenance = rule_for(provenance, i, events, x, source);
    let missing = left_out(prediction, observed, x, differs, source, by_provenance);
    let rule = by_provenance.or_else(|| added_event_rule(differs, y));
    // An exception only one rule raises, where the model raises none like it: the interpreter
    // applied that rule where CPython does not, whatever the model expected instead.
    let (rule, differs, messages) = match extra_rule(x, y) {
        Some((r, message)) => {
            let expected = messages.map(|(e, _)| e).unwrap_or_default();
            (Some(r), Differs::Presence, Some((expected, clip(&message, MAX_MESSAGE_BYTES))))
        }
        None => (rule, differs, messages),
    };
    Some(Signature { position: i, kind: x.kind(), differs, rule, detail, messages, raised, missing })
}

/// [`Signature::missing`]: for an expected item `x` that is not there (`Presence` by its
/// position, or after something the interpreter did first where `x` is about an exception a rule
/// made) or whose exception `#n` has another type, the rule that made that exception and its
/// type, else the rule that produced the item, or decided its value where that differs
/// (`by_provenance`, what [`rule_for`] named), and its subject.
fn left_out(
    prediction: &Prediction,
    observed: &Trace,
    x: Item<'_>,
    differs: Differs,
    source: Source,
    by_provenance: Option<Rule>,
) -> Option<(Rule, String)> {
    let made = |e: &ExcRef| Some((prediction.provenance.exception(e.id).created?, mask(&e.ty)));
    match (differs, source) {
        // The interpreter did more before the expected item: where that item is about an
        // exception a rule made, that exception is not there (PyPy's throw() raises the TypeError
        // of a bad argument in the caller, not at the await). Of an outcome, the exception of its
        // chain that the interpreter shows nowhere, if one is: PyPy's exit stack binds a None
        // `__exit__` where CPython raises "first argument must be callable" and goes on, so the
        // outcome CPython ends with is the TypeError an enclosing `with` raises on top of it.
        (Differs::Presence, Source::Nothing) => {
            let about = if matches!(x, Item::Raise(_)) { prediction.trace.outcome_refs() } else { refs_about(x) };
            let shown = observed.exc_refs();
            let nowhere = about
                .iter()
                .filter(|e| made(e).is_some())
                .find(|e| !shown.iter().any(|o| o.ty == e.ty && o.msg == e.msg));
            made(nowhere.or(about.first())?)
        }
        // The exception may be one an item links to as a context: looked up in the whole trace.
        (Differs::Type, Source::Created(n)) => made(&prediction.trace.exc_refs().into_iter().find(|e| e.id == n)?),
        (Differs::Presence, Source::Position) => {
            refs_about(x).first().and_then(made).or_else(|| Some((by_provenance?, x.subject())))
        }
        // An item shown with another value than the rule that decided it gives: the item the
        // model expected is not there either (PyPy's finished `athrow()` raises the StopIteration
        // it is given, which ends the await with a value, where CPython's gives None).
        (Differs::Value, Source::Consequence) => Some((by_provenance?, x.subject())),
        _ => None,
    }
}

/// The messages of the first exceptions that two items in place of each other are about, when
/// either is about one (an empty message for the other) and messages are compared: what an
/// entry's `expected-message` and `message` read where an event is missing or extra
/// (RustPython's `__aexit__` returning False where CPython's raises "generator didn't stop after
/// athrow()").
fn messages_about(x: Item<'_>, y: Item<'_>, messages: Messages) -> Option<(String, String)> {
    if messages == Messages::Types {
        return None;
    }
    let about = |it: Item<'_>| refs_about(it).into_iter().next().and_then(|e| e.msg);
    match (about(x), about(y)) {
        (None, None) => None,
        (a, b) => {
            Some((clip(&a.unwrap_or_default(), MAX_MESSAGE_BYTES), clip(&b.unwrap_or_default(), MAX_MESSAGE_BYTES)))
        }
    }
}

/// The first exception the observed item `y` is about that is the interpreter's own (see
/// [`Signature::raised`]), as `Type: message` with digits masked.
fn own_exception(expected: &Trace, y: Item<'_>, messages: Messages) -> Option<String> {
    if messages == Messages::Types {
        return None;
    }
    let modelled: Vec<(String, String)> =
        expected.exc_refs().into_iter().filter_map(|e| Some((e.ty, e.msg?))).collect();
    refs_about(y)
        .into_iter()
        .filter_map(|e| Some((e.ty, e.msg?)))
        .find(|e| !modelled.contains(e) && interpreters_own(&e.0, &e.1))
        .map(|(ty, m)| format!("{ty}: {}", mask(&clip(&m, 200))))
}

/// The exceptions an item is about (an event's, an outcome's), without those they link to as
/// context or cause: a link is the difference of the exception that has it.
fn refs_about(item: Item<'_>) -> Vec<ExcRef> {
    let mut res = Vec::new();
    let mut note = |e: &mut ExcRef| res.push(e.clone());
    let unlinked = |d: &ExcDetail| ExcDetail { context: None, cause: None, ..d.clone() };
    match item {
        Item::Raise(d) | Item::Chain(d) => unlinked(d).for_each_exc_ref(&mut note),
        Item::Event(Event::Handler { exc, .. }) => unlinked(exc).for_each_exc_ref(&mut note),
        Item::Event(ev) => ev.clone().for_each_exc_ref(&mut note),
        _ => {}
    }
    res
}

/// Whether an exception of type `ty` with message `message` can only have been made by the
/// interpreter: a type the program does not define, a message neither empty nor one of the
/// program's labels (`r3`; `'c1'` as a KeyError shows it; `g1 (2 sub-exceptions)`).
fn interpreters_own(ty: &str, message: &str) -> bool {
    let programs = |name: &str| crate::ir::ExcClass::from_name(name).is_some_and(|c| c.user_defined());
    // A group's message is its label and a count: `g1 (2 sub-exceptions)`.
    let label = |m: &str| {
        let m = m.split(' ').next().unwrap_or("").trim_matches('\'');
        let letters = m.trim_end_matches(|c: char| c.is_ascii_digit());
        !letters.is_empty() && letters.len() < m.len() && letters.chars().all(|c| c.is_ascii_lowercase())
    };
    !programs(ty) && !message.is_empty() && !label(message)
}

/// The rule behind an event the interpreter added, when only one rule of the model produces
/// events of its kind: a descriptor's getter that runs where CPython runs none (an implementation
/// that looks `__exit__` up first, or calls a getter to word a hint) is the lookup's rule.
fn added_event_rule(differs: Differs, y: Item<'_>) -> Option<Rule> {
    match (differs, y) {
        (Differs::Presence, Item::Event(Event::Get { .. })) => Some(Rule::DescriptorGet),
        _ => None,
    }
}

/// The rule whose own exception the observed item `y` shows and the expected `x` does not (see
/// [`crate::model::rule_raising`]: by the message's template, so that a wrong variant of the
/// model's own message there stays a message difference), with that exception's message. Only
/// the exceptions an item is about, not those it links to as context or cause: PyPy's PEP 479
/// RuntimeError, handled, then linked as the context of an exception thrown later, is a
/// difference of that link, not PEP 479 applied where CPython does not apply it.
fn extra_rule(x: Item<'_>, y: Item<'_>) -> Option<(Rule, String)> {
    let at_x: Vec<_> = refs_about(x).iter().filter_map(rule_raising).collect();
    refs_about(y)
        .iter()
        .filter_map(rule_raising)
        .find(|(_, template, _)| !at_x.iter().any(|(_, t, _)| t == template))
        .map(|(r, _, m)| (r, m))
}

/// The rule whose own exception `e` is, the message's template and the message.
fn rule_raising(e: &ExcRef) -> Option<(Rule, &'static str, String)> {
    let m = e.msg.as_ref()?;
    crate::model::rule_raising(&e.ty, m).map(|(r, template)| (r, template, m.clone()))
}

/// The rule behind a difference at position `i` (of a trace with `events` events): for a type or
/// message, the rule that created the exception; for a context or cause, the rule that set it;
/// for a value or an identity, the rule [`value_source`] names; otherwise, and when those name none, the rule that produced the expected
/// event at `i`; none for an event the interpreter added.
fn rule_for(p: &Provenance, i: usize, events: usize, item: Item<'_>, source: Source) -> Option<Rule> {
    let specific = match source {
        Source::Nothing => return None,
        Source::Position => None,
        Source::ExcInfo => {
            let rules = if i < events { p.event_rules(i) } else { p.outcome_rules() };
            rules.last().copied().filter(|&r| r == Rule::YieldFromUnlinked)
        }
        Source::Consequence => return consequence_rule(p, i, events),
        Source::Created(n) => p.exception(n).created,
        // No rule gave the exception a context where the interpreter has one: the item's rule,
        // not none. A model that fails to chain (a mutation that drops the chaining of a
        // `__bool__` error) would otherwise show as `no-rule: context`, which known files use for
        // links an interpreter adds, and pass as a known difference.
        Source::Context(n, context) => p.context_rule(n, context),
        Source::Cause(n) => p.exception(n).cause,
    };
    specific.or_else(|| position_rule(p, i, events, item))
}

/// The first rule applied after the event before `i` (after the last event, for the outcome).
fn consequence_rule(p: &Provenance, i: usize, events: usize) -> Option<Rule> {
    let span = if i < events { p.event_rules(i) } else { p.outcome_rules() };
    span.first().copied()
}

/// The rule behind the expected item at `i`: the last rule applied before it (since the event
/// before); for the outcome, the last applied after the last event, or the one that made the
/// exception raised. None when no rule decided the item (a `log` in straight-line code): the
/// rules of earlier events are not why it is there, and a shrink would have to keep them.
///
/// Rules that only chain ([`CHAINS_ONLY`]) are passed over: they set what an exception carries,
/// never whether an item is there, so a difference in presence or order is not theirs (PyPy's
/// finished `athrow()` showed as implicit-chaining because the missing RuntimeError had a context).
/// A rule that reacts to the one before it ([`REACTIONS`]) hands the item to that one.
fn position_rule(p: &Provenance, i: usize, events: usize, item: Item<'_>) -> Option<Rule> {
    let deciding = |rules: &[Rule]| {
        let mut back = rules.iter().rev().filter(|r| !CHAINS_ONLY.contains(r)).copied();
        let last = back.next()?;
        Some(if REACTIONS.contains(&last) { back.next().unwrap_or(last) } else { last })
    };
    if i < events {
        return deciding(p.event_rules(i));
    }
    let created = match item {
        Item::Raise(d) | Item::Chain(d) => p.exception(d.exc.id).created,
        _ => None,
    };
    deciding(p.outcome_rules()).or(created)
}

/// Rules that decide only an exception's chain (its `__context__`) or what `sys.exc_info()`
/// shows; a context difference still names them, through the exception's provenance, and an
/// `exc_info` one through [`Source::ExcInfo`].
const CHAINS_ONLY: &[Rule] = &[Rule::ImplicitChaining, Rule::YieldFromUnlinked];

/// Rules that react to what the rule applied just before them in the same step did: contextlib's
/// "generator didn't stop after athrow()" is raised because the `athrow()` it awaited finished at
/// once, so where an item of theirs is missing, the rule before them is why (PyPy's `athrow()` on
/// a finished generator raises, and `@asynccontextmanager` never gets to say it did not stop).
/// Alone in their step (the generator ran and yielded again), they are the item's rule.
const REACTIONS: &[Rule] = &[Rule::AcmDidntStopAfterAthrow, Rule::CmDidntStopAfterThrow];

#[cfg(test)]
mod tests;
