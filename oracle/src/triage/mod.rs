//! Triage: which bug a failure is, and whether it is a known difference of the implementation.
//!
//! A campaign against another Python finds the same few bugs hundreds of times, each shown in
//! many ways. Triage turns the verdict's typed [`Signature`] into a root cause ([`Cause`]): the
//! rule of the model behind the first difference and what differs there. Two things make one bug
//! one root cause:
//!
//! - **The kind of event is not part of it.** One wrong message shows in a handler, an `__exit__`,
//!   a `finally` or the outcome alike; the kind stays in the signature, the finer level.
//! - **Rules that one mechanism carries out are one [`Family`]**: the error of a failed protocol
//!   lookup is one message template whether the manager lacks `__enter__`, `__exit__` or both,
//!   in `with` or `async with`. A rule outside every family is its own culprit.
//!
//! Interpreter failures are root causes of their own kind: a hang, a crash (by exit status or
//! signal), a garbage answer.
//!
//! A campaign then [`join`]s its new root causes that most findings show as the same first
//! difference: one bug whose first difference falls in different places.
//!
//! Then [`known`]: a failure that a known-differences entry of the implementation describes is
//! attributed to that entry. A campaign groups findings by [`Class`] (root cause and known entry,
//! if any), shrinks the first of each class, and fails only for classes no entry describes.
//!
//! Pure: the caller reads the known files and hands over the text; nothing here does I/O.

pub mod join;
pub mod known;

use std::collections::BTreeMap;
use std::fmt;

use crate::model::Rule;
use crate::runner::InterpreterInfo;
use crate::trace::Trace;
use crate::verdict::{clip, Differs, Failure, FailureKind, Kind, Messages, Signature};

pub use known::{Entry, KnownError, KnownFile};

/// Rules that one mechanism of an implementation carries out, so that a bug in that mechanism
/// shows under any of them. A family is added when campaigns show one bug spread over several
/// rules, and only when the rules share the code that has it (a message template, a conversion).
#[derive(Debug)]
pub struct Family {
    /// The culprit's name in reports and known files: `missing-protocol`.
    pub name: &'static str,
    /// Its rules.
    pub rules: &'static [Rule],
    /// Why they are one mechanism.
    pub why: &'static str,
}

/// Every family. A rule is in at most one.
pub const FAMILIES: &[Family] = &[
    Family {
        name: "missing-protocol",
        rules: &[
            Rule::LacksBoth,
            Rule::LacksEnter,
            Rule::LacksExit,
            Rule::NotAManager,
            Rule::AsyncLacksBoth,
            Rule::AsyncLacksEnter,
            Rule::AsyncLacksExit,
            Rule::WrongStatementForManager,
        ],
        why: "the error of a failed protocol lookup on the manager's type, in `with` and `async with`: \
              one lookup and one message template in CPython (`ceval`'s special-method lookup: \
              AttributeError naming the method before 3.11, `'%T' object does not support the \
              (asynchronous) context manager protocol` after) and in the implementations",
    },
    Family {
        name: "not-awaitable",
        rules: &[Rule::AsyncEnterNotAwaitable, Rule::AsyncExitNotAwaitable, Rule::AwaitNotAwaitable],
        why: "awaiting an object without `__await__`, whether `async with` awaits what `__aenter__` or \
              `__aexit__` returned or contextlib awaits: one check and one message \
              (`_PyCoro_GetAwaitableIter`, `format_awaitable_error`)",
    },
    Family {
        name: "pep-479",
        rules: &[Rule::GeneratorStopIteration, Rule::CoroutineStopIteration, Rule::AsyncGeneratorStopIteration],
        why: "a StopIteration (or StopAsyncIteration) leaving a generator, coroutine or async generator \
              frame becomes a RuntimeError chained to it: one conversion at the end of a frame \
              (`_PyGen_SetStopIterationValue`'s counterpart in `gen_send_ex`)",
    },
    Family {
        name: "awaitable-reused",
        rules: &[Rule::AsyncGenAwaitableReused, Rule::AsyncGenAwaitableThrowReused],
        why: "an async generator's `asend()` / `athrow()` / `aclose()` awaitable used once it is closed, \
              awaited again or thrown into by hand: one state check and one message in CPython \
              (`AWAITABLE_STATE_CLOSED`: \"cannot reuse already awaited ...\" in the awaitables' `send` \
              and `throw`)",
    },
    Family {
        name: "awaitable-throw",
        rules: &[Rule::AsyncGenAwaitableThrow, Rule::AsyncGenAcloseThrow, Rule::AsyncGenAwaitableThrowAgain],
        why: "throwing into an async generator's `__anext__()`, `asend()`, `athrow()` or `aclose()` \
              awaitable by hand, once or again: the awaitables' own `throw` method, which passes the \
              exception into the generator and reads what comes out as `await` would \
              (`async_gen_asend_throw`, `async_gen_athrow_throw`); an implementation without it \
              fails under all three (PyPy's \"can't do async_generator.athrow().throw()\")",
    },
    Family {
        name: "group-split",
        rules: &[
            Rule::ExceptStarSplits,
            Rule::ExceptStarUnmatchedCopied,
            Rule::ExceptStarReraises,
            Rule::SuppressSplitsGroup,
        ],
        why: "the parts of an exception group that `split()` makes, whether `except*` splits it, hands \
              the rest on, re-raises what its handlers let through, or `suppress` splits it: one \
              function makes each part (`exceptiongroup_subset`: `derive()`, then the original's \
              `__context__`, `__cause__` with its `__suppress_context__`, `__traceback__` and notes \
              copied over); RustPython's parts lack `__suppress_context__` under all four",
    },
];

/// The name of [`Culprit::Leaked`].
pub(crate) const LEAKED: &str = "exc-info-leaked";

/// What a root cause is attributed to: a family of rules, a rule in no family, or no rule (an
/// event the interpreter added, or one no rule decided).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Culprit {
    /// A family of [`FAMILIES`], by index.
    Family(usize),
    /// A rule in no family.
    Rule(Rule),
    /// No rule.
    NoRule,
    /// An exception still in hand after `main()` ([`crate::trace::Event::Leaked`]): no rule of
    /// the model makes one, and it is one bug (a handler that does not restore the exception
    /// state it found) whatever the program did before.
    Leaked,
}

impl Culprit {
    /// The culprit of a difference the verdict attributed to `rule`.
    pub fn of(rule: Option<Rule>) -> Culprit {
        match rule {
            None => Culprit::NoRule,
            Some(r) => match FAMILIES.iter().position(|f| f.rules.contains(&r)) {
                Some(i) => Culprit::Family(i),
                None => Culprit::Rule(r),
            },
        }
    }

    /// The culprit of a divergence with this signature.
    pub fn of_signature(sig: &Signature) -> Culprit {
        if sig.kind == Kind::Leaked {
            Culprit::Leaked
        } else {
            Culprit::of(sig.rule)
        }
    }

    /// `missing-protocol`, `raise-none`, `no-rule`, `exc-info-leaked`.
    pub fn name(self) -> String {
        match self {
            Culprit::Family(i) => FAMILIES[i].name.to_string(),
            Culprit::Rule(r) => r.name(),
            Culprit::NoRule => "no-rule".to_string(),
            Culprit::Leaked => LEAKED.to_string(),
        }
    }

    /// A culprit by its [`Culprit::name`], or by the name of any rule (a rule in a family names
    /// its family).
    pub fn named(name: &str) -> Option<Culprit> {
        if name == "no-rule" {
            return Some(Culprit::NoRule);
        }
        if name == LEAKED {
            return Some(Culprit::Leaked);
        }
        if let Some(i) = FAMILIES.iter().position(|f| f.name == name) {
            return Some(Culprit::Family(i));
        }
        crate::corpus::format::rule_from_name(name).map(|r| Culprit::of(Some(r)))
    }

    /// The rules it stands for (none for [`Culprit::NoRule`]).
    pub fn rules(self) -> Vec<Rule> {
        match self {
            Culprit::Family(i) => FAMILIES[i].rules.to_vec(),
            Culprit::Rule(r) => vec![r],
            Culprit::NoRule | Culprit::Leaked => Vec::new(),
        }
    }
}

/// A root cause: what a person reading the diffs would call one bug.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cause {
    /// The traces differ: who is behind the first difference, and what differs there.
    Divergence {
        /// The rule or family.
        culprit: Culprit,
        /// What differs.
        differs: Differs,
    },
    /// The interpreter hung.
    Hang,
    /// The interpreter died this way (`killed by signal 11`, `exit status 3`).
    Crash {
        /// How.
        status: String,
    },
    /// The interpreter answered something that is not a trace.
    Garbage,
    /// A compiler did not build the program, or its module did not import (`--compile`): the
    /// failure's grouping key (`compile: mypyc 2.4.1 crashes (exit status 2): KeyError: ...`).
    Compile {
        /// The key.
        key: String,
    },
}

impl fmt::Display for Cause {
    /// `missing-protocol: message`, `interpreter hang`, `interpreter crash (killed by signal 11)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Divergence { culprit, differs } => write!(f, "{}: {differs}", culprit.name()),
            Cause::Hang => f.write_str("interpreter hang"),
            Cause::Crash { status } => write!(f, "interpreter crash ({status})"),
            Cause::Garbage => f.write_str("interpreter garbage"),
            Cause::Compile { key } => f.write_str(key),
        }
    }
}

/// How much of an interpreter's stderr triage reads (its end), so that a finding read back from a
/// report is triaged as it was in the run.
pub const MAX_FACT_TEXT_BYTES: usize = 2000;

/// What triage reads of a failure: enough to classify it again from a report on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// Which kind of failure.
    pub failure: FailureKind,
    /// A divergence's signature.
    pub signature: Option<Signature>,
    /// A crash's status.
    pub status: Option<String>,
    /// What an interpreter failure left: the status or the answer (cut to 200 bytes), then the
    /// end of stderr (at most [`MAX_FACT_TEXT_BYTES`]). For a divergence, the exceptions the
    /// interpreter raised more of than the model's trace has (none, or fewer objects alike), one
    /// `Type: message` a line (at most [`MAX_FACT_TEXT_BYTES`]): what a known entry's `raised` reads.
    pub text: String,
    /// For a divergence, the exceptions the model's trace has more of than the interpreter raised,
    /// as `text` has them (what a known entry's `expected-raised` reads); empty otherwise.
    pub unraised: String,
}

impl Facts {
    /// The facts of a failure.
    pub fn of(failure: &Failure) -> Facts {
        let tail = |s: &str| {
            let mut start = s.len().saturating_sub(MAX_FACT_TEXT_BYTES);
            while !s.is_char_boundary(start) {
                start += 1;
            }
            s[start..].to_string()
        };
        let mut unraised = String::new();
        let (signature, status, text) = match failure {
            Failure::Divergence(d) => {
                let (expected, observed) = (exception_lines(&d.expected), exception_lines(&d.observed));
                unraised = only_in(&expected, &observed);
                (Some(d.signature.clone()), None, only_in(&observed, &expected))
            }
            Failure::Hang { stderr_tail } => (None, None, tail(stderr_tail)),
            // The status and the answer come first and are kept whole (cut to 200 bytes): a long
            // stderr (warnings) must not push "signal 11" out of what an entry's pattern reads.
            Failure::Crash { status, stderr_tail } => {
                (None, Some(clip(status, 200)), format!("{}\n{}", clip(status, 200), tail(stderr_tail)))
            }
            Failure::Garbage { line, stderr_tail } => {
                (None, None, format!("{}\n{}", clip(line, 200), tail(stderr_tail)))
            }
            Failure::Compile(b) => (None, Some(clip(&b.key(), 400)), tail(&b.details())),
        };
        Facts { failure: failure.kind(), signature, status, text, unraised }
    }

    /// The root cause.
    pub fn cause(&self) -> Cause {
        match (self.failure, &self.signature) {
            (FailureKind::Divergence, Some(s)) => {
                Cause::Divergence { culprit: Culprit::of_signature(s), differs: s.differs }
            }
            (FailureKind::Divergence, None) => {
                // Only a report edited by hand has a divergence without a signature.
                Cause::Divergence { culprit: Culprit::NoRule, differs: Differs::Presence }
            }
            (FailureKind::Hang, _) => Cause::Hang,
            (FailureKind::Crash, _) => Cause::Crash { status: self.status.clone().unwrap_or_default() },
            (FailureKind::Garbage, _) => Cause::Garbage,
            (FailureKind::Compile, _) => Cause::Compile { key: self.status.clone().unwrap_or_default() },
        }
    }
}

/// A trace's exceptions, one `Type: message` (`Type` without a message) a line, each once, in
/// the order they show, with how many exception objects show it: a trace shows one object many
/// times (as an event's, then as a context), and two objects alike are two.
fn exception_lines(t: &Trace) -> Vec<(String, usize)> {
    let mut res: Vec<(String, Vec<u32>)> = Vec::new();
    for e in t.exc_refs() {
        let line = match &e.msg {
            Some(m) => format!("{}: {}", e.ty, clip(m, 200)),
            None => e.ty.clone(),
        };
        match res.iter_mut().find(|(l, _)| *l == line) {
            Some((_, ids)) if ids.contains(&e.id) => {}
            Some((_, ids)) => ids.push(e.id),
            None => res.push((line, vec![e.id])),
        }
    }
    res.into_iter().map(|(line, ids)| (line, ids.len())).collect()
}

/// The lines of `ours` ([`exception_lines`]) that `theirs` shows on fewer objects, or on none,
/// as one text of at most [`MAX_FACT_TEXT_BYTES`]. By count, not by presence: RustPython's close of
/// a coroutine whose throw() it refused raises a GeneratorExit the model's trace has too, for
/// another reason elsewhere (seed 0xbeefe8).
fn only_in(ours: &[(String, usize)], theirs: &[(String, usize)]) -> String {
    let shown = |line: &str| theirs.iter().find(|(l, _)| l == line).map_or(0, |(_, n)| *n);
    let mut text = String::new();
    for (line, _) in ours.iter().filter(|(l, n)| *n > shown(l)) {
        if text.len() + line.len() + 1 > MAX_FACT_TEXT_BYTES {
            break;
        }
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// A failure as triage files it: its root cause, and the known-differences entry that describes
/// it, if one does.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Class {
    /// The root cause.
    pub cause: Cause,
    /// The id of the entry that describes it.
    pub known: Option<String>,
}

impl fmt::Display for Class {
    /// `missing-protocol: message`, or `missing-protocol: message [known: pypy-protocol-message]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.cause)?;
        match &self.known {
            Some(id) => write!(f, " [known: {id}]"),
            None => Ok(()),
        }
    }
}

/// A campaign reports the entries that matched nothing once it has run at least this many
/// programs: stale entries, most likely differences the implementation has fixed.
pub const STALE_AFTER_PROGRAMS: u64 = 1000;

/// The known differences that apply to one interpreter, and how failures on it are classified.
#[derive(Debug)]
pub struct Triage {
    applicable: Vec<Entry>,
    /// Entries loaded that do not apply to this interpreter.
    pub not_applicable: Vec<Entry>,
}

impl Triage {
    /// The entries of `files` that apply to the interpreter that reported `info`.
    pub fn new(files: &[KnownFile], info: &InterpreterInfo) -> Triage {
        let (applicable, not_applicable) =
            files.iter().flat_map(|f| f.entries.iter().cloned()).partition(|e| e.applies(info));
        Triage { applicable, not_applicable }
    }

    /// No known differences.
    pub fn none() -> Triage {
        Triage { applicable: Vec::new(), not_applicable: Vec::new() }
    }

    /// The entries that apply.
    pub fn entries(&self) -> &[Entry] {
        &self.applicable
    }

    /// The entry with this id, among those that apply.
    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.applicable.iter().find(|e| e.id == id)
    }

    /// How a failure is filed: its root cause, and the first applicable entry that describes it
    /// at the first difference, else the first whose `raised` pattern does.
    pub fn classify(&self, facts: &Facts) -> Class {
        let by = |raised: bool| self.applicable.iter().find(|e| e.matches_by(facts, raised));
        let known = by(false).or_else(|| by(true)).map(|e| e.id.clone());
        Class { cause: facts.cause(), known }
    }

    /// The entries that matched nothing in a campaign of `programs` programs, if it ran at least
    /// [`STALE_AFTER_PROGRAMS`]; `matched` counts the findings each entry id matched. An entry
    /// that can only match message differences is not stale when messages were not compared.
    pub fn stale<'a>(&'a self, matched: &BTreeMap<String, u64>, programs: u64, messages: Messages) -> Vec<&'a Entry> {
        if programs < STALE_AFTER_PROGRAMS {
            return Vec::new();
        }
        self.applicable
            .iter()
            .filter(|e| matched.get(&e.id).copied().unwrap_or(0) == 0)
            .filter(|e| messages == Messages::Exact || !e.needs_messages())
            .collect()
    }
}

#[cfg(test)]
mod tests;
