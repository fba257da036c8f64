//! The reference model: an independent interpreter over the IR that predicts the trace a correct
//! Python of a given profile must produce. It never asks Python anything.
//!
//! Guest behaviour is data: a Python exception is a [`Flow::Raise`], never a Rust error. The model
//! is total on every program that passes `ir::validate`: loops are bounded by the IR and there is
//! no recursion in the guest, so every run ends.

mod contextlib;
mod exc;
mod exit_stack;
mod generator;
mod message;
mod provenance;
mod rules;
mod with_stmt;

use std::collections::HashMap;

use crate::ir::{Action, Cause, ExcClass, ExitFn, Handler, NewExc, Program, RaiseNew, Stmt, Try, Value};
use crate::profile::{Profile, Quirks};
use crate::trace::{Event, Outcome, Trace};

pub use provenance::{ExcRules, Provenance};
pub use rules::{Coverage, Rule};

use contextlib::Obj;
use exc::{ChainEffect, ExcId, Excs};
use message::Code;
use provenance::Sink;
use with_stmt::Proto;

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

/// Predicts the trace of `program` under `profile`.
///
/// Panics if the program does not pass `ir::validate` (a bug in whoever built it).
pub fn predict(program: &Program, profile: Profile) -> Prediction {
    let mut m = Machine {
        program,
        quirks: profile.quirks(),
        excs: Excs::default(),
        events: Sink::default(),
        rule_log: Vec::new(),
        mark: 0,
        vars: HashMap::new(),
        coverage: Coverage::default(),
        gen: None,
        cm_yield: None,
        heap: Vec::new(),
        finish: Vec::new(),
        tracked: 0,
        unpredictable: None,
        stale_args: false,
    };
    let mut flow = m.block(&program.main);
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
    // What `_finish` does after main: generators that `closing` left suspended, in the order
    // they were first stepped.
    let outcome_span = m.mark..m.rule_log.len() as u32;
    m.finish.sort_by_key(|(order, _)| *order);
    let mut finish = Sink::default();
    for (_, sink) in std::mem::take(&mut m.finish) {
        finish.extend(sink);
    }
    let mut events = std::mem::take(&mut m.events);
    let numbers = renumber(&mut events.events, &mut outcome, &mut finish.events);
    events.extend(finish);
    let excs = numbers.into_iter().map(|(internal, number)| (number, m.excs.rules(internal as ExcId))).collect();
    let provenance = Provenance::new(m.rule_log, events.spans, outcome_span, excs);
    Prediction {
        trace: Trace { events: events.events, outcome },
        coverage: m.coverage,
        provenance,
        unpredictable: m.unpredictable,
    }
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

/// A runtime value of the guest.
#[derive(Clone, Debug)]
pub(crate) enum Val {
    None,
    Bool(bool),
    Int(i64),
    Str(String),
    Tuple(Vec<Val>),
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
    Builtin(contextlib::Builtin),
    /// The generator object of `g<n>()` that a `closing` holds; its state is `heap[obj]`.
    Gen {
        /// Which generator function.
        gen: usize,
        /// Its state.
        obj: contextlib::ObjId,
    },
    /// An exit function `Xf(...)` / `AXf(...)`.
    Xf(Box<ExitFn>),
    /// `Closer('k1', ...)`.
    Closer(String),
    /// A coroutine that finishes at once with this value (`nullcontext().__aenter__()`).
    Ready(Box<Val>),
    /// The coroutine an `async def` protocol method returned, not yet awaited.
    Coro {
        /// `M<n>`.
        mgr: String,
        /// `__aexit__` rather than `__aenter__`.
        is_exit: bool,
        /// The label it suspends on.
        suspend: Option<String>,
        /// What its body does.
        action: Box<Action>,
        /// The exception argument of `__aexit__`.
        exc: Option<ExcId>,
    },
    /// An exception object.
    Exc(ExcId),
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

pub(crate) struct Machine<'p> {
    pub(crate) program: &'p Program,
    /// What the profile does where versions differ.
    pub(crate) quirks: Quirks,
    pub(crate) excs: Excs,
    pub(crate) events: Sink,
    /// Every rule applied so far, in order (the provenance of events and exceptions).
    pub(crate) rule_log: Vec<Rule>,
    /// Where in `rule_log` the rules applied since the last event start.
    pub(crate) mark: u32,
    pub(crate) vars: HashMap<String, Val>,
    pub(crate) coverage: Coverage,
    /// The driver's state while a generator function runs.
    pub(crate) gen: Option<generator::GenCtx<'p>>,
    /// contextlib's state while a `@contextmanager` generator resumes in `__exit__`.
    pub(crate) cm_yield: Option<contextlib::CmYield>,
    /// Objects whose identity matters: generator managers, exit stacks, stepped generators.
    pub(crate) heap: Vec<Obj>,
    /// Events of `_finish`, which runs after main: per stepped generator left suspended, its
    /// order of first step and what finishing it logs.
    pub(crate) finish: Vec<(usize, Sink)>,
    /// How many generators `step` has tracked so far.
    pub(crate) tracked: usize,
    /// Set when the program reached something a correct implementation loops on forever, or
    /// leaves to the garbage collector.
    pub(crate) unpredictable: Option<&'static str>,
    /// The exception details an exit stack passes to the next callback are stale: the
    /// exception's traceback changed since they were taken (3.8-3.10). Read by the exit event
    /// of that callback.
    pub(crate) stale_args: bool,
}

impl<'p> Machine<'p> {
    pub(crate) fn hit(&mut self, rule: Rule) {
        self.coverage.hit(rule);
        self.rule_log.push(rule);
        self.excs.rule = Some(rule);
    }

    /// Emits an event, with the rules applied since the event before it.
    pub(crate) fn emit(&mut self, event: Event) {
        let end = self.rule_log.len() as u32;
        self.events.push(event, self.mark..end);
        self.mark = end;
    }

    /// Records the sync or the async form of a rule.
    pub(crate) fn rule(&mut self, is_async: bool, sync: Rule, async_: Rule) {
        self.hit(if is_async { async_ } else { sync });
    }

    pub(crate) fn block(&mut self, body: &'p [Stmt]) -> Flow {
        for s in body {
            let flow = self.stmt(s);
            if !matches!(flow, Flow::Normal) {
                return flow;
            }
        }
        Flow::Normal
    }

    fn stmt(&mut self, s: &'p Stmt) -> Flow {
        match s {
            Stmt::Log(label) => {
                let info = self.excs.observe(self.excs.handled());
                self.emit(Event::Log { label: label.clone(), info });
                Flow::Normal
            }
            Stmt::Show(name) => {
                let v = self.vars.get(name).cloned().expect("validate checks that shown names are bound");
                let value = self.show(&v);
                self.emit(Event::Var { name: name.clone(), value });
                Flow::Normal
            }
            Stmt::With { is_async: false, items, body } => self.with(items, body, Proto::Sync),
            Stmt::With { is_async: true, items, body } => self.with(items, body, Proto::Async),
            Stmt::Yield(label) => match self.cm_yield.is_some() {
                true => self.cm_yields_again(),
                false => self.on_yield(label),
            },
            Stmt::Drive { label, gen, how } => self.drive(label, *gen, how),
            Stmt::Await(label) => {
                self.hit(Rule::AsyncSuspends);
                self.emit(Event::Await { label: label.clone() });
                self.emit(Event::Suspend { label: label.clone() });
                Flow::Normal
            }
            Stmt::Raise(r) => self.raise_new(r),
            Stmt::RaiseCaught(label) => {
                let Some(Val::Exc(id)) = self.vars.get(&format!("e_{label}")).cloned() else {
                    panic!("validate checks that `raise e_{label}` is inside its handler")
                };
                self.raise_obj(id)
            }
            Stmt::BareRaise => self.bare_raise(),
            Stmt::Return { label, value } => {
                self.emit(Event::Ret { label: label.clone() });
                Flow::Return(self.eval(value))
            }
            Stmt::Loop { times, body } => {
                for _ in 0..*times {
                    match self.block(body) {
                        Flow::Normal | Flow::Continue => {}
                        Flow::Break => break,
                        flow @ (Flow::Return(_) | Flow::Raise(_)) => return flow,
                    }
                }
                Flow::Normal
            }
            Stmt::Break => Flow::Break,
            Stmt::Continue => Flow::Continue,
            Stmt::Try(t) => self.try_(t),
            Stmt::Assign { name, expr } => match self.eval_item(expr) {
                Ok(v) => {
                    self.vars.insert(name.clone(), v);
                    Flow::Normal
                }
                Err(flow) => flow,
            },
            Stmt::Stack { stack, op } => self.stack_op(stack, op),
            Stmt::Step { .. } => unreachable!("validate keeps steps at the top level of a stepped body"),
        }
    }

    fn try_(&mut self, t: &'p Try) -> Flow {
        let flow = self.block(&t.body);
        self.try_rest(flow, &t.handlers, &t.orelse, t.finally.as_ref())
    }

    /// The rest of a `try` statement once its body ended with `flow`.
    pub(crate) fn try_rest(
        &mut self,
        mut flow: Flow,
        handlers: &'p [Handler],
        orelse: &'p [Stmt],
        finally: Option<&'p (String, Vec<Stmt>)>,
    ) -> Flow {
        match flow {
            Flow::Raise(x) => {
                let class = self.excs.get(x).class;
                let found = handlers.iter().find(|h| h.class.is_none_or(|c| exc::is_subclass(class, c)));
                if let Some(h) = found {
                    self.excs.push_handled(x);
                    let detail = self.excs.detail(x);
                    self.emit(Event::Handler { label: h.label.clone(), exc: detail });
                    let var = format!("e_{}", h.label);
                    if h.bind {
                        self.vars.insert(var.clone(), Val::Exc(x));
                    }
                    flow = self.block(&h.body);
                    if h.bind {
                        self.vars.remove(&var);
                    }
                    self.excs.pop_handled();
                }
            }
            Flow::Normal => flow = self.block(orelse),
            Flow::Return(_) | Flow::Break | Flow::Continue => {}
        }
        let Some((label, body)) = finally else { return flow };
        let pending = match flow {
            Flow::Raise(x) => Some(x),
            _ => None,
        };
        if let Some(x) = pending {
            self.excs.push_handled(x);
        }
        let info = self.excs.observe(self.excs.handled());
        self.emit(Event::Finally { label: label.clone(), info });
        let fin = self.block(body);
        if pending.is_some() {
            self.excs.pop_handled();
        }
        match fin {
            Flow::Normal => flow,
            other => {
                if pending.is_some() && matches!(other, Flow::Return(_)) {
                    self.hit(Rule::FinallyReturnSwallows);
                }
                other
            }
        }
    }

    /// A new exception instance `class(label)`, not yet raised.
    pub(crate) fn instantiate(&mut self, e: &NewExc) -> ExcId {
        self.excs.new_user_exc(e.class, message::raised_by_program(e.class, &e.label))
    }

    /// `raise E1('r1') [from ...]`.
    pub(crate) fn raise_new(&mut self, r: &RaiseNew) -> Flow {
        let id = self.instantiate(&r.exc);
        match &r.cause {
            None => {}
            Some(Cause::None) => {
                self.hit(Rule::RaiseFromNone);
                self.excs.set_cause(id, None);
            }
            Some(Cause::New(c)) => {
                self.hit(Rule::RaiseFrom);
                let cid = self.instantiate(c);
                self.excs.set_cause(id, Some(cid));
            }
        }
        self.raise_obj(id)
    }

    /// An exception the interpreter itself raises (a TypeError from the protocol, say).
    pub(crate) fn raise_builtin(&mut self, class: ExcClass, msg: String) -> Flow {
        let id = self.excs.new_exc(class, msg);
        self.raise_obj(id)
    }

    /// `raise obj`: implicit chaining applies, unlike a bare re-raise.
    pub(crate) fn raise_obj(&mut self, id: ExcId) -> Flow {
        match self.excs.chain_on_raise(id) {
            ChainEffect::None => {}
            ChainEffect::Chained => self.chained(id, Rule::ImplicitChaining),
            ChainEffect::CycleCut => {
                self.hit(Rule::ContextCycleBroken);
                self.chained(id, Rule::ImplicitChaining);
            }
            ChainEffect::InCycle => {
                self.chained(id, Rule::ImplicitChaining);
                if !self.quirks.chaining_stops_at_context_cycles {
                    self.unpredictable = Some("3.8 walks a __context__ cycle forever when it chains a new exception");
                }
            }
        }
        Flow::Raise(id)
    }

    /// Records that `rule` set the `__context__` of `id` (after the fact, as implicit
    /// chaining decides whether it applies only while it links).
    pub(crate) fn chained(&mut self, id: ExcId, rule: Rule) {
        self.hit(rule);
        self.excs.stamp_context(id, rule);
    }

    /// PEP 479: a StopIteration (or, from an async generator, a StopAsyncIteration) leaving a
    /// generator or coroutine frame becomes a RuntimeError whose cause and context are it.
    pub(crate) fn pep479(&mut self, x: ExcId, code: Code) -> ExcId {
        let class = self.excs.get(x).class;
        let converted = if exc::is_subclass(class, ExcClass::StopIteration) {
            ExcClass::StopIteration
        } else if code == Code::AsyncGenerator && exc::is_subclass(class, ExcClass::StopAsyncIteration) {
            ExcClass::StopAsyncIteration
        } else {
            return x;
        };
        self.hit(match code {
            Code::Coroutine => Rule::CoroutineStopIteration,
            Code::Generator => Rule::GeneratorStopIteration,
            Code::AsyncGenerator => Rule::AsyncGeneratorStopIteration,
        });
        let id = self.excs.new_exc(ExcClass::RuntimeError, message::pep479(code, converted));
        self.excs.set_cause(id, Some(x));
        self.excs.set_context(id, Some(x));
        id
    }

    /// A bare `raise`: the handled exception again, unchanged, or a RuntimeError.
    pub(crate) fn bare_raise(&mut self) -> Flow {
        match self.excs.handled() {
            Some(id) => Flow::Raise(id),
            None => {
                self.hit(Rule::BareRaiseNothingHandled);
                self.raise_builtin(ExcClass::RuntimeError, message::no_active_exception())
            }
        }
    }

    pub(crate) fn eval(&mut self, v: &Value) -> Val {
        match v {
            Value::None => Val::None,
            Value::Bool(b) => Val::Bool(*b),
            Value::Int(n) => Val::Int(*n),
            Value::Str(s) => Val::Str(s.clone()),
            Value::Tuple(items) => Val::Tuple(items.iter().map(|it| self.eval(it)).collect()),
            Value::BoolObj { .. } => Val::BoolObj(v.clone()),
            Value::LenObj { .. } => Val::LenObj(v.clone()),
            Value::Awaitable { .. } => Val::Aw(v.clone()),
            Value::BadAwaitable => Val::BadAw,
        }
    }

    /// The canonical text of a value, as the prelude's `_show` prints it.
    pub(crate) fn show(&self, v: &Val) -> String {
        match v {
            Val::None => "None".to_string(),
            Val::Bool(true) => "True".to_string(),
            Val::Bool(false) => "False".to_string(),
            Val::Int(n) => n.to_string(),
            Val::Str(s) => py_repr_str(s),
            Val::Tuple(items) => {
                let inner: Vec<String> = items.iter().map(|it| self.show(it)).collect();
                let comma = if items.len() == 1 { "," } else { "" };
                format!("({}{comma})", inner.join(", "))
            }
            Val::Mgr(m) => format!("<M{m}>"),
            Val::BoolObj(Value::BoolObj { label, .. }) => format!("<Bool {label}>"),
            Val::LenObj(Value::LenObj { label, .. }) => format!("<Len {label}>"),
            Val::Aw(Value::Awaitable { coroutine: true, .. }) => "<coroutine>".to_string(),
            Val::Aw(Value::Awaitable { label, .. }) => format!("<Aw {label}>"),
            Val::BoolObj(_) | Val::LenObj(_) | Val::Aw(_) => unreachable!("objects hold their own IR value"),
            Val::BadAw => "<BadAw>".to_string(),
            Val::Builtin(b) => format!("<{}>", b.type_name(self)),
            Val::Gen { .. } => format!("<{}>", self.type_name(v)),
            Val::Xf(f) => format!("<{} {}>", if f.is_async { "AXf" } else { "Xf" }, f.label),
            Val::Closer(label) => format!("<Closer {label}>"),
            Val::Ready(_) => "<coroutine>".to_string(),
            Val::Coro { .. } => "<coroutine>".to_string(),
            Val::Exc(id) => format!("<{}>", self.excs.get(*id).class.name()),
        }
    }

    /// `type(v).__name__`.
    pub(crate) fn type_name(&self, v: &Val) -> String {
        match v {
            Val::None => "NoneType".to_string(),
            Val::Bool(_) => "bool".to_string(),
            Val::Int(_) => "int".to_string(),
            Val::Str(_) => "str".to_string(),
            Val::Tuple(_) => "tuple".to_string(),
            Val::Mgr(m) => format!("M{m}"),
            Val::BoolObj(_) => "Bool".to_string(),
            Val::LenObj(_) => "Len".to_string(),
            Val::Aw(Value::Awaitable { coroutine: true, .. }) => "coroutine".to_string(),
            Val::Aw(_) => "Aw".to_string(),
            Val::BadAw => "BadAw".to_string(),
            Val::Builtin(b) => b.type_name(self).to_string(),
            Val::Gen { gen, .. } if self.program.gens[*gen].is_async => "async_generator".to_string(),
            Val::Gen { .. } => "generator".to_string(),
            Val::Xf(f) if f.is_async => "AXf".to_string(),
            Val::Xf(_) => "Xf".to_string(),
            Val::Closer(_) => "Closer".to_string(),
            Val::Ready(_) => "coroutine".to_string(),
            Val::Coro { .. } => "coroutine".to_string(),
            Val::Exc(id) => self.excs.get(*id).class.name().to_string(),
        }
    }

    /// `type(v).__module__`: contextlib's types, the builtins, or the program's own classes
    /// (the prelude's included), which run as `__main__`.
    pub(crate) fn type_module(&self, v: &Val) -> &'static str {
        match v {
            Val::Builtin(_) => "contextlib",
            Val::None | Val::Bool(_) | Val::Int(_) | Val::Str(_) | Val::Tuple(_) | Val::Gen { .. } => "builtins",
            Val::Ready(_) | Val::Coro { .. } | Val::Aw(Value::Awaitable { coroutine: true, .. }) => "builtins",
            Val::Exc(id) => match self.excs.get(*id).class {
                ExcClass::E1 | ExcClass::E2 | ExcClass::E3 | ExcClass::B1 | ExcClass::S1 | ExcClass::S2 => "__main__",
                _ => "builtins",
            },
            Val::Mgr(_) | Val::BoolObj(_) | Val::LenObj(_) | Val::Aw(_) | Val::BadAw | Val::Closer(_) | Val::Xf(_) => {
                "__main__"
            }
        }
    }

    /// The type name protocol errors print.
    pub(crate) fn protocol_type_name(&self, v: &Val) -> String {
        message::protocol_type_name(&self.quirks, self.type_module(v), self.type_name(v))
    }
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
