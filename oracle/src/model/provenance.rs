//! Which rule of the model produced each part of a prediction.
//!
//! A reference model knows why it expects every event: triage names a divergence's root cause
//! by the rule behind the first expected event that differs, or behind the exception whose
//! type, message or chain differs. The model records every rule it applies in one log; each
//! emitted event remembers the part of the log applied since the event before it, and each
//! exception object the rules that created it and set its `__context__` and `__cause__`.

use std::collections::HashMap;
use std::ops::Range;

use super::rules::{Coverage, Rule};
use crate::trace::Event;

/// What a run records as it goes: every rule applied, in one log (and counted in the coverage),
/// and the events, each with the part of the log applied since the event before it.
#[derive(Default)]
pub(crate) struct Recorder {
    events: Sink,
    log: Vec<Rule>,
    /// Where in `log` the rules applied since the last event start.
    mark: u32,
    coverage: Coverage,
}

impl Recorder {
    /// Records that the model applied `rule`.
    pub(crate) fn hit(&mut self, rule: Rule) {
        self.coverage.hit(rule);
        self.log.push(rule);
    }

    /// Emits an event, with the rules applied since the event before it.
    pub(crate) fn emit(&mut self, event: Event) {
        let end = self.log.len() as u32;
        self.events.push(event, self.mark..end);
        self.mark = end;
    }

    /// Sets the events so far aside: what is emitted from now on goes to a new sink, until
    /// [`Recorder::put_back`].
    pub(crate) fn set_aside(&mut self) -> Sink {
        std::mem::take(&mut self.events)
    }

    /// Puts the events set aside back; gives what was emitted meanwhile.
    pub(crate) fn put_back(&mut self, events: Sink) -> Sink {
        std::mem::replace(&mut self.events, events)
    }

    /// The events, the rule log, the span of it applied after the last event (what decided the
    /// outcome), and the coverage.
    pub(crate) fn finish(self) -> (Sink, Vec<Rule>, Range<u32>, Coverage) {
        let outcome = self.mark..self.log.len() as u32;
        (self.events, self.log, outcome, self.coverage)
    }
}

/// The events of a run (or of a part set aside, such as what `_finish` logs), each with the
/// span of the rule log applied since the event before it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Sink {
    pub(crate) events: Vec<Event>,
    pub(crate) spans: Vec<Range<u32>>,
}

impl Sink {
    pub(crate) fn push(&mut self, event: Event, span: Range<u32>) {
        self.events.push(event);
        self.spans.push(span);
    }

    pub(crate) fn extend(&mut self, other: Sink) {
        self.events.extend(other.events);
        self.spans.extend(other.spans);
    }
}

/// The rules behind one exception object.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExcRules {
    /// The rule whose type and message the exception has, when the interpreter made it (`None`
    /// for one the program raised itself, as `E1('r1')`, or that the prelude's helpers raise as
    /// the program told them to).
    pub created: Option<Rule>,
    /// The rule that last set its `__context__`: implicit chaining, or the rule that made it
    /// apply or changed it (`_fix_exception_context`, a cycle cut, PEP 479, `throw()`).
    pub context: Option<Rule>,
    /// The rule that last set its `__cause__` (and `__suppress_context__`).
    pub cause: Option<Rule>,
}

/// Which rules produced each event, the outcome, and each exception of a prediction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Provenance {
    log: Vec<Rule>,
    events: Vec<Range<u32>>,
    outcome: Range<u32>,
    excs: HashMap<u32, ExcRules>,
    /// For an exception and a context it had (by their numbers in the trace, 0 for none): the
    /// last rule that gave it that context.
    contexts: HashMap<(u32, u32), Rule>,
}

impl Provenance {
    pub(crate) fn new(
        log: Vec<Rule>,
        events: Vec<Range<u32>>,
        outcome: Range<u32>,
        excs: HashMap<u32, ExcRules>,
    ) -> Provenance {
        Provenance { log, events, outcome, excs, contexts: HashMap::new() }
    }

    /// The same, with which rule gave each exception each context it had (see
    /// [`Provenance::context_rule`]).
    pub(crate) fn with_contexts(self, contexts: HashMap<(u32, u32), Rule>) -> Provenance {
        Provenance { contexts, ..self }
    }

    /// The rule that gave exception `number` the context `context` (a number in the trace;
    /// `None` for no context) when an event showed it so: the last that gave it that context,
    /// else the last that set its context at all.
    pub fn context_rule(&self, number: u32, context: Option<u32>) -> Option<Rule> {
        self.contexts.get(&(number, context.unwrap_or(0))).copied().or(self.exception(number).context)
    }

    /// The rules applied between the event before event `idx` of the trace and event `idx`
    /// itself, in the order they were applied: what decided that this event comes next and
    /// what it shows. Empty for an event no rule decided (a `log` in straight-line code).
    pub fn event_rules(&self, idx: usize) -> &[Rule] {
        self.events.get(idx).map_or(&[], |span| &self.log[span.start as usize..span.end as usize])
    }

    /// The rules applied after the last event of main: what decided the outcome.
    pub fn outcome_rules(&self) -> &[Rule] {
        &self.log[self.outcome.start as usize..self.outcome.end as usize]
    }

    /// The rules behind the exception numbered `number` in the trace (`#1` is 1).
    pub fn exception(&self, number: u32) -> ExcRules {
        self.excs.get(&number).copied().unwrap_or_default()
    }

    /// The same provenance for a trace whose exceptions were renumbered by `map` (old, new);
    /// an exception the map leaves out is gone from the trace.
    pub(crate) fn renumbered(&self, map: &[(u32, u32)]) -> Provenance {
        let excs = map.iter().filter_map(|(old, new)| self.excs.get(old).map(|r| (*new, *r))).collect();
        let new_of = |old: u32| if old == 0 { Some(0) } else { map.iter().find(|(o, _)| *o == old).map(|(_, n)| *n) };
        let contexts = self
            .contexts
            .iter()
            .filter_map(|(&(exc, context), &rule)| Some(((new_of(exc)?, new_of(context)?), rule)))
            .collect();
        Provenance { excs, contexts, ..self.clone() }
    }

    /// Every rule applied, in order.
    pub fn log(&self) -> &[Rule] {
        &self.log
    }
}
