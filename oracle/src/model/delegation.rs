//! `yield from` (SEMANTICS-ADDENDUM §11): a generator delegating to another until that one
//! returns, with `next()`, `throw()` and `close()` passed down to the generator suspended at a
//! `yield`, and what comes back up thrown into each delegating generator at its `yield from`.
//!
//! The delegated generator runs inline in a frame of its own ([`Role::Delegate`]), above the
//! delegating one. At a `yield` in it, the driver of the outermost generator (the one `drive`
//! runs) decides what happens, with every delegated frame set aside; the decision is applied at
//! that `yield`, and recorded in each delegated frame, so that each `yield from` knows, when its
//! generator ends, whether it ended under a `throw()` or a `close()`.

use crate::ir::ExcClass;
use crate::trace::Event;

use super::exc::{self, ExcFrame, ExcId};
use super::generator::Phase;
use super::message::Code;
use super::{Flow, Machine, Role, Rule, Val};

/// A generator running under `yield from`.
#[derive(Clone, Debug)]
pub(crate) struct Delegate {
    /// Its frame in the handled stack.
    frame: ExcFrame,
    /// How the driver resumed the generators the last time they were suspended.
    resumed: Resumed,
}

/// How the driver resumed a suspended generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Resumed {
    /// `next()` / `send()`: the `yield` returns.
    Next,
    /// `throw()`: the exception is raised at the `yield`.
    Throw,
    /// `close()`: GeneratorExit at the `yield`.
    Close,
    /// `throw()` of this GeneratorExit into the delegating generator: the delegated one was
    /// closed, and then this is thrown in.
    CloseThenThrow(ExcId),
}

impl<'p> Machine<'p> {
    /// `yield from g<n>()`, or `x = yield from g<n>()`, in the generator running now.
    pub(crate) fn yield_from(&mut self, gen: usize, target: Option<&str>) -> Flow {
        self.hit(Rule::YieldFromDelegates);
        self.delegate(gen, target, Code::Generator)
    }

    /// `await g<n>()`, or `x = await g<n>()`: a coroutine awaited, which delegates as `yield
    /// from` does (§11.5).
    pub(crate) fn await_call(&mut self, gen: usize, target: Option<&str>) -> Flow {
        self.hit(Rule::AwaitDelegates);
        self.delegate(gen, target, Code::Coroutine)
    }

    /// Runs generator or coroutine function `gen` (whose frame is of `code`) delegated to.
    fn delegate(&mut self, gen: usize, target: Option<&str>, code: Code) -> Flow {
        let g = &self.program.gens[gen];
        let frame = self.excs.push_frame();
        let role = Role::Delegate(Delegate { frame, resumed: Resumed::Next });
        let (flow, role) = self.in_frame(role, |m| m.block(&g.body));
        let Role::Delegate(d) = role else { unreachable!("the frame pushed above") };
        let flow = self.leave_frame(flow, code);
        self.excs.pop_frame(frame);
        if self.frames.is_empty() {
            // Awaited from main, whose driver only ever sends None.
            return match flow {
                Flow::Raise(x) => Flow::Raise(x),
                Flow::Return(v) => self.bind_delegated(target, v),
                _ => self.bind_delegated(target, Val::None),
            };
        }
        let own = self.own_frame();
        // Back in this generator, resumed as its delegate ended: its part of the handled stack is
        // back on it (those of the generators delegating to it stay set aside until it yields).
        self.excs.set_linked(own, true);
        match (flow, d.resumed) {
            (Flow::Raise(x), Resumed::CloseThenThrow(_)) if !self.is_generator_exit(x) => {
                self.hit(Rule::YieldFromClose);
                self.throw_into(own, x)
            }
            (_, Resumed::CloseThenThrow(ge)) => self.throw_into(own, ge),
            (Flow::Raise(x), Resumed::Next) => Flow::Raise(x),
            (Flow::Raise(x), Resumed::Throw) => {
                // What came out of the delegated generator's throw() is thrown in here.
                self.hit(Rule::YieldFromThrow);
                if self.excs.handled() == Some(x) {
                    self.hit(Rule::YieldFromThrowHandled);
                }
                self.throw_into(own, x)
            }
            (Flow::Raise(x), Resumed::Close) if !exc::is_subclass(self.excs.get(x).class, ExcClass::GeneratorExit) => {
                // Its close() raised: that is thrown in here.
                self.hit(Rule::YieldFromClose);
                self.throw_into(own, x)
            }
            (_, Resumed::Close) => {
                // It closed: close() goes on with a GeneratorExit of its own here.
                self.hit(Rule::YieldFromClose);
                let driver = self.driver_frame();
                let ge = self.excs.new_in_caller(driver, ExcClass::GeneratorExit, "", Rule::YieldFromClose);
                self.throw_into(own, ge)
            }
            (flow, _) => {
                let value = match flow {
                    Flow::Return(v) => v,
                    _ => Val::None,
                };
                self.bind_delegated(target, value)
            }
        }
    }

    fn bind_delegated(&mut self, target: Option<&str>, value: Val) -> Flow {
        if let Some(t) = target {
            self.vars().insert(t.to_string(), value);
        }
        Flow::Normal
    }

    /// A suspension at `label` (an awaitable yielded it): when a coroutine that `drive` runs by
    /// hand is suspended (through `await g1()` too), its driver acts there; else the driver of main
    /// (or `adrive`'s await) gets it and sends None back.
    pub(crate) fn suspended(&mut self, label: &str) -> Result<(), ExcId> {
        let driven = self.frames.iter().rev().find(|f| !matches!(f.role, Role::Delegate(_)));
        if !matches!(driven.map(|f| &f.role), Some(Role::Driven(ctx)) if ctx.coro) {
            self.athrow_passes_suspension();
            self.emit(Event::Suspend { label: label.to_string() });
            return Ok(());
        }
        self.hit(Rule::CoroutineDrivenByHand);
        let flow = if matches!(self.frames.last().map(|f| &f.role), Some(Role::Delegate(_))) {
            self.delegated_yield(label)
        } else {
            self.on_top_role(|m, role| match role {
                Role::Driven(ctx) => m.on_yield(ctx, label),
                _ => unreachable!("found above"),
            })
        };
        match flow {
            Flow::Normal => Ok(()),
            Flow::Raise(x) => Err(x),
            other => unreachable!("a driver resumes or raises: {other:?}"),
        }
    }

    /// A `yield` of a generator running under `yield from`: the outermost generator's driver
    /// acts, outside every delegated frame, and what it does is applied here.
    pub(crate) fn delegated_yield(&mut self, label: &str) -> Flow {
        let delegates = self.frames.iter().rev().take_while(|f| matches!(f.role, Role::Delegate(_))).count();
        let aside = self.frames.split_off(self.frames.len() - delegates);
        let Some(Role::Delegate(leaf)) = aside.last().map(|f| &f.role) else { unreachable!("a yield in a delegate") };
        let (leaf, closing) = (leaf.frame, matches!(leaf.resumed, Resumed::Close | Resumed::CloseThenThrow(_)));
        let (flow, resumed, ge, driver) = self.on_top_role(|m, role| {
            let Role::Driven(ctx) = role else {
                unreachable!("validate keeps yield from to driven generators, which are not stepped")
            };
            if closing {
                // The delegated generator yields instead of closing: close() raises "ignored
                // GeneratorExit" in the delegating one, and the delegated one, left suspended, is
                // finalized as the delegating frame lets go of it.
                m.give_up(
                    "a generator under yield from that ignores GeneratorExit is finalized by the garbage collector",
                );
                let ge = m.excs.new_exc(ExcClass::GeneratorExit, String::new(), Rule::YieldFromClose);
                return (Flow::Raise(ge), Resumed::Close, None, ctx.frame);
            }
            ctx.leaf = Some(leaf);
            let flow = m.drive_at_yield(ctx, label);
            ctx.leaf = None;
            let resumed = match ctx.phase {
                Phase::Advancing | Phase::Sent | Phase::Again => Resumed::Next,
                Phase::Thrown if ctx.delegated_ge.is_some() => Resumed::Close,
                Phase::Thrown => Resumed::Throw,
                Phase::Closing | Phase::Cleanup { .. } | Phase::Resume { .. } => Resumed::Close,
            };
            (flow, resumed, ctx.delegated_ge.take(), ctx.frame)
        });
        self.frames.extend(aside);
        let n = self.frames.len();
        let mut frames = Vec::with_capacity(delegates);
        for (i, f) in self.frames[n - delegates..].iter_mut().enumerate() {
            if let Role::Delegate(d) = &mut f.role {
                // The delegate right under the driven generator is where a thrown GeneratorExit
                // goes back in, once the others are closed.
                d.resumed = match ge {
                    Some(ge) if i == 0 => Resumed::CloseThenThrow(ge),
                    _ => resumed,
                };
                frames.push(d.frame);
            }
        }
        // next() runs the delegating generators down to the yield, each on the stack of the one
        // below; throw() and close() reach the yield from outside them all.
        let linked = resumed == Resumed::Next;
        if !linked {
            self.hit(Rule::YieldFromUnlinked);
        }
        self.excs.set_linked(driver, linked);
        for frame in frames {
            self.excs.set_linked(frame, linked || frame == leaf);
        }
        flow
    }

    /// The frame in the handled stack of the generator running now.
    fn own_frame(&self) -> ExcFrame {
        match self.frames.last().map(|f| &f.role) {
            Some(Role::Driven(ctx)) => ctx.frame,
            Some(Role::Delegate(d)) => d.frame,
            _ => unreachable!("validate keeps yield from and await g1() to driven generators, coroutines and main"),
        }
    }

    /// The frame in the handled stack of the generator `drive` runs, below those it delegates to.
    fn driver_frame(&self) -> ExcFrame {
        self.frames
            .iter()
            .rev()
            .find_map(|f| match &f.role {
                Role::Driven(ctx) => Some(ctx.frame),
                _ => None,
            })
            .expect("a delegating generator is driven")
    }
}
