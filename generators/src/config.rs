//! The one configuration both generation paths (fuzzer bytes and proptest) read, so that they
//! cannot drift apart: sizes, depth, and the weight of every construct.

/// Sizes and weights of generation. A weight of 0 turns a construct off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenConfig {
    /// Most manager classes in a program.
    pub max_managers: usize,
    /// Most statements in a block.
    pub max_block: usize,
    /// Most nesting of compound statements.
    pub max_depth: usize,
    /// Most items in one `with`.
    pub max_items: usize,
    /// Most statements in the whole program, so that swarm weights cannot blow it up.
    pub max_stmts: usize,
    /// Statement weights.
    pub weights: Weights,
}

/// Relative weights of the constructs generation chooses between.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Weights {
    /// `log('L1')`.
    pub log: u32,
    /// `with ...:`.
    pub with: u32,
    /// `raise E1('r1')`.
    pub raise: u32,
    /// `raise ... from ...` (a share of `raise`).
    pub raise_from: u32,
    /// bare `raise`.
    pub bare_raise: u32,
    /// `return ret(...)`.
    pub return_: u32,
    /// `for _ in range(n):`.
    pub loop_: u32,
    /// `break` / `continue` inside loops.
    pub jump: u32,
    /// `try:`.
    pub try_: u32,
    /// `show('x', x)` of a bound name.
    pub show: u32,
    /// A `with` item that is a literal rather than a manager.
    pub literal_item: u32,
    /// Methods missing, instance-only, None or of the wrong arity.
    pub broken_method: u32,
    /// `__init__` raising.
    pub init_raises: u32,
    /// Tuple targets that may fail to unpack.
    pub tuple_target: u32,
    /// `async def main` (out of 6).
    pub async_main: u32,
    /// `await` statements in an async main.
    pub await_: u32,
    /// A generator function driven by `main` (out of 6).
    pub gen_fn: u32,
    /// `yield` in generator functions.
    pub yield_: u32,
    /// `@contextmanager` generator functions (out of 6 per program).
    pub cm_fn: u32,
    /// `with` items that are contextlib managers (out of 20).
    pub contextlib_item: u32,
    /// `with ExitStack() as s1:` (or `AsyncExitStack`) statements.
    pub exit_stack: u32,
    /// Operations on a stack in scope (enter_context, push, callback, close...).
    pub stack_op: u32,
    /// `m1 = c0()` followed by two `with m1:`.
    pub reentry: u32,
    /// `with closing(g0()) as i1:` stepping a generator (out of 6 for a second generator
    /// function in a program that has one).
    pub closing_gen: u32,
}

impl GenConfig {
    /// A per-program focus on one area of the semantics, so that each area's rarer rules are
    /// reached often: the plain `with` statement, `async with`, generator functions, contextlib's
    /// managers, or exit stacks; one program in six mixes them all. An area whose weight is 0 in
    /// `self` stays off.
    pub fn focus(&self, u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<GenConfig> {
        let mut res = self.clone();
        let w = &mut res.weights;
        let on = |x: u32| x > 0;
        let keep = |x: u32, on: bool| if on { x } else { 0 };
        let orig = &self.weights;
        match u.int_in_range(0..=5u8)? {
            0 => {
                w.async_main = 0;
                w.gen_fn = 0;
                w.cm_fn = 0;
                w.contextlib_item = 0;
                w.exit_stack = 0;
                w.reentry = 0;
                w.closing_gen = 0;
            }
            1 => {
                // async with, async generators, @asynccontextmanager.
                w.async_main = keep(6, on(orig.async_main));
                w.gen_fn = keep(2, on(orig.gen_fn));
                w.cm_fn = keep(2, on(orig.cm_fn));
                w.exit_stack = keep(1, on(orig.exit_stack));
            }
            2 => {
                // Generators and async generators, driven or stepped.
                w.gen_fn = keep(6, on(orig.gen_fn));
                w.async_main = keep(2, on(orig.async_main));
                w.closing_gen = keep(4, on(orig.closing_gen));
                w.cm_fn = 0;
                w.exit_stack = 0;
            }
            3 => {
                // contextlib's generator managers and small managers, re-entry, closing.
                w.cm_fn = keep(6, on(orig.cm_fn));
                w.contextlib_item = keep(10, on(orig.contextlib_item));
                w.reentry = keep(3, on(orig.reentry));
                w.async_main = keep(2, on(orig.async_main));
                w.gen_fn = keep(1, on(orig.gen_fn));
                w.exit_stack = 0;
            }
            4 => {
                // Exit stacks.
                w.exit_stack = keep(6, on(orig.exit_stack));
                w.stack_op = keep(6, on(orig.stack_op));
                w.async_main = keep(3, on(orig.async_main));
                w.cm_fn = keep(2, on(orig.cm_fn));
                w.gen_fn = 0;
                w.reentry = keep(1, on(orig.reentry));
            }
            _ => {}
        }
        Ok(res)
    }

    /// A per-program variation of this configuration (swarm testing): each weight is kept,
    /// turned off, or tripled, so that some programs concentrate on a few constructs and reach
    /// combinations an even mix rarely builds. `with` is never turned off.
    pub fn swarm(&self, u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<GenConfig> {
        let mut res = self.clone();
        let w = &mut res.weights;
        for (i, weight) in [
            &mut w.log,
            &mut w.with,
            &mut w.raise,
            &mut w.raise_from,
            &mut w.bare_raise,
            &mut w.return_,
            &mut w.loop_,
            &mut w.jump,
            &mut w.try_,
            &mut w.show,
            &mut w.literal_item,
            &mut w.broken_method,
            &mut w.init_raises,
            &mut w.tuple_target,
            &mut w.async_main,
            &mut w.await_,
            &mut w.gen_fn,
            &mut w.yield_,
            &mut w.cm_fn,
            &mut w.contextlib_item,
            &mut w.exit_stack,
            &mut w.stack_op,
            &mut w.reentry,
            &mut w.closing_gen,
        ]
        .into_iter()
        .enumerate()
        {
            match u.int_in_range(0..=7u8)? {
                0 | 1 if i != 1 => *weight = 0,
                2 | 3 => *weight *= 3,
                _ => {}
            }
        }
        Ok(res)
    }

    /// Every construct on, sized for fast campaigns: programs of about 10 to 40 lines.
    pub fn full() -> GenConfig {
        GenConfig {
            max_managers: 4,
            max_block: 4,
            max_depth: 4,
            max_items: 3,
            max_stmts: 40,
            weights: Weights {
                log: 3,
                with: 5,
                raise: 3,
                raise_from: 1,
                bare_raise: 1,
                return_: 1,
                loop_: 1,
                jump: 3,
                try_: 2,
                show: 2,
                literal_item: 1,
                broken_method: 2,
                init_raises: 1,
                tuple_target: 2,
                async_main: 2,
                await_: 1,
                gen_fn: 3,
                yield_: 6,
                cm_fn: 3,
                contextlib_item: 5,
                exit_stack: 1,
                stack_op: 3,
                reentry: 1,
                closing_gen: 1,
            },
        }
    }
}
