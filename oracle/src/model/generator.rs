//! Generator functions with `with` inside, driven by the prelude's `drive` (SEMANTICS.md §1.8):
//! to exhaustion, or `close()` / `throw(exc)` after k items, and then closed until finished so
//! that nothing is ever left to the garbage collector.
//!
//! The generator body runs inline, in its own frame of the handled-exception stack; what the
//! driver does between two resumptions happens at the `yield` the generator is suspended on,
//! which is where [`Machine::on_yield`] puts it. The caller's view of `sys.exc_info()` is the
//! stack below the generator's frame.

use crate::ir::Drive;
use crate::trace::Event;

use super::exc::ExcId;
use super::{Flow, Machine, Rule, Val};

/// Where the driver is, for the generator currently running.
#[derive(Clone, Debug)]
pub(crate) struct GenCtx {
    /// The `drive('d1', ...)` label.
    label: String,
    how: Drive,
    /// Items received so far.
    n: u8,
    phase: Phase,
    /// Index of the generator's frame in the handled stack.
    frame: usize,
    /// The object `throw()` throws, created when `main` evaluated the call.
    thrown: Option<ExcId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// `next()` calls.
    Advancing,
    /// `close()` threw GeneratorExit in; the generator has not finished yet.
    Closing,
    /// `throw()` threw its exception in.
    Thrown,
    /// The `finally` of `drive` is closing a generator left suspended; `pending` is the
    /// exception `drive` is propagating meanwhile, if any.
    Cleanup { pending: Option<ExcId> },
}

impl Machine<'_> {
    /// `drive('d1', g0(), how, k, exc)`.
    pub(crate) fn drive(&mut self, label: &str, gen: usize, how: &Drive) -> Flow {
        let thrown = match how {
            Drive::Throw(_, e) => Some(self.instantiate(e)),
            Drive::Exhaust | Drive::Close(_) => None,
        };
        let body = &self.program.gens[gen];
        let frame = self.excs.push_frame();
        let ctx = GenCtx { label: label.to_string(), how: how.clone(), n: 0, phase: Phase::Advancing, frame, thrown };
        let saved_ctx = self.gen.replace(ctx);
        let saved_vars = std::mem::take(&mut self.vars);
        let flow = self.block(body);
        self.vars = saved_vars;
        let ctx = std::mem::replace(&mut self.gen, saved_ctx).expect("the generator context is ours");
        let pending = matches!(ctx.phase, Phase::Cleanup { pending: Some(_) });
        let res = self.gen_finished(ctx, flow);
        self.excs.pop_frame(frame);
        if pending {
            // drive's finally is over: it re-raises what it was propagating.
            self.excs.pop_handled();
        }
        res
    }

    /// A new exception the driver raises in the caller's frame (which includes what the
    /// driver's `finally` is propagating).
    fn caller_exc(&mut self, ctx: &GenCtx, class: crate::ir::ExcClass, msg: &str) -> ExcId {
        self.excs.new_in_caller(ctx.frame, class, msg)
    }

    /// Resuming the generator with an exception (`close()`, `throw()`) chains it to the
    /// generator's own handled exception, and only to that (`_PyErr_ChainStackItem`). 3.8 does
    /// not chain at all (observed: CPython 3.8.18 does not, 3.9.18 does).
    fn throw_in(&mut self, ctx: &GenCtx, x: ExcId) -> Flow {
        if self.profile.at_least(9) && self.excs.own_handled(ctx.frame).is_some() {
            self.hit(Rule::GenThrowChained);
            self.raise_obj(x)
        } else {
            Flow::Raise(x)
        }
    }

    /// The generator reached `yield label`. Returns what the `yield` expression does when the
    /// generator is resumed: `Normal` (a `next()`), or `Raise` (a `close()` or `throw()`).
    pub(crate) fn on_yield(&mut self, value: &str) -> Flow {
        let mut ctx = self.gen.take().expect("validate keeps yield inside generator functions");
        let res = self.resume_at_yield(&mut ctx, value);
        self.gen = Some(ctx);
        res
    }

    fn resume_at_yield(&mut self, ctx: &mut GenCtx, value: &str) -> Flow {
        let label = ctx.label.clone();
        match ctx.phase {
            Phase::Advancing => {
                self.events.push(Event::GenYield { label, value: value.to_string() });
                ctx.n += 1;
                match ctx.how {
                    Drive::Exhaust => Flow::Normal,
                    Drive::Close(k) | Drive::Throw(k, _) if ctx.n < k => Flow::Normal,
                    Drive::Close(_) => {
                        self.hit(Rule::GenClose);
                        ctx.phase = Phase::Closing;
                        let x = self.caller_exc(ctx, crate::ir::ExcClass::GeneratorExit, "");
                        self.throw_in(ctx, x)
                    }
                    Drive::Throw(..) => {
                        self.hit(Rule::GenThrow);
                        ctx.phase = Phase::Thrown;
                        let x = ctx.thrown.expect("throw has its exception");
                        self.throw_in(ctx, x)
                    }
                }
            }
            Phase::Closing => {
                // close() got a value back: "generator ignored GeneratorExit", raised in the
                // caller; then drive's finally closes the generator again.
                self.hit(Rule::GenCloseIgnored);
                let err = self.caller_exc(ctx, crate::ir::ExcClass::RuntimeError, "generator ignored GeneratorExit");
                ctx.phase = Phase::Cleanup { pending: Some(err) };
                self.excs.push_handled_below(ctx.frame, err);
                let x = self.caller_exc(ctx, crate::ir::ExcClass::GeneratorExit, "");
                self.throw_in(ctx, x)
            }
            Phase::Thrown => {
                // throw() returned the next value; drive logs it, then its finally closes.
                self.events.push(Event::GenYield { label, value: value.to_string() });
                ctx.phase = Phase::Cleanup { pending: None };
                let x = self.caller_exc(ctx, crate::ir::ExcClass::GeneratorExit, "");
                self.throw_in(ctx, x)
            }
            Phase::Cleanup { .. } => {
                // The cleanup close() was ignored too: drive catches and logs the RuntimeError,
                // then closes again.
                self.hit(Rule::GenCloseIgnored);
                let err = self.caller_exc(ctx, crate::ir::ExcClass::RuntimeError, "generator ignored GeneratorExit");
                let r = self.excs.observe(Some(err)).expect("an exception");
                self.events.push(Event::GenCleanup { label, exc: r });
                let x = self.caller_exc(ctx, crate::ir::ExcClass::GeneratorExit, "");
                self.throw_in(ctx, x)
            }
        }
    }

    /// The generator's frame is done with `flow`; what the driver does then.
    fn gen_finished(&mut self, ctx: GenCtx, flow: Flow) -> Flow {
        // PEP 479 at the generator's frame boundary.
        let flow = match flow {
            Flow::Raise(x) => Flow::Raise(self.pep479(x, "generator raised StopIteration")),
            other => other,
        };
        let label = ctx.label.clone();
        match ctx.phase {
            Phase::Advancing => match flow {
                Flow::Raise(x) => Flow::Raise(x),
                _ => {
                    self.hit(Rule::GenExhausted);
                    self.events.push(Event::GenEnd { label });
                    Flow::Normal
                }
            },
            Phase::Closing => match flow {
                Flow::Raise(x) if !self.is_generator_exit(x) => {
                    self.hit(Rule::GenCloseRaises);
                    Flow::Raise(x)
                }
                _ => {
                    self.events.push(Event::GenClosed { label });
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
                        let r = self.excs.observe(Some(x)).expect("an exception");
                        self.events.push(Event::GenCleanup { label, exc: r });
                    }
                }
                match pending {
                    Some(p) => Flow::Raise(p),
                    None => Flow::Normal,
                }
            }
        }
    }

    fn is_generator_exit(&self, x: ExcId) -> bool {
        super::exc::is_subclass(self.excs.get(x).class, crate::ir::ExcClass::GeneratorExit)
    }

    /// `throw()` on a generator that then returned: StopIteration(value) in the caller.
    fn stop_iteration_in_caller(&mut self, ctx: &GenCtx, value: Option<Val>) -> Flow {
        self.hit(Rule::GenThrowReturns);
        Flow::Raise(self.stop_iteration(ctx.frame, value))
    }

    /// The StopIteration that `next()` / `throw()` raise in the caller of generator frame
    /// `frame` when the generator returns `value`: `StopIteration()` for `None`, else
    /// `StopIteration(value)`, whose `str()` is `str(value)`.
    pub(crate) fn stop_iteration(&mut self, frame: usize, value: Option<Val>) -> ExcId {
        let msg = match &value {
            None | Some(Val::None) => String::new(),
            Some(Val::Str(s)) => s.clone(),
            Some(v) => self.show(v),
        };
        self.excs.new_in_caller(frame, crate::ir::ExcClass::StopIteration, &msg)
    }
}
