//! Generator functions and async generator functions with `with` inside (SEMANTICS.md §1.8,
//! §3), driven two ways:
//!
//! - by the prelude's `drive` / `adrive`: to exhaustion, or `close()` / `throw(exc)` (`aclose()`
//!   / `athrow(exc)`) after k items, and then closed until finished so that nothing is ever left
//!   to the garbage collector;
//! - by `step` / `astep` inside `with closing(g0()) as a:` (`aclosing`): advanced k items at a
//!   time by statements of the `with` body, and closed by `closing` when the body ends.
//!
//! The generator body runs inline, in its own frame ([`Role::Driven`], with its own part of the
//! handled-exception stack); what the driver does between two resumptions happens at the
//! `yield` the generator is suspended on, which is where [`Machine::on_yield`] puts it, with the
//! generator's frame off the stack meanwhile. For a stepped generator that includes running the
//! caller's statements up to the next step.

use std::collections::VecDeque;

use crate::ir::{AwOp, BadThrow, Drive, ExcClass, Stmt, Then, Thrown};
use crate::trace::Event;

use super::exc::{self, ExcFrame, ExcId, SetAside};
use super::heap::{GenId, GenState};
use super::message::{self, Code};
use super::provenance::Sink;
use super::{Flow, Machine, Role, Rule, Val};

/// What `_finish` does after main: it finishes the generators that `closing` left suspended, in
/// the order they were first stepped (their place in the prelude's `_G`).
#[derive(Default)]
pub(crate) struct Finish {
    /// How many generators `step` has tracked so far.
    tracked: usize,
    /// Per generator finished, its place in `_G` and what finishing it logged.
    finished: Vec<(usize, Sink)>,
}

impl Finish {
    /// A generator's first step puts it in `_G`: its place there.
    fn track(&mut self) -> usize {
        self.tracked += 1;
        self.tracked
    }

    /// What `_finish` logs, in the order of `_G`.
    pub(crate) fn events(mut self) -> Sink {
        self.finished.sort_by_key(|(order, _)| *order);
        let mut res = Sink::default();
        for (_, sink) in self.finished {
            res.extend(sink);
        }
        res
    }
}

/// Where the driver is, for the generator currently running.
#[derive(Clone, Debug)]
pub(crate) struct GenCtx<'p> {
    /// The generator's frame in the handled stack.
    pub(crate) frame: ExcFrame,
    /// The label of the `drive` or of the current `step`.
    label: String,
    /// How `drive` runs it; a stepped generator is advanced k items at a time.
    how: How<'p>,
    /// Items received so far (in the current step).
    n: u8,
    pub(crate) phase: Phase,
    /// An async generator (`adrive`, `astep`).
    is_async: bool,
    /// A coroutine driven by hand (`drive` of a coroutine function): its suspensions are its
    /// yields, and what `throw()` throws goes through the awaitable's iterator first.
    pub(crate) coro: bool,
    /// While the driver acts at a `yield` of a generator this one delegates to (`yield from`):
    /// that generator's frame, where what the driver throws goes.
    pub(crate) leaf: Option<ExcFrame>,
    /// Set when the driver threw a GeneratorExit at such a `yield`: the delegated generators
    /// were closed instead, and this is thrown into this one once they are.
    pub(crate) delegated_ge: Option<ExcId>,
    /// `aclose()` was called: from then on `athrow()` and `aclose()` only raise
    /// StopAsyncIteration while it is suspended, so the drivers finish it with `asend`.
    closed: bool,
    /// The `athrow()` awaitable awaited last passed a suspension of the generator on before its
    /// result: it stays usable (SEMANTICS-ADDENDUM §10.5).
    athrow_suspended: bool,
}

#[derive(Clone, Debug)]
enum How<'p> {
    Drive(Script<'p>),
    Step(Box<Stepping<'p>>),
}

/// What `drive` (`adrive`) does to the generator, one operation at each point it is suspended.
#[derive(Clone, Debug, Default)]
struct Script<'p> {
    /// `next()` until the end (`'all'`) once `ops` are done.
    exhaust: bool,
    /// The operations still to apply, in order: `next()`s, then the last operation of the
    /// [`Drive`].
    ops: VecDeque<Op>,
    /// What `then` does once `ops` are done, to a generator that may have finished by then.
    then: Option<&'p Then>,
    /// What `throw()` throws, evaluated with the call.
    thrown: Option<ThrowArg>,
    /// The kind of the last awaitable `adrive` awaited, which `then` may await again.
    last: Awaited,
    /// The awaitable its last operation throws into by hand ([`Drive::AwThrow`]).
    by_hand: Option<AwOp>,
}

/// One operation of a [`Script`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Next,
    Close,
    Throw,
    Send,
    /// `aclose().throw(exc)` by hand: exc in, what comes out read as `aclose()` reads it.
    AcloseThrow,
}

/// What a `throw()` argument evaluated to.
#[derive(Clone, Copy, Debug)]
enum ThrowArg {
    /// An exception object: new, or one a handler caught (`caught`).
    Obj { exc: ExcId, caught: bool, triple: bool },
    /// A class, which `throw()` instantiates.
    Class(ExcClass),
    /// Arguments `throw()` refuses.
    Bad(BadThrow),
}

/// The kind of awaitable `adrive` awaited last.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Awaited {
    /// `asend()`.
    #[default]
    Send,
    /// `aclose()` or `athrow()`.
    CloseOrThrow,
}

/// A generator stepped inside `with closing(g0()) as a:`.
#[derive(Clone, Debug)]
struct Stepping<'p> {
    /// Items the current step asks for.
    k: u8,
    /// The `with` body, and the next of its statements to run.
    body: &'p [Stmt],
    pos: usize,
    /// How the body ended (when it did while the generator was suspended).
    ended: Option<Flow>,
    /// The body's exception, handled by the caller while `closing` closes the generator.
    pending: Option<ExcId>,
    /// The generator object, whose state `closing`'s exit reads.
    obj: GenId,
    /// Its place in the prelude's `_G`, the order `_finish` finishes generators in.
    order: usize,
    /// The label of its first step, under which `_G` holds it (what `_finish` logs).
    first_label: String,
    /// While `_finish` runs it, after main: the events of main, set aside, and what was
    /// handled below its frame.
    after_main: Option<(Sink, SetAside)>,
}

/// A drive whose first operation finds the generator not started.
struct Unstarted<'p> {
    /// The generator function, which `'+next'` runs after a refused throw.
    gen: usize,
    is_async: bool,
    code: Code,
    op: Op,
    thrown: Option<ThrowArg>,
    then: Option<&'p Then>,
    by_hand: Option<AwOp>,
}

/// What [`Machine::then_finished`] needs once the generator's frame is gone.
#[derive(Clone, Debug)]
struct Finished<'p> {
    label: String,
    is_async: bool,
    then: Option<&'p Then>,
    thrown: Option<ThrowArg>,
    last: Awaited,
    by_hand: Option<AwOp>,
    /// The generator passed a suspension on during the last `athrow()` (§10.5, §10.8).
    suspended: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// `next()` / `asend(None)` calls.
    Advancing,
    /// `send(1)` / `asend(1)`: like `next()`, but the generator returning raises StopIteration
    /// out of `drive`.
    Sent,
    /// An `athrow()` awaitable awaited again after it passed a suspension on: it resumes the
    /// generator as `asend(None)` does, and `adrive` drops what it gives.
    Again,
    /// `close()` / `aclose()` threw GeneratorExit in; the generator has not finished yet.
    Closing,
    /// `throw()` / `athrow()` threw its exception in.
    Thrown,
    /// The `finally` of `drive` is closing a generator left suspended with GeneratorExit;
    /// `pending` is the exception `drive` is propagating meanwhile, if any.
    Cleanup { pending: Option<ExcId> },
    /// The `finally` of `adrive` finishes an async generator that `aclose()` left suspended, by
    /// resuming it with `asend(None)`.
    Resume { pending: Option<ExcId> },
}

impl GenCtx<'_> {
    /// The kind of frame it runs: generator, async generator or coroutine.
    pub(crate) fn code(&self) -> Code {
        if self.coro {
            Code::Coroutine
        } else {
            Code::of_generator(self.is_async)
        }
    }
}

/// The kind of frame a generator function runs.
fn code_of(g: &crate::ir::GenFn) -> Code {
    if g.is_coroutine() {
        Code::Coroutine
    } else {
        Code::of_generator(g.is_async)
    }
}

impl<'p> Machine<'p> {
    /// `drive('d1', g0(), how, k, exc)`, or `await adrive(...)` for an async generator; `then`
    /// is the operation after `how` (`'close+throw'`).
    pub(crate) fn drive(&mut self, label: &str, gen: usize, how: &'p Drive, then: Option<&'p Then>) -> Flow {
        let thrown = match (how.thrown(), then) {
            (Some(t), _) | (_, Some(Then::Throw(t))) => Some(self.throw_arg(t)),
            _ => None,
        };
        let by_hand = match how {
            Drive::AwThrow(_, op, _) => Some(*op),
            _ => None,
        };
        let g = &self.program.gens[gen];
        let k = how.k();
        let last = match how {
            Drive::Exhaust | Drive::Send(_) => Op::Send,
            Drive::Close(_) => Op::Close,
            Drive::Throw(..) => Op::Throw,
            Drive::AwThrow(_, AwOp::Close, _) => Op::AcloseThrow,
            Drive::AwThrow(..) => Op::Throw,
        };
        if k == 0 && !matches!(how, Drive::Exhaust) {
            let start =
                Unstarted { gen, is_async: g.is_async_gen(), code: code_of(g), op: last, thrown, then, by_hand };
            return self.drive_unstarted(label, start);
        }
        // The first `next()` starts the body; the others come at its yields.
        let mut ops: VecDeque<Op> = std::iter::repeat_n(Op::Next, usize::from(k).saturating_sub(1)).collect();
        if !matches!(how, Drive::Exhaust) {
            ops.push_back(if matches!(how, Drive::Send(_)) { Op::Send } else { last });
        }
        let script = Script { exhaust: matches!(how, Drive::Exhaust), ops, then, thrown, last: Awaited::Send, by_hand };
        let frame = self.excs.push_frame();
        let ctx = GenCtx {
            label: label.to_string(),
            how: How::Drive(script),
            n: 0,
            phase: Phase::Advancing,
            frame,
            is_async: g.is_async_gen(),
            coro: g.is_coroutine(),
            leaf: None,
            delegated_ge: None,
            closed: false,
            athrow_suspended: false,
        };
        let (flow, role) = self.in_frame(Role::Driven(ctx), |m| m.block(&g.body));
        let Role::Driven(ctx) = role else { unreachable!("the frame pushed above") };
        let pending = matches!(ctx.phase, Phase::Cleanup { pending: Some(_) } | Phase::Resume { pending: Some(_) });
        let (res, finished) = self.gen_finished(ctx, flow);
        self.excs.pop_frame(frame);
        if pending {
            // drive's finally is over: it re-raises what it was propagating.
            self.excs.pop_handled();
        }
        match finished {
            Some(finished) => self.then_finished(finished),
            None => res,
        }
    }

    /// What a `throw()` argument is, evaluated when `drive` is called.
    fn throw_arg(&mut self, t: &Thrown) -> ThrowArg {
        match t {
            Thrown::New(e) => ThrowArg::Obj { exc: self.instantiate(e), caught: false, triple: false },
            Thrown::Triple(e) => ThrowArg::Obj { exc: self.instantiate(e), caught: false, triple: true },
            Thrown::Caught(label) => {
                let Val::Exc(exc) = self.var(&format!("e_{label}")) else {
                    panic!("validate checks that e_{label} is bound by a handler")
                };
                ThrowArg::Obj { exc, caught: true, triple: false }
            }
            Thrown::Class(c) => ThrowArg::Class(*c),
            Thrown::Bad(b) => ThrowArg::Bad(*b),
        }
    }

    /// The exception `throw()` throws (instantiating a class now), or the TypeError it raises
    /// instead (`Err`), in the caller of generator frame `frame` (or, with none, where the
    /// program stands).
    fn thrown_exc(&mut self, arg: ThrowArg, frame: Option<ExcFrame>) -> Result<ExcId, ExcId> {
        match arg {
            ThrowArg::Obj { exc, caught, triple } => {
                if caught {
                    self.hit(Rule::ThrowHandled);
                }
                if triple {
                    self.hit(Rule::GenThrowTriple);
                }
                Ok(exc)
            }
            ThrowArg::Class(c) => {
                self.hit(Rule::GenThrowClass);
                Ok(self.excs.new_exc(c, message::instantiated(), Rule::GenThrowClass))
            }
            ThrowArg::Bad(b) => {
                self.hit(Rule::GenThrowBadArgs);
                let msg = message::throw_bad_args(b);
                Err(self.raised_in_caller(frame, ExcClass::TypeError, msg, Rule::GenThrowBadArgs))
            }
        }
    }

    /// An exception the interpreter raises in the caller of generator frame `frame` (or where
    /// the program stands, when the generator has no frame running).
    fn raised_in_caller(&mut self, frame: Option<ExcFrame>, class: ExcClass, msg: String, rule: Rule) -> ExcId {
        match frame {
            Some(frame) => self.excs.new_in_caller(frame, class, &msg, rule),
            None => self.raise_builtin(rule, class, msg),
        }
    }

    /// `drive` of a generator that never started: its first operation is `close()`, `throw()`
    /// or `send(1)` (SEMANTICS-ADDENDUM §10.1, §10.4), and none of its code runs.
    fn drive_unstarted(&mut self, label: &str, start: Unstarted<'p>) -> Flow {
        let Unstarted { gen, is_async, code, op, thrown, then, by_hand } = start;
        let label = label.to_string();
        let last = match op {
            Op::Next | Op::Send => Awaited::Send,
            Op::Close | Op::Throw | Op::AcloseThrow => Awaited::CloseOrThrow,
        };
        let finished = Finished { label: label.clone(), is_async, then, thrown, last, by_hand, suspended: false };
        match op {
            Op::Send => {
                // The TypeError, raised before anything runs; drive's finally closes the
                // generator, which never started, so nothing of it runs then either.
                self.hit(Rule::GenSendJustStarted);
                let msg = message::send_just_started(code);
                Flow::Raise(self.raise_builtin(Rule::GenSendJustStarted, ExcClass::TypeError, msg))
            }
            Op::Close => {
                self.hit(Rule::GenCloseUnstarted);
                self.emit(Event::GenClosed { label, value: None });
                self.then_finished(finished)
            }
            Op::AcloseThrow => {
                let arg = thrown.expect("throw has its argument");
                let x = match self.thrown_exc(arg, None) {
                    Ok(x) => x,
                    Err(err) => return self.unstarted_refused(gen, finished, err),
                };
                self.hit(Rule::GenThrowUnstarted);
                // Nothing to chain it to: the throw leaves its context as it was.
                self.excs.stamp_context(x, Rule::GenThrowUnstarted);
                self.hit(Rule::AsyncGenAcloseThrow);
                let x = if self.quirks.throw_into_unstarted_skips_frame { x } else { self.pep479(x, code) };
                let class = self.excs.get(x).class;
                let closes = exc::is_subclass(class, ExcClass::GeneratorExit)
                    || exc::is_subclass(class, ExcClass::StopAsyncIteration)
                    || exc::is_subclass(class, ExcClass::StopIteration);
                if closes {
                    // Read as aclose() reads GeneratorExit (a StopIteration ends the awaitable
                    // itself): the generator is closed.
                    self.emit(Event::GenClosed { label, value: None });
                    return self.then_finished(finished);
                }
                self.first_throw_raised(finished, x)
            }
            Op::Throw => {
                let arg = thrown.expect("throw has its argument");
                let x = match self.thrown_exc(arg, None) {
                    Ok(x) => x,
                    Err(err) => return self.unstarted_refused(gen, finished, err),
                };
                self.hit(Rule::GenThrowUnstarted);
                // Nothing to chain it to: the throw leaves its context as it was (an
                // implementation that chains it to the caller's exception differs here).
                self.excs.stamp_context(x, Rule::GenThrowUnstarted);
                if by_hand.is_some() {
                    self.hit(Rule::AsyncGenAwaitableThrow);
                }
                if !self.quirks.throw_into_unstarted_skips_frame {
                    // The frame starts with the exception (it handles nothing to chain it to):
                    // PEP 479 at its boundary.
                    let x = self.pep479(x, code);
                    return self.first_throw_raised(finished, x);
                }
                let is_stop = exc::is_subclass(self.excs.get(x).class, ExcClass::StopIteration);
                if is_async && is_stop {
                    // 3.12+: the StopIteration leaves athrow()'s awaitable as it is, which ends
                    // the await with its value: its argument, None when a class was thrown.
                    let value = match arg {
                        ThrowArg::Class(_) => "None".to_string(),
                        _ => self.excs.get(x).msg.clone(),
                    };
                    self.emit(Event::GenYield { label, value });
                    return self.then_finished(finished);
                }
                self.first_throw_raised(finished, x)
            }
            Op::Next => unreachable!("a drive that starts the generator runs it"),
        }
    }

    /// What the first throw into an awaitable by hand raised, the generator finished (or never
    /// started): with `'+again'` (`'+next'`) after it, `adrive` logs it and throws again
    /// (awaits `__anext__()`) (§10.8); else it propagates.
    fn first_throw_raised(&mut self, f: Finished<'p>, x: ExcId) -> Flow {
        if f.by_hand.is_some() && matches!(f.then, Some(Then::Again | Then::Next)) {
            self.log_cleanup(f.label.clone(), x);
            return self.then_finished(f);
        }
        Flow::Raise(x)
    }

    /// The first throw by hand into the awaitable of a generator that never started refused its
    /// argument: the generator is untouched, so `'+next'` after it (logged first) starts it and
    /// runs it to its end as `'all'` does (§10.8); else as [`Machine::first_throw_raised`].
    fn unstarted_refused(&mut self, gen: usize, f: Finished<'p>, err: ExcId) -> Flow {
        static EXHAUST: Drive = Drive::Exhaust;
        if f.by_hand.is_some() && matches!(f.then, Some(Then::Next)) {
            self.log_cleanup(f.label.clone(), err);
            self.hit(Rule::AsyncGenAwaitableThrowNext);
            return self.drive(&f.label, gen, &EXHAUST, None);
        }
        self.first_throw_raised(f, err)
    }

    /// `'+next'` after a throw into an awaitable by hand that left the generator suspended at a
    /// yield (the one it gave, or the one it stayed at): `__anext__()` resumes it there, until
    /// its end (§10.8).
    fn aw_throw_next(&mut self, ctx: &mut GenCtx<'p>) -> Flow {
        let How::Drive(script) = &mut ctx.how else { unreachable!("a driven generator") };
        script.then = None;
        script.exhaust = true;
        script.last = Awaited::Send;
        self.hit(Rule::AsyncGenAwaitableThrowNext);
        ctx.phase = Phase::Advancing;
        Flow::Normal
    }

    /// Whether a throw by hand into awaitable `op` closed it (§10.8): an `__anext__()` one always;
    /// an `aclose()` / `athrow()` one from 3.13, but for an `athrow()` one that passed a
    /// suspension on, or always once it raised "ignored GeneratorExit".
    fn thrown_awaitable_closed(&self, op: AwOp, ignored: bool, suspended: bool) -> bool {
        op == AwOp::Next || ignored || (self.quirks.awaitable_closed_by_throw && !(op == AwOp::Throw && suspended))
    }

    /// "cannot reuse already awaited ...": a throw into a closed awaitable, raised in the caller
    /// of generator frame `frame` (or where the program stands).
    fn thrown_awaitable_reused(&mut self, frame: Option<ExcFrame>, op: AwOp) -> ExcId {
        self.hit(Rule::AsyncGenAwaitableThrowReused);
        let msg = message::cannot_reuse(op != AwOp::Next);
        self.raised_in_caller(frame, ExcClass::RuntimeError, msg, Rule::AsyncGenAwaitableThrowReused)
    }

    /// `'+again'` after a throw into an awaitable by hand, the generator suspended at a yield:
    /// "cannot reuse" when the first closed it, else the same throw again.
    fn aw_throw_again(&mut self, ctx: &mut GenCtx<'p>, op: AwOp, ignored: bool) -> Flow {
        let How::Drive(script) = &mut ctx.how else { unreachable!("a driven generator") };
        script.then = None;
        if self.thrown_awaitable_closed(op, ignored, ctx.athrow_suspended) {
            let err = self.thrown_awaitable_reused(Some(ctx.frame), op);
            return self.pending(ctx, err);
        }
        self.hit(Rule::AsyncGenAwaitableThrowAgain);
        script.ops.push_back(if op == AwOp::Close { Op::AcloseThrow } else { Op::Throw });
        self.next_op(ctx)
    }

    /// What the first throw by hand raised while the generator stays suspended (a refused
    /// argument, "ignored GeneratorExit"): with `'+again'` logged and the throw made again, else
    /// propagated with the generator finished by `adrive`'s finally.
    fn first_throw_refused(&mut self, ctx: &mut GenCtx<'p>, err: ExcId, ignored: bool) -> Flow {
        let How::Drive(script) = &ctx.how else { unreachable!("a driven generator") };
        match (script.by_hand, script.then) {
            (Some(op), Some(Then::Again)) => {
                self.log_cleanup(ctx.label.clone(), err);
                self.aw_throw_again(ctx, op, ignored)
            }
            (Some(_), Some(Then::Next)) => {
                self.log_cleanup(ctx.label.clone(), err);
                self.aw_throw_next(ctx)
            }
            _ => self.pending(ctx, err),
        }
    }

    /// `then` on a generator that has finished: after `Drive::Exhaust`, after a `close()` that
    /// returned, or on one that never started and was closed or thrown into
    /// (SEMANTICS-ADDENDUM §10.2, §10.5).
    fn then_finished(&mut self, f: Finished<'p>) -> Flow {
        let Some(then) = f.then else { return Flow::Normal };
        match then {
            Then::Close => {
                self.hit(Rule::GenCloseFinished);
                self.emit(Event::GenClosed { label: f.label, value: None });
                Flow::Normal
            }
            Then::Throw(_) => {
                if f.is_async {
                    // athrow() on a finished async generator: StopIteration, so the await gives
                    // None, whatever it was given (its arguments are not even checked).
                    self.hit(Rule::AsyncGenAthrowFinished);
                    self.emit(Event::GenYield { label: f.label, value: "None".to_string() });
                    return Flow::Normal;
                }
                let arg = f.thrown.expect("throw has its argument");
                let x = match self.thrown_exc(arg, None) {
                    Ok(x) => x,
                    Err(err) => return Flow::Raise(err),
                };
                self.hit(Rule::GenThrowFinished);
                // Restored as it is: no chaining, and no frame for PEP 479.
                self.excs.stamp_context(x, Rule::GenThrowFinished);
                Flow::Raise(x)
            }
            Then::Next => {
                // The throw by hand (or the drive to exhaustion) finished the generator:
                // __anext__() raises StopAsyncIteration at once.
                let rule = if f.by_hand.is_some() {
                    Rule::AsyncGenAwaitableThrowNextFinished
                } else {
                    Rule::AsyncGenExhausted
                };
                self.hit(rule);
                self.emit(Event::GenEnd { label: f.label });
                Flow::Normal
            }
            Then::Again => {
                if let Some(op) = f.by_hand {
                    return self.aw_throw_again_finished(f, op);
                }
                self.hit(Rule::AsyncGenAwaitableReused);
                let msg = message::cannot_reuse(f.last == Awaited::CloseOrThrow);
                Flow::Raise(self.raise_builtin(Rule::AsyncGenAwaitableReused, ExcClass::RuntimeError, msg))
            }
        }
    }

    /// `'+again'` after a throw into an awaitable by hand, the generator finished (or never
    /// started, its argument refused): "cannot reuse" when the first throw closed the awaitable;
    /// else the argument goes to the generator again, which raises it as it is, and what comes
    /// out is read as the first time (§10.8).
    fn aw_throw_again_finished(&mut self, f: Finished<'p>, op: AwOp) -> Flow {
        if self.thrown_awaitable_closed(op, false, f.suspended) {
            return Flow::Raise(self.thrown_awaitable_reused(None, op));
        }
        self.hit(Rule::AsyncGenAwaitableThrowAgain);
        let arg = f.thrown.expect("throw has its argument");
        let x = match self.thrown_exc(arg, None) {
            Ok(x) => x,
            Err(err) => return Flow::Raise(err),
        };
        let class = self.excs.get(x).class;
        let is_stop = exc::is_subclass(class, ExcClass::StopIteration);
        if op == AwOp::Close
            && (is_stop
                || exc::is_subclass(class, ExcClass::GeneratorExit)
                || exc::is_subclass(class, ExcClass::StopAsyncIteration))
        {
            self.emit(Event::GenClosed { label: f.label, value: None });
            return Flow::Normal;
        }
        if op == AwOp::Throw && is_stop {
            // The StopIteration ends the awaitable with its value.
            let value = match arg {
                ThrowArg::Class(_) => "None".to_string(),
                _ => self.excs.get(x).msg.clone(),
            };
            self.emit(Event::GenYield { label: f.label, value });
            return Flow::Normal;
        }
        Flow::Raise(x)
    }

    /// Resuming the generator with an exception (`close()`, `throw()`) chains it to the
    /// generator's own handled exception, and only to that (`_PyErr_ChainStackItem`). 3.8 does
    /// not chain at all (observed: CPython 3.8.18 does not, 3.9.18 does).
    /// Under `yield from` the exception goes to the innermost generator, the one suspended at a
    /// `yield` ([`GenCtx::leaf`]).
    fn throw_in(&mut self, ctx: &GenCtx<'_>, x: ExcId) -> Flow {
        self.throw_into(ctx.leaf.unwrap_or(ctx.frame), x)
    }

    /// `x` resumes the generator of frame `frame` where it is suspended: chained to its own
    /// handled exception (3.9+).
    pub(crate) fn throw_into(&mut self, frame: ExcFrame, x: ExcId) -> Flow {
        self.excs.raised_again(x);
        if self.quirks.generator_throw_chains_to_handled && self.excs.own_handled(frame).is_some() {
            self.hit(Rule::GenThrowChained);
            Flow::Raise(self.raise_chained_by(x, Rule::GenThrowChained))
        } else {
            if self.quirks.generator_throw_chains_to_handled && self.excs.context(x).0.is_none() {
                // The throw leaves it without a context: a context there is the throw's doing (one
                // it had, as close() gives in the caller, stays the doing of what gave it).
                self.excs.stamp_context(x, Rule::GenThrowChained);
            }
            Flow::Raise(x)
        }
    }

    /// `close()` / `aclose()`: GeneratorExit in. close() raises it in the caller, chained to
    /// what the caller handles; aclose() restores it without a value, so it is not (CPython
    /// 3.8 to 3.13 alike).
    fn close_in(&mut self, ctx: &mut GenCtx<'_>) -> Flow {
        ctx.closed = true;
        let rule = if ctx.is_async { Rule::AsyncGenClose } else { Rule::GenClose };
        let x = if ctx.is_async {
            self.excs.new_exc(ExcClass::GeneratorExit, String::new(), rule)
        } else {
            self.excs.new_in_caller(ctx.frame, ExcClass::GeneratorExit, "", rule)
        };
        self.throw_in(ctx, x)
    }

    /// A suspension of the code running reaches main's driver: when that passes through an
    /// `athrow()` awaitable `adrive` awaits, the awaitable stays usable after its result (§10.5).
    pub(crate) fn athrow_passes_suspension(&mut self) {
        let driven = self.frames.iter_mut().rev().find_map(|f| match &mut f.role {
            Role::Driven(ctx) => Some(ctx),
            _ => None,
        });
        let mut unmodelled = false;
        if let Some(ctx) = driven {
            if ctx.is_async && ctx.phase == Phase::Thrown {
                ctx.athrow_suspended = true;
            }
            let by_hand = match &ctx.how {
                How::Drive(script) => script.by_hand,
                How::Step(_) => None,
            };
            unmodelled = matches!(by_hand, Some(AwOp::Close | AwOp::Throw))
                && matches!(ctx.phase, Phase::Thrown | Phase::Closing);
        }
        if unmodelled && !self.quirks.awaitable_closed_by_throw {
            // 3.8-3.12: throw() leaves an aclose() / athrow() awaitable in its initial state, so
            // the send that resumes it after the suspension starts it: it throws its own argument
            // (GeneratorExit for aclose()) into the generator suspended in an await (§10.8).
            self.give_up(
                "a throw by hand into an aclose()/athrow() awaitable that passes a suspension on, before 3.13",
            );
        }
    }

    /// "generator ignored GeneratorExit": the RuntimeError `close()` (`aclose()`) raises in the
    /// caller of generator frame `frame` when the generator yields instead of finishing.
    pub(crate) fn ignored_generator_exit(&mut self, frame: ExcFrame, code: Code) -> ExcId {
        let msg = message::ignored_generator_exit(code);
        let rule = if code == Code::AsyncGenerator { Rule::AsyncGenCloseIgnored } else { Rule::GenCloseIgnored };
        self.excs.new_in_caller(frame, ExcClass::RuntimeError, &msg, rule)
    }

    /// The generator reached `yield label`. Returns what the `yield` expression does when the
    /// generator is resumed: `Normal` (a `next()`), or `Raise` (a `close()` or `throw()`).
    pub(crate) fn on_yield(&mut self, ctx: &mut GenCtx<'p>, value: &str) -> Flow {
        match ctx.how {
            How::Drive(_) => self.drive_at_yield(ctx, value),
            How::Step(_) => self.step_at_yield(ctx, value),
        }
    }

    pub(crate) fn drive_at_yield(&mut self, ctx: &mut GenCtx<'p>, value: &str) -> Flow {
        let label = ctx.label.clone();
        let is_async = ctx.is_async;
        match ctx.phase {
            Phase::Again => self.next_op(ctx),
            Phase::Advancing | Phase::Sent | Phase::Thrown => {
                if ctx.phase == Phase::Thrown && is_async {
                    self.hit(Rule::AsyncGenThrowYields);
                }
                if ctx.phase == Phase::Advancing {
                    ctx.n += 1;
                }
                self.emit(Event::GenYield { label, value: value.to_string() });
                self.next_op(ctx)
            }
            Phase::Closing => {
                // close() got a value back: "generator ignored GeneratorExit", raised in the
                // caller; then drive's finally closes the generator again (an async one, which
                // aclose() marked closed, is resumed instead).
                self.rule(is_async, Rule::GenCloseIgnored, Rule::AsyncGenCloseIgnored);
                let err = self.ignored_generator_exit(ctx.frame, ctx.code());
                self.first_throw_refused(ctx, err, true)
            }
            Phase::Cleanup { pending } => {
                // The cleanup close() was ignored too: drive catches and logs the RuntimeError,
                // then closes again (resumes an async one).
                self.rule(is_async, Rule::GenCloseIgnored, Rule::AsyncGenCloseIgnored);
                let err = self.ignored_generator_exit(ctx.frame, ctx.code());
                self.log_cleanup(label, err);
                if is_async {
                    ctx.phase = Phase::Resume { pending };
                    return Flow::Normal;
                }
                self.close_in(ctx)
            }
            Phase::Resume { .. } => {
                self.emit(Event::GenYield { label, value: value.to_string() });
                Flow::Normal
            }
        }
    }

    /// The driver's next operation on the generator suspended at a yield: what the `yield`
    /// expression does.
    fn next_op(&mut self, ctx: &mut GenCtx<'p>) -> Flow {
        let is_async = ctx.is_async;
        let How::Drive(script) = &mut ctx.how else { unreachable!("a driven generator") };
        let by_hand = script.by_hand;
        let op = match script.ops.pop_front() {
            Some(op) => Some(op),
            None if script.exhaust => Some(Op::Next),
            None => match script.then.take() {
                None => None,
                Some(Then::Again) if by_hand.is_some() => {
                    let op = by_hand.expect("matched");
                    return self.aw_throw_again(ctx, op, false);
                }
                Some(Then::Next) => return self.aw_throw_next(ctx),
                Some(Then::Close) => Some(Op::Close),
                Some(Then::Throw(_)) => Some(Op::Throw),
                Some(Then::Again) if script.last == Awaited::CloseOrThrow && ctx.athrow_suspended => {
                    // An athrow() awaitable that passed a suspension on is left iterating, not
                    // closed: awaited again, it sends None into the generator.
                    self.hit(Rule::AsyncGenAthrowReusable);
                    ctx.phase = Phase::Again;
                    return Flow::Normal;
                }
                Some(Then::Again) => {
                    // The last awaitable again: "cannot reuse", raised in adrive while the
                    // generator stays suspended, for the finally to finish.
                    self.hit(Rule::AsyncGenAwaitableReused);
                    let msg = message::cannot_reuse(script.last == Awaited::CloseOrThrow);
                    let rule = Rule::AsyncGenAwaitableReused;
                    let err = self.excs.new_in_caller(ctx.frame, ExcClass::RuntimeError, &msg, rule);
                    return self.pending(ctx, err);
                }
            },
        };
        match op {
            None => {
                // Done: drive's finally closes what is left suspended.
                ctx.phase = Phase::Cleanup { pending: None };
                self.close_in(ctx)
            }
            Some(Op::Next) => {
                script.last = Awaited::Send;
                ctx.phase = Phase::Advancing;
                Flow::Normal
            }
            Some(Op::Send) => {
                script.last = Awaited::Send;
                ctx.phase = Phase::Sent;
                Flow::Normal
            }
            Some(Op::Close) => {
                script.last = Awaited::CloseOrThrow;
                self.rule(is_async, Rule::GenClose, Rule::AsyncGenClose);
                ctx.phase = Phase::Closing;
                self.close_in(ctx)
            }
            Some(Op::AcloseThrow) => {
                script.last = Awaited::CloseOrThrow;
                ctx.athrow_suspended = false;
                let arg = script.thrown.expect("throw has its argument");
                match self.thrown_exc(arg, Some(ctx.frame)) {
                    Ok(x) => {
                        // Unlike aclose() awaited, throw() does not mark the generator
                        // closed: adrive's finally closes it with aclose() still.
                        self.hit(Rule::AsyncGenAcloseThrow);
                        ctx.phase = Phase::Closing;
                        self.throw_in(ctx, x)
                    }
                    Err(err) => self.first_throw_refused(ctx, err, false),
                }
            }
            Some(Op::Throw) => {
                script.last = Awaited::CloseOrThrow;
                ctx.athrow_suspended = false;
                let arg = script.thrown.expect("throw has its argument");
                match self.thrown_exc(arg, Some(ctx.frame)) {
                    Ok(x) => {
                        self.rule(is_async, Rule::GenThrow, Rule::AsyncGenThrow);
                        if by_hand.is_some() {
                            self.hit(Rule::AsyncGenAwaitableThrow);
                        }
                        // A coroutine is suspended in an awaitable's iterator, a generator:
                        // PEP 479 there first.
                        let x = if ctx.coro { self.pep479(x, Code::Generator) } else { x };
                        ctx.phase = Phase::Thrown;
                        match ctx.leaf {
                            Some(leaf) if self.is_generator_exit(x) => {
                                // A GeneratorExit thrown into a delegating generator closes the
                                // delegated ones instead; it is thrown in itself once they are.
                                self.hit(Rule::YieldFromThrowGeneratorExit);
                                ctx.delegated_ge = Some(x);
                                let rule = Rule::YieldFromThrowGeneratorExit;
                                let ge = self.excs.new_in_caller(ctx.frame, ExcClass::GeneratorExit, "", rule);
                                self.throw_into(leaf, ge)
                            }
                            _ => self.throw_in(ctx, x),
                        }
                    }
                    // A coroutine is suspended in an awaitable's iterator, which refuses the
                    // arguments; the coroutine lets go of the iterator (nothing of it runs) and
                    // gets the TypeError at its `await`, as any exception the iterator raised.
                    Err(err) if ctx.coro => {
                        self.hit(Rule::CoroutineThrowRefused);
                        ctx.phase = Phase::Thrown;
                        self.throw_in(ctx, err)
                    }
                    Err(err) => {
                        if ctx.leaf.is_some() {
                            // Refused by the delegated generator, which the delegating one lets
                            // go of at once: its finalizer closes it (CPython's reference counting;
                            // another implementation's collector some time later), then the
                            // TypeError is thrown in at `yield from`.
                            self.give_up("throw() refused by a generator under yield from, which is finalized by the garbage collector");
                        }
                        // Refused before the generator is touched: drive propagates the TypeError.
                        self.first_throw_refused(ctx, err, false)
                    }
                }
            }
        }
    }

    /// `err` was raised in the driver while the generator is suspended: its finally finishes the
    /// generator (closes it, or resumes one `aclose()` left suspended), then re-raises `err`.
    fn pending(&mut self, ctx: &mut GenCtx<'_>, err: ExcId) -> Flow {
        self.excs.push_handled_below(ctx.frame, err);
        if ctx.is_async && ctx.closed {
            ctx.phase = Phase::Resume { pending: Some(err) };
            return Flow::Normal;
        }
        ctx.phase = Phase::Cleanup { pending: Some(err) };
        self.close_in(ctx)
    }

    /// The generator's frame is done with `flow`; what the driver does then. Gives what the
    /// driver propagates, or what `then` needs when it comes next, on the finished generator.
    fn gen_finished(&mut self, ctx: GenCtx<'p>, flow: Flow) -> (Flow, Option<Finished<'p>>) {
        let is_async = ctx.is_async;
        let flow = self.leave_frame(flow, ctx.code());
        let label = ctx.label.clone();
        let How::Drive(script) = &ctx.how else { unreachable!("a driven generator") };
        let suspended = ctx.athrow_suspended;
        let finished = |label: String| Finished {
            label,
            is_async,
            then: script.then,
            thrown: script.thrown,
            last: script.last,
            by_hand: script.by_hand,
            suspended,
        };
        // The first throw into an awaitable by hand raised, and '+again' ('+next') follows: adrive
        // logs it.
        let first_by_hand = script.by_hand.is_some()
            && matches!(script.then, Some(Then::Again | Then::Next))
            && matches!(ctx.phase, Phase::Thrown | Phase::Closing);
        let res = match ctx.phase {
            Phase::Advancing => match flow {
                Flow::Raise(x) => Flow::Raise(x),
                _ => {
                    self.rule(is_async, Rule::GenExhausted, Rule::AsyncGenExhausted);
                    self.emit(Event::GenEnd { label: label.clone() });
                    // `then` follows only a drive to exhaustion; one that ended before its
                    // k items returns.
                    if script.exhaust {
                        return (Flow::Normal, Some(finished(label)));
                    }
                    Flow::Normal
                }
            },
            Phase::Closing => match flow {
                Flow::Raise(x) if !self.is_generator_exit(x) => {
                    self.rule(is_async, Rule::GenCloseRaises, Rule::AsyncGenCloseRaises);
                    Flow::Raise(x)
                }
                flow => {
                    let value = match flow {
                        Flow::Return(v) if !matches!(v, Val::None) => {
                            self.hit(Rule::GenCloseReturnsValue);
                            self.quirks.close_returns_generator_value.then(|| self.show(&v))
                        }
                        _ => None,
                    };
                    self.emit(Event::GenClosed { label: label.clone(), value });
                    return (Flow::Normal, Some(finished(label)));
                }
            },
            Phase::Thrown | Phase::Sent | Phase::Again => {
                let sent = ctx.phase != Phase::Thrown;
                match flow {
                    Flow::Raise(x) => Flow::Raise(x),
                    Flow::Return(v) => self.stop_iteration_in_caller(&ctx, Some(v), sent),
                    _ => self.stop_iteration_in_caller(&ctx, None, sent),
                }
            }
            Phase::Cleanup { pending } => {
                if let Flow::Raise(x) = flow {
                    if !self.is_generator_exit(x) {
                        // Caught by drive's cleanup loop and logged.
                        self.log_cleanup(label, x);
                    }
                }
                match pending {
                    Some(p) => Flow::Raise(p),
                    None => Flow::Normal,
                }
            }
            Phase::Resume { pending } => {
                match flow {
                    // asend raised it: caught by the cleanup loop and logged.
                    Flow::Raise(x) => {
                        self.log_cleanup(label, x);
                    }
                    // asend raised StopAsyncIteration.
                    _ => self.emit(Event::GenEnd { label }),
                }
                match pending {
                    Some(p) => Flow::Raise(p),
                    None => Flow::Normal,
                }
            }
        };
        match res {
            Flow::Raise(x) if first_by_hand => {
                self.log_cleanup(ctx.label.clone(), x);
                (Flow::Normal, Some(finished(ctx.label.clone())))
            }
            res => (res, None),
        }
    }

    /// The driver's cleanup loop caught `x` while it closed the generator, and logs it.
    fn log_cleanup(&mut self, label: String, x: ExcId) {
        let exc = self.excs.observe(Some(x)).expect("an exception");
        self.emit(Event::GenCleanup { label, exc });
    }

    pub(crate) fn is_generator_exit(&self, x: ExcId) -> bool {
        exc::is_subclass(self.excs.get(x).class, ExcClass::GeneratorExit)
    }

    /// `throw()` (`send(1)` when `sent`) on a generator that then returned: StopIteration(value)
    /// in the caller; for an async generator, `athrow()` (`asend(1)`) raises StopAsyncIteration.
    fn stop_iteration_in_caller(&mut self, ctx: &GenCtx<'_>, value: Option<Val>, sent: bool) -> Flow {
        let rule = match (sent, ctx.is_async) {
            (false, false) => Rule::GenThrowReturns,
            (false, true) => Rule::AsyncGenThrowReturns,
            (true, false) => Rule::GenExhausted,
            (true, true) => Rule::AsyncGenExhausted,
        };
        self.hit(rule);
        if ctx.is_async {
            return Flow::Raise(self.excs.new_in_caller(ctx.frame, ExcClass::StopAsyncIteration, "", rule));
        }
        Flow::Raise(self.stop_iteration(ctx.frame, value, rule))
    }

    /// The StopIteration that `next()` / `throw()` raise in the caller of generator frame
    /// `frame` when the generator returns `value`: `StopIteration()` for `None`, else
    /// `StopIteration(value)`, whose `str()` is `str(value)`. `rule` is why the generator returned.
    /// It is chained to the exception the caller handles, but from 3.14 on not when it carries a
    /// value (`_PyGen_SetStopIterationValue` raises it with `PyErr_SetRaisedException`).
    pub(crate) fn stop_iteration(&mut self, frame: ExcFrame, value: Option<Val>, rule: Rule) -> ExcId {
        let msg = match &value {
            None | Some(Val::None) => String::new(),
            Some(Val::Str(s)) => s.clone(),
            Some(v) => self.show(v),
        };
        let carries_value = !matches!(value, None | Some(Val::None));
        if carries_value && self.quirks.stop_iteration_value_unchained {
            return self.excs.new_exc(ExcClass::StopIteration, msg, rule);
        }
        self.excs.new_in_caller(frame, ExcClass::StopIteration, &msg, rule)
    }

    // ---- closing(g0()) and step ----

    /// The body of `with closing(g0()) as var:` (or `aclosing`), whose top-level `step`
    /// statements advance the generator. When the body ends while the generator is suspended,
    /// `closing` closes it there and then; its exit reports what `close()` gave.
    pub(crate) fn stepped_body(&mut self, var: &str, body: &'p [Stmt]) -> Flow {
        let Val::Gen { gen, obj } = self.var(var) else { unreachable!("closing's enter gives the generator") };
        let mut pos = 0;
        let mut order = None;
        loop {
            let (label, k) = match self.run_segment(body, &mut pos) {
                Err(flow) => return flow,
                Ok(step) => step,
            };
            let order = *order.get_or_insert_with(|| self.finish.track());
            match self.heap.gen(obj) {
                GenState::Finished => {
                    // next() on a finished generator: StopIteration, which step catches.
                    self.emit(Event::GenEnd { label });
                }
                GenState::Created => {
                    if let Some(flow) = self.run_stepped(gen, obj, order, label, k, body, &mut pos) {
                        return flow;
                    }
                }
                GenState::Closed(_) => unreachable!("the generator is closed only when the body ends"),
            }
        }
    }

    /// Runs statements of a stepped body from `pos` to the next `step`, which it gives (label,
    /// k), or to the end of the body, or to a statement that does not end normally.
    fn run_segment(&mut self, body: &'p [Stmt], pos: &mut usize) -> Result<(String, u8), Flow> {
        while let Some(s) = body.get(*pos) {
            *pos += 1;
            if let Stmt::Step { label, k, .. } = s {
                return Ok((label.clone(), *k));
            }
            let flow = self.stmt(s);
            if !matches!(flow, Flow::Normal) {
                *pos = body.len();
                return Err(flow);
            }
        }
        Err(Flow::Normal)
    }

    /// Starts the generator at a step and runs it to its end; meanwhile the body runs at its
    /// yields. Gives how the body ended, if it did while the generator was suspended, or
    /// `None` when the generator finished during a step and the body goes on; a step that
    /// raised gives the body's end too.
    #[allow(clippy::too_many_arguments)]
    fn run_stepped(
        &mut self,
        gen: usize,
        obj: GenId,
        order: usize,
        label: String,
        k: u8,
        body: &'p [Stmt],
        pos: &mut usize,
    ) -> Option<Flow> {
        let g = &self.program.gens[gen];
        let frame = self.excs.push_frame();
        let stepping = Stepping {
            k,
            body,
            pos: *pos,
            ended: None,
            pending: None,
            obj,
            order,
            first_label: label.clone(),
            after_main: None,
        };
        let ctx = GenCtx {
            label,
            how: How::Step(Box::new(stepping)),
            n: 0,
            phase: Phase::Advancing,
            frame,
            is_async: g.is_async_gen(),
            coro: g.is_coroutine(),
            leaf: None,
            delegated_ge: None,
            closed: false,
            athrow_suspended: false,
        };
        assert!(self.in_main(), "steps are not inside generators");
        let (flow, role) = self.in_frame(Role::Driven(ctx), |m| m.block(&g.body));
        let Role::Driven(mut ctx) = role else { unreachable!("the frame pushed above") };
        let How::Step(stepping) = std::mem::replace(&mut ctx.how, How::Drive(Script::default())) else {
            unreachable!("a stepped generator")
        };
        *pos = stepping.pos;
        let pending = stepping.pending.is_some();
        let res = self.stepped_finished(ctx, *stepping, flow);
        self.excs.pop_frame(frame);
        if pending {
            // closing's exit is over with the body's exception.
            self.excs.pop_handled();
        }
        res
    }

    fn stepped_finished(&mut self, ctx: GenCtx<'_>, stepping: Stepping<'_>, flow: Flow) -> Option<Flow> {
        let is_async = ctx.is_async;
        let flow = self.leave_generator(flow, is_async);
        let label = ctx.label.clone();
        if let Some((main_events, below)) = stepping.after_main {
            let label = stepping.first_label.clone();
            // `_finish` is done with it: what it logged comes after the outcome.
            match flow {
                Flow::Raise(x) if is_async || !self.is_generator_exit(x) => {
                    self.log_cleanup(label, x);
                }
                Flow::Raise(_) => {}
                _ if is_async => self.emit(Event::GenEnd { label }),
                _ => {}
            }
            let finished = self.recorder.put_back(main_events);
            self.finish.finished.push((stepping.order, finished));
            self.excs.restore_below(below);
            return stepping.ended;
        }
        match ctx.phase {
            Phase::Advancing => {
                // It finished during a step: the step logged the end, or let its exception out.
                self.heap.set_gen(stepping.obj, GenState::Finished);
                match flow {
                    Flow::Raise(x) => Some(Flow::Raise(x)),
                    _ => {
                        self.emit(Event::GenEnd { label });
                        None
                    }
                }
            }
            Phase::Closing => {
                // closing's close() is over: it returned, or raised what the generator raised.
                let res = match flow {
                    Flow::Raise(x) if !self.is_generator_exit(x) => Some(x),
                    _ => None,
                };
                self.heap.set_gen(stepping.obj, GenState::Closed(res));
                stepping.ended
            }
            _ => unreachable!("a stepped generator is advanced, then closed"),
        }
    }

    fn step_at_yield(&mut self, ctx: &mut GenCtx<'p>, value: &str) -> Flow {
        let is_async = ctx.is_async;
        let How::Step(stepping) = &mut ctx.how else { unreachable!("a stepped generator") };
        let label = if stepping.after_main.is_some() { stepping.first_label.clone() } else { ctx.label.clone() };
        if stepping.after_main.is_some() {
            // `_finish`: close() again (an async one, aclose()d already, is resumed).
            if is_async {
                self.emit(Event::GenYield { label, value: value.to_string() });
                return Flow::Normal;
            }
            self.hit(Rule::GenCloseIgnored);
            let err = self.ignored_generator_exit(ctx.frame, Code::Generator);
            self.log_cleanup(label, err);
            return self.close_in(ctx);
        }
        match ctx.phase {
            Phase::Advancing => {
                self.emit(Event::GenYield { label, value: value.to_string() });
                ctx.n += 1;
                if ctx.n < stepping.k {
                    return Flow::Normal;
                }
                // The step is done: the body goes on, with the generator suspended.
                let body = stepping.body;
                let mut pos = stepping.pos;
                let own = self.excs.suspend_frame(ctx.frame);
                let seg = self.run_segment(body, &mut pos);
                ctx.frame = self.excs.resume_frame(own);
                stepping.pos = pos;
                match seg {
                    Ok((next_label, k)) => {
                        ctx.label = next_label;
                        stepping.k = k;
                        ctx.n = 0;
                        Flow::Normal
                    }
                    Err(flow) => {
                        // The body ended: closing closes the generator, with the body's
                        // exception handled meanwhile.
                        self.rule(is_async, Rule::ClosingGen, Rule::AclosingGen);
                        if let Flow::Raise(e) = flow {
                            self.excs.push_handled_below(ctx.frame, e);
                            stepping.pending = Some(e);
                        }
                        stepping.ended = Some(flow);
                        ctx.phase = Phase::Closing;
                        self.close_in(ctx)
                    }
                }
            }
            Phase::Closing => {
                // It ignored GeneratorExit: close() raises in closing's exit and the generator
                // stays suspended, for `_finish` to finish after main. That runs now, with its
                // events set aside and nothing handled below it.
                self.rule(is_async, Rule::GenCloseIgnored, Rule::AsyncGenCloseIgnored);
                let err = self.ignored_generator_exit(ctx.frame, Code::of_generator(is_async));
                self.heap.set_gen(stepping.obj, GenState::Closed(Some(err)));
                let below = self.excs.clear_below(ctx.frame);
                let main_events = self.recorder.set_aside();
                stepping.after_main = Some((main_events, below));
                if is_async {
                    return Flow::Normal;
                }
                self.close_in(ctx)
            }
            _ => unreachable!("a stepped generator is advanced, then closed"),
        }
    }
}
