//! Statements and blocks (SEMANTICS.md §1.4, §1.6): what each statement does, `try`, raising
//! with implicit chaining, a bare `raise`, and PEP 479 at a frame's boundary.

use crate::ir::{AttrValue, Cause, ExcAttr, ExcClass, Handler, NewExc, RaiseNew, Stmt, Try, Yielded};
use crate::trace::Event;

use super::exc::{self, ChainEffect, ExcId};
use super::message::{self, Code};
use super::protocol::Proto;
use super::{Flow, Machine, Role, Rule, Val};

impl<'p> Machine<'p> {
    pub(crate) fn block(&mut self, body: &'p [Stmt]) -> Flow {
        for s in body {
            let flow = self.stmt(s);
            if !matches!(flow, Flow::Normal) {
                return flow;
            }
        }
        Flow::Normal
    }

    pub(crate) fn stmt(&mut self, s: &'p Stmt) -> Flow {
        match s {
            Stmt::Log(label) => {
                let info = self.exc_info();
                self.emit(Event::Log { label: label.clone(), info });
                Flow::Normal
            }
            Stmt::Show(name) => match self.read(name, self.after_reads.contains(&(s as *const Stmt))) {
                Ok(v) => {
                    let value = self.show(&v);
                    self.emit(Event::Var { name: name.clone(), value });
                    Flow::Normal
                }
                Err(x) => Flow::Raise(x),
            },
            Stmt::With { is_async, parens, items, body } => self.with(items, body, *parens, Proto::of(*is_async)),
            Stmt::Direct { label, var, is_async, call } => match self.direct(var, *is_async, call) {
                Ok(v) => {
                    let value = self.show(&v);
                    self.emit(Event::Var { name: label.clone(), value });
                    Flow::Normal
                }
                Err(x) => Flow::Raise(x),
            },
            Stmt::Yield(label) => self.yield_(label),
            Stmt::YieldValue(y) => {
                // `_yshow`: a value other than a label comes back as it is, and prints as `_show`.
                self.hit(Rule::GenYieldsValue);
                let shown = match y {
                    Yielded::Value(v) => {
                        let v = self.eval(v);
                        self.show(&v)
                    }
                    Yielded::Exc(e) => {
                        let x = self.instantiate(e);
                        self.show(&Val::Exc(x))
                    }
                };
                self.yield_(&shown)
            }
            Stmt::YieldFrom { gen, target } => self.yield_from(*gen, target.as_deref()),
            Stmt::Drive { label, gen, how, then } => self.drive(label, *gen, how, then.as_ref()),
            Stmt::Await(label) => match self.suspend_at(label) {
                Ok(()) => Flow::Normal,
                Err(x) => Flow::Raise(x),
            },
            Stmt::AwaitCall { gen, target } => self.await_call(*gen, target.as_deref()),
            Stmt::Call { fun, n, target } => self.call_decorated(*fun, *n, target.as_deref()),
            Stmt::Raise(r) => Flow::Raise(self.raise_new(r)),
            Stmt::RaiseGroup(g) => Flow::Raise(self.raise_group(g)),
            Stmt::TryStar(t) => self.try_star(t),
            Stmt::RaiseCaught(label) => {
                let id = self.caught(label);
                Flow::Raise(self.raise_obj(id))
            }
            Stmt::BareRaise => Flow::Raise(self.bare_raise()),
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
                    self.vars().insert(name.clone(), v);
                    Flow::Normal
                }
                Err(flow) => flow,
            },
            Stmt::Stack { stack, op } => self.stack_op(stack, op),
            Stmt::Keep { name, label } => {
                let caught = self.caught(label);
                self.vars().insert(name.clone(), Val::Exc(caught));
                Flow::Normal
            }
            Stmt::RaiseVar(name) => Flow::Raise(self.raise_var(name)),
            Stmt::SetAttr { label, attr, value } => {
                self.set_attr(label, *attr, value);
                Flow::Normal
            }
            Stmt::Step { .. } => unreachable!("validate keeps steps at the top level of a stepped body"),
        }
    }

    /// A `yield` of `value` (as the driver prints it): what the driver does there.
    fn yield_(&mut self, value: &str) -> Flow {
        if matches!(self.frames.last().map(|f| &f.role), Some(Role::Delegate(_))) {
            return self.delegated_yield(value);
        }
        self.on_top_role(|m, role| match role {
            Role::Driven(ctx) => m.on_yield(ctx, value),
            Role::CmResumed(state) => m.cm_yields_again(state),
            Role::CmEntered => unreachable!("validate keeps yield out of a @contextmanager's pre"),
            Role::Call => unreachable!("validate keeps yield out of decorated functions"),
            Role::Delegate(_) => unreachable!("handled above"),
        })
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
                    if self.is_group(x) {
                        self.hit(Rule::GroupCaughtByExcept);
                    }
                    self.excs.push_handled(x);
                    let detail = self.excs.detail(x);
                    self.emit(Event::Handler { label: h.label.clone(), exc: detail });
                    let var = format!("e_{}", h.label);
                    if h.bind {
                        self.vars().insert(var.clone(), Val::Exc(x));
                    }
                    flow = self.block(&h.body);
                    if h.bind {
                        self.vars().remove(&var);
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
        let info = self.exc_info();
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
    pub(crate) fn raise_new(&mut self, r: &RaiseNew) -> ExcId {
        let id = self.instantiate(&r.exc);
        match &r.cause {
            None => {}
            Some(Cause::None) => {
                self.hit(Rule::RaiseFromNone);
                self.excs.set_cause(id, None, Rule::RaiseFromNone);
            }
            Some(Cause::New(c)) => {
                self.hit(Rule::RaiseFrom);
                let cid = self.instantiate(c);
                self.excs.set_cause(id, Some(cid), Rule::RaiseFrom);
            }
            Some(Cause::Caught(label)) => {
                self.hit(Rule::RaiseFromCaught);
                let cid = self.caught(label);
                self.excs.set_cause(id, Some(cid), Rule::RaiseFromCaught);
            }
        }
        self.raise_obj(id)
    }

    /// The exception `e_<label>` holds: what an enclosing handler caught.
    pub(crate) fn caught(&self, label: &str) -> ExcId {
        match self.var(&format!("e_{label}")) {
            Val::Exc(id) => id,
            other => panic!("validate checks that e_{label} is bound by a handler, not {other:?}"),
        }
    }

    /// `raise k1` (SEMANTICS-ADDENDUM §12.2): an exception kept in a variable, raised again.
    /// Implicit chaining replaces its context with the exception being handled, if any; with
    /// nothing handled it keeps the context it had. `None` (never kept) is a TypeError.
    fn raise_var(&mut self, name: &str) -> ExcId {
        match self.var(name) {
            Val::Exc(id) => {
                let rule = match self.excs.handled() {
                    Some(top) if top != id => Rule::RaiseStoredRechained,
                    _ => Rule::RaiseStoredKeepsContext,
                };
                self.hit(rule);
                self.raise_chained_by(id, rule)
            }
            _ => {
                self.hit(Rule::RaiseNone);
                self.raise_builtin(Rule::RaiseNone, ExcClass::TypeError, message::must_derive())
            }
        }
    }

    /// `e_h1.__context__ = ...` (SEMANTICS-ADDENDUM §12.3): plain attribute assignment, no cycle
    /// check; setting `__cause__` also sets `__suppress_context__`.
    fn set_attr(&mut self, label: &str, attr: ExcAttr, value: &AttrValue) {
        let id = self.caught(label);
        let value = match value {
            AttrValue::None => None,
            AttrValue::Caught(other) => Some(self.caught(other)),
            AttrValue::Bool(b) => {
                self.hit(Rule::SetSuppressContext);
                self.excs.set_suppress_context(id, *b, Rule::SetSuppressContext);
                return;
            }
        };
        match attr {
            ExcAttr::Context => {
                self.hit(Rule::SetContext);
                self.excs.set_context(id, value, Rule::SetContext);
                if !self.quirks.chaining_stops_at_context_cycles && self.excs.context_cycle(id) {
                    self.give_up("3.8 walks a __context__ cycle forever when it chains a new exception");
                }
            }
            ExcAttr::Cause => {
                self.hit(Rule::SetCause);
                self.excs.set_cause(id, value, Rule::SetCause);
            }
            ExcAttr::SuppressContext => unreachable!("validate gives __suppress_context__ a bool"),
        }
    }

    /// An exception the interpreter itself raises, whose type and message `rule` gives (a
    /// TypeError from the protocol, say).
    pub(crate) fn raise_builtin(&mut self, rule: Rule, class: ExcClass, msg: String) -> ExcId {
        let id = self.excs.new_exc(class, msg, rule);
        self.raise_obj(id)
    }

    /// `raise obj`: implicit chaining applies, unlike a bare re-raise. Gives `obj`.
    pub(crate) fn raise_obj(&mut self, id: ExcId) -> ExcId {
        self.raise_chained_by(id, Rule::ImplicitChaining)
    }

    /// `raise obj`, where `rule` is why implicit chaining applies (the context it sets is
    /// recorded as set by `rule`).
    pub(crate) fn raise_chained_by(&mut self, id: ExcId, rule: Rule) -> ExcId {
        self.excs.raised_again(id);
        // Plain implicit chaining in a generator that handles nothing itself links to its
        // caller's exception: the rule that names that is the one a difference there is about.
        let hidden = rule == Rule::ImplicitChaining && self.excs.unlinking_hides();
        let rule = if hidden {
            // What a delegating generator handles is out of reach: the context, or none, is the
            // doing of the frames set aside.
            Rule::YieldFromUnlinked
        } else if rule == Rule::ImplicitChaining && self.excs.handled_from_caller() {
            Rule::GenSeesCallersHandled
        } else {
            rule
        };
        match self.excs.chain_on_raise(id) {
            ChainEffect::None if hidden => {
                self.hit(rule);
                self.excs.stamp_context(id, rule);
            }
            ChainEffect::None => {}
            ChainEffect::Chained => self.chained(id, rule),
            ChainEffect::CycleCut => {
                self.hit(Rule::ContextCycleBroken);
                self.chained(id, rule);
            }
            ChainEffect::InCycle => {
                self.chained(id, rule);
                if !self.quirks.chaining_stops_at_context_cycles {
                    self.give_up("3.8 walks a __context__ cycle forever when it chains a new exception");
                }
            }
        }
        id
    }

    /// Records that implicit chaining set the `__context__` of `id`, because of `rule` (after the
    /// fact, as implicit chaining decides whether it applies only while it links).
    fn chained(&mut self, id: ExcId, rule: Rule) {
        self.hit(Rule::ImplicitChaining);
        if matches!(rule, Rule::GenSeesCallersHandled | Rule::YieldFromUnlinked) {
            self.hit(rule);
        }
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
        let rule = match code {
            Code::Coroutine => Rule::CoroutineStopIteration,
            Code::Generator => Rule::GeneratorStopIteration,
            Code::AsyncGenerator => Rule::AsyncGeneratorStopIteration,
        };
        self.hit(rule);
        let id = self.excs.new_exc(ExcClass::RuntimeError, message::pep479(code, converted), rule);
        self.excs.set_cause(id, Some(x), rule);
        self.excs.set_context(id, Some(x), rule);
        id
    }

    /// A generator's frame (an async generator's, with `is_async`) ends with `flow`: PEP 479 at
    /// its boundary.
    pub(crate) fn leave_generator(&mut self, flow: Flow, is_async: bool) -> Flow {
        self.leave_frame(flow, Code::of_generator(is_async))
    }

    /// A generator's or a coroutine's frame (of `code`) ends with `flow`: PEP 479 at its boundary.
    pub(crate) fn leave_frame(&mut self, flow: Flow, code: Code) -> Flow {
        match flow {
            Flow::Raise(x) => {
                // Into the caller's frame: a traceback entry of its own (§13.4).
                self.excs.raised_again(x);
                Flow::Raise(self.pep479(x, code))
            }
            other => other,
        }
    }

    /// An exception leaving a coroutine (`async_ == true`) meets PEP 479 there; leaving a plain
    /// function it is unchanged.
    pub(crate) fn coroutine_boundary(&mut self, x: ExcId, async_: bool) -> ExcId {
        if async_ {
            self.pep479(x, Code::Coroutine)
        } else {
            x
        }
    }

    /// A bare `raise`: the handled exception again, unchanged, or a RuntimeError.
    pub(crate) fn bare_raise(&mut self) -> ExcId {
        match self.excs.handled() {
            Some(id) => id,
            None => {
                self.hit(Rule::BareRaiseNothingHandled);
                self.raise_builtin(
                    Rule::BareRaiseNothingHandled,
                    ExcClass::RuntimeError,
                    message::no_active_exception(),
                )
            }
        }
    }
}
