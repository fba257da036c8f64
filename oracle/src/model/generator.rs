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

use crate::ir::{Drive, ExcClass, Stmt};
use crate::trace::Event;

use super::exc::{self, ExcFrame, ExcId, SetAside};
use super::heap::{GenId, GenState};
use super::message;
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
    /// The label of the `drive` or of the current `step`.
    label: String,
    /// How `drive` runs it; a stepped generator is advanced k items at a time.
    how: How<'p>,
    /// Items received so far (in the current step).
    n: u8,
    phase: Phase,
    /// The generator's frame in the handled stack.
    frame: ExcFrame,
    /// The object `throw()` throws, created when `main` evaluated the call.
    thrown: Option<ExcId>,
    /// An async generator (`adrive`, `astep`).
    is_async: bool,
    /// `aclose()` was called: from then on `athrow()` and `aclose()` only raise
    /// StopAsyncIteration while it is suspended, so the drivers finish it with `asend`.
    closed: bool,
}

#[derive(Clone, Debug)]
enum How<'p> {
    Drive(Drive),
    Step(Box<Stepping<'p>>),
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// `next()` / `asend(None)` calls.
    Advancing,
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

impl<'p> Machine<'p> {
    /// `drive('d1', g0(), how, k, exc)`, or `await adrive(...)` for an async generator.
    pub(crate) fn drive(&mut self, label: &str, gen: usize, how: &Drive) -> Flow {
        let thrown = match how {
            Drive::Throw(_, e) => Some(self.instantiate(e)),
            Drive::Exhaust | Drive::Close(_) => None,
        };
        let g = &self.program.gens[gen];
        let frame = self.excs.push_frame();
        let ctx = GenCtx {
            label: label.to_string(),
            how: How::Drive(how.clone()),
            n: 0,
            phase: Phase::Advancing,
            frame,
            thrown,
            is_async: g.is_async,
            closed: false,
        };
        let (flow, role) = self.in_frame(Role::Driven(ctx), |m| m.block(&g.body));
        let Role::Driven(ctx) = role else { unreachable!("the frame pushed above") };
        let pending = matches!(ctx.phase, Phase::Cleanup { pending: Some(_) } | Phase::Resume { pending: Some(_) });
        let res = self.gen_finished(ctx, flow);
        self.excs.pop_frame(frame);
        if pending {
            // drive's finally is over: it re-raises what it was propagating.
            self.excs.pop_handled();
        }
        res
    }

    /// Resuming the generator with an exception (`close()`, `throw()`) chains it to the
    /// generator's own handled exception, and only to that (`_PyErr_ChainStackItem`). 3.8 does
    /// not chain at all (observed: CPython 3.8.18 does not, 3.9.18 does).
    fn throw_in(&mut self, ctx: &GenCtx<'_>, x: ExcId) -> Flow {
        if self.quirks.generator_throw_chains_to_handled && self.excs.own_handled(ctx.frame).is_some() {
            self.hit(Rule::GenThrowChained);
            Flow::Raise(self.raise_chained_by(x, Rule::GenThrowChained))
        } else {
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

    /// "generator ignored GeneratorExit": the RuntimeError `close()` (`aclose()`) raises in the
    /// caller of generator frame `frame` when the generator yields instead of finishing.
    pub(crate) fn ignored_generator_exit(&mut self, frame: ExcFrame, is_async: bool) -> ExcId {
        let msg = message::ignored_generator_exit(is_async);
        let rule = if is_async { Rule::AsyncGenCloseIgnored } else { Rule::GenCloseIgnored };
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

    fn drive_at_yield(&mut self, ctx: &mut GenCtx<'_>, value: &str) -> Flow {
        let label = ctx.label.clone();
        let How::Drive(how) = &ctx.how else { unreachable!("a driven generator") };
        let how = how.clone();
        let is_async = ctx.is_async;
        match ctx.phase {
            Phase::Advancing => {
                self.emit(Event::GenYield { label, value: value.to_string() });
                ctx.n += 1;
                match how {
                    Drive::Exhaust => Flow::Normal,
                    Drive::Close(k) | Drive::Throw(k, _) if ctx.n < k => Flow::Normal,
                    Drive::Close(_) => {
                        self.rule(is_async, Rule::GenClose, Rule::AsyncGenClose);
                        ctx.phase = Phase::Closing;
                        self.close_in(ctx)
                    }
                    Drive::Throw(..) => {
                        self.rule(is_async, Rule::GenThrow, Rule::AsyncGenThrow);
                        ctx.phase = Phase::Thrown;
                        let x = ctx.thrown.expect("throw has its exception");
                        self.throw_in(ctx, x)
                    }
                }
            }
            Phase::Closing => {
                // close() got a value back: "generator ignored GeneratorExit", raised in the
                // caller; then drive's finally closes the generator again (an async one, which
                // aclose() marked closed, is resumed instead).
                self.rule(is_async, Rule::GenCloseIgnored, Rule::AsyncGenCloseIgnored);
                let err = self.ignored_generator_exit(ctx.frame, is_async);
                self.excs.push_handled_below(ctx.frame, err);
                if is_async {
                    ctx.phase = Phase::Resume { pending: Some(err) };
                    return Flow::Normal;
                }
                ctx.phase = Phase::Cleanup { pending: Some(err) };
                self.close_in(ctx)
            }
            Phase::Thrown => {
                // throw() returned the next value; drive logs it, then its finally closes.
                if is_async {
                    self.hit(Rule::AsyncGenThrowYields);
                }
                self.emit(Event::GenYield { label, value: value.to_string() });
                ctx.phase = Phase::Cleanup { pending: None };
                self.close_in(ctx)
            }
            Phase::Cleanup { pending } => {
                // The cleanup close() was ignored too: drive catches and logs the RuntimeError,
                // then closes again (resumes an async one).
                self.rule(is_async, Rule::GenCloseIgnored, Rule::AsyncGenCloseIgnored);
                let err = self.ignored_generator_exit(ctx.frame, is_async);
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

    /// The generator's frame is done with `flow`; what the driver does then.
    fn gen_finished(&mut self, ctx: GenCtx<'_>, flow: Flow) -> Flow {
        let is_async = ctx.is_async;
        let flow = self.leave_generator(flow, is_async);
        let label = ctx.label.clone();
        match ctx.phase {
            Phase::Advancing => match flow {
                Flow::Raise(x) => Flow::Raise(x),
                _ => {
                    self.rule(is_async, Rule::GenExhausted, Rule::AsyncGenExhausted);
                    self.emit(Event::GenEnd { label });
                    Flow::Normal
                }
            },
            Phase::Closing => match flow {
                Flow::Raise(x) if !self.is_generator_exit(x) => {
                    self.rule(is_async, Rule::GenCloseRaises, Rule::AsyncGenCloseRaises);
                    Flow::Raise(x)
                }
                _ => {
                    self.emit(Event::GenClosed { label });
                    Flow::Normal
                }
            },
            Phase::Thrown => match flow {
                Flow::Raise(x) => Flow::Raise(x),
                Flow::Return(v) => self.stop_iteration_in_caller(&ctx, Some(v)),
                _ => self.stop_iteration_in_caller(&ctx, None),
            },
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
        }
    }

    /// The driver's cleanup loop caught `x` while it closed the generator, and logs it.
    fn log_cleanup(&mut self, label: String, x: ExcId) {
        let exc = self.excs.observe(Some(x)).expect("an exception");
        self.emit(Event::GenCleanup { label, exc });
    }

    fn is_generator_exit(&self, x: ExcId) -> bool {
        exc::is_subclass(self.excs.get(x).class, ExcClass::GeneratorExit)
    }

    /// `throw()` on a generator that then returned: StopIteration(value) in the caller; for an
    /// async generator, `athrow()` raises StopAsyncIteration.
    fn stop_iteration_in_caller(&mut self, ctx: &GenCtx<'_>, value: Option<Val>) -> Flow {
        if ctx.is_async {
            self.hit(Rule::AsyncGenThrowReturns);
            let rule = Rule::AsyncGenThrowReturns;
            return Flow::Raise(self.excs.new_in_caller(ctx.frame, ExcClass::StopAsyncIteration, "", rule));
        }
        self.hit(Rule::GenThrowReturns);
        Flow::Raise(self.stop_iteration(ctx.frame, value, Rule::GenThrowReturns))
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
            thrown: None,
            is_async: g.is_async,
            closed: false,
        };
        assert!(self.in_main(), "steps are not inside generators");
        let (flow, role) = self.in_frame(Role::Driven(ctx), |m| m.block(&g.body));
        let Role::Driven(mut ctx) = role else { unreachable!("the frame pushed above") };
        let How::Step(stepping) = std::mem::replace(&mut ctx.how, How::Drive(Drive::Exhaust)) else {
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
            let err = self.ignored_generator_exit(ctx.frame, false);
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
                let err = self.ignored_generator_exit(ctx.frame, is_async);
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
