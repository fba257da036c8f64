//! The one configuration both generation paths (fuzzer bytes and proptest) read, so that they
//! cannot drift apart: sizes, depth, the weight of every construct, and the capabilities of the
//! implementation the programs are for.

use oracle::capability::{Capabilities, Capability};

/// Sizes and weights of generation. A weight of 0 turns a construct off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenConfig {
    /// Most manager classes in a program.
    pub max_managers: usize,
    /// Most statements in a block.
    pub max_block: usize,
    /// Most nesting of compound statements (never more than CPython compiles, whatever this says).
    pub max_depth: usize,
    /// Most items in one `with`.
    pub max_items: usize,
    /// Most statements in the whole program, so that swarm weights cannot blow it up.
    pub max_stmts: usize,
    /// Statement weights.
    pub weights: Weights,
    /// The area of the semantics this program is about, which decides how it opens.
    pub focus: Focus,
    /// What the implementation has: no program uses a capability outside it
    /// (`oracle::capability::required` of every program is covered). Set it with
    /// [`GenConfig::within`].
    pub capabilities: Capabilities,
}

/// The areas [`GenConfig::focus`] picks from, one per program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    /// Everything at once; no particular opening.
    Mix,
    /// The plain `with` statement.
    With,
    /// `async with`.
    AsyncWith,
    /// Generator functions, driven and stepped.
    Generators,
    /// Async generator functions.
    AsyncGenerators,
    /// `@contextmanager` and the small contextlib managers.
    Contextlib,
    /// `@asynccontextmanager` and the async contextlib managers.
    AsyncContextlib,
    /// `ExitStack` and `AsyncExitStack`.
    ExitStacks,
    /// The corners of the generator API: unstarted and finished generators, `close()`'s value,
    /// `throw()`'s argument forms, `send()`, awaitables awaited again (SEMANTICS-ADDENDUM §10).
    GenApi,
    /// The chaining primitives: `raise ... from e`, kept exceptions raised again, assigned
    /// `__context__` / `__cause__` / `__suppress_context__`, the handled exception thrown into a
    /// generator (SEMANTICS-ADDENDUM §12).
    Chaining,
    /// `yield from`: `next()`, `throw()` and `close()` passed to a delegated generator
    /// suspended in a `with` (SEMANTICS-ADDENDUM §11).
    Delegation,
    /// Exception groups (3.11+): raised through `with`, split by `suppress` and `except*`
    /// (SEMANTICS-ADDENDUM §13).
    Groups,
    /// `with` targets and where names live (§8.1–§8.4): reads after the block, attribute,
    /// subscript and starred targets.
    Targets,
    /// What CPython refuses to compile, and parenthesized items (§8.5–§8.7).
    CompileTime,
    /// How protocol methods are provided and called (§7): descriptors, static and class methods,
    /// callable objects, inheritance.
    Protocol,
    /// Managers used as decorators (SEMANTICS-ADDENDUM §14): `@c0()`, `@M0()` of a
    /// `ContextDecorator`, async functions under `@asynccontextmanager` objects, recursion.
    Decorators,
    /// Protocol methods the program calls itself, with the argument triples it chooses
    /// (SEMANTICS-ADDENDUM §15).
    Direct,
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
    /// Protocol methods given by a property, a descriptor, a static or class method, or a
    /// callable object (§7.1, §7.2).
    pub descriptor_method: u32,
    /// Manager classes deriving from an earlier one, inheriting what they do not define (out of
    /// 12 per class, §7.3).
    pub inherit: u32,
    /// Tuple targets that may fail to unpack.
    pub tuple_target: u32,
    /// The other targets (§8.2, §8.3): attribute and subscript stores, starred elements,
    /// parenthesized names.
    pub store_target: u32,
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
    /// The generator API's corners in `drive` (out of 12): unstarted generators, a second
    /// operation, `throw()`'s argument forms, `send(1)`.
    pub gen_api: u32,
    /// Chaining primitives in handlers (out of 12): `from e_h1`, assigned chaining attributes,
    /// kept exceptions, the handled exception thrown into a generator.
    pub chaining: u32,
    /// `yield from` a later generator function (out of 6 per generator function that can).
    pub delegation: u32,
    /// Exception groups: `raise ExceptionGroup(...)`, `try: ... except* ...`, group classes in
    /// handlers. 0 for a profile without them (3.8 to 3.10): see [`GenConfig::for_profile`].
    pub groups: u32,
    /// Functions decorated with a manager, and calls of them (out of 6 per program, §14). Not
    /// varied by [`GenConfig::swarm`], so that the draws of the other weights stay as they were.
    pub decorator: u32,
}

impl GenConfig {
    /// A per-program focus on one area of the semantics, so that each area's rarer rules are
    /// reached often: the plain `with` statement, `async with`, generators, async generators,
    /// contextlib's managers, their async forms, or exit stacks; some programs mix them all.
    /// An area whose weight is 0 in `self` stays off.
    pub fn focus(&self, u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<GenConfig> {
        let mut res = self.clone();
        let orig = &self.weights;
        let keep = |x: u32, weight: u32| if weight > 0 { x } else { 0 };
        // Areas and how often each is picked, out of 51: an area with rare rules (the generator
        // API's corners, chaining, groups, delegation, exit stacks, compile-time rules, direct
        // calls) gets more draws, so that each of its rules fires in every 1,000 programs
        // (`withstand stats`).
        let area = match u.int_in_range(0..=50u8)? {
            0..=2 => Focus::With,
            3..=4 => Focus::AsyncWith,
            5..=6 => Focus::Generators,
            7..=8 => Focus::AsyncGenerators,
            9..=10 => Focus::Contextlib,
            11..=13 => Focus::AsyncContextlib,
            14..=16 => Focus::ExitStacks,
            17..=23 => Focus::GenApi,
            24..=27 => Focus::Chaining,
            28..=31 => Focus::Delegation,
            32..=35 if orig.groups > 0 => Focus::Groups,
            36..=37 => Focus::Targets,
            38..=40 => Focus::CompileTime,
            41..=42 => Focus::Protocol,
            43..=45 => Focus::Direct,
            46..=47 => Focus::Decorators,
            _ => Focus::Mix,
        };
        res.focus = area;
        let w = &mut res.weights;
        if area == Focus::Mix {
            return Ok(res);
        }
        // Everything off, then the area's constructs on.
        for x in [
            &mut w.async_main,
            &mut w.gen_fn,
            &mut w.cm_fn,
            &mut w.contextlib_item,
            &mut w.exit_stack,
            &mut w.reentry,
            &mut w.closing_gen,
            &mut w.gen_api,
            &mut w.chaining,
            &mut w.delegation,
            &mut w.groups,
            &mut w.decorator,
        ] {
            *x = 0;
        }
        match area {
            Focus::With | Focus::Mix => {}
            Focus::AsyncWith => {
                w.async_main = keep(6, orig.async_main);
                w.contextlib_item = keep(2, orig.contextlib_item);
            }
            Focus::Generators => {
                w.gen_fn = keep(6, orig.gen_fn);
                w.closing_gen = keep(3, orig.closing_gen);
            }
            Focus::AsyncGenerators => {
                w.async_main = keep(6, orig.async_main);
                w.gen_fn = keep(6, orig.gen_fn);
                w.closing_gen = keep(3, orig.closing_gen);
            }
            Focus::Contextlib => {
                w.cm_fn = keep(6, orig.cm_fn);
                w.contextlib_item = keep(10, orig.contextlib_item);
                w.reentry = keep(3, orig.reentry);
            }
            Focus::AsyncContextlib => {
                w.async_main = keep(6, orig.async_main);
                w.cm_fn = keep(6, orig.cm_fn);
                w.contextlib_item = keep(10, orig.contextlib_item);
                w.reentry = keep(3, orig.reentry);
            }
            Focus::Protocol => {
                w.descriptor_method = keep(6, orig.descriptor_method);
                w.inherit = keep(4, orig.inherit);
                w.async_main = keep(2, orig.async_main);
            }
            Focus::CompileTime => {
                w.async_main = keep(2, orig.async_main);
                w.gen_fn = keep(2, orig.gen_fn);
                w.cm_fn = keep(2, orig.cm_fn);
            }
            Focus::Targets => {
                w.store_target = keep(3, orig.store_target);
                w.tuple_target = keep(3, orig.tuple_target);
                w.show = keep(4, orig.show);
            }
            Focus::ExitStacks => {
                w.exit_stack = keep(6, orig.exit_stack);
                w.stack_op = keep(6, orig.stack_op);
                w.async_main = keep(3, orig.async_main);
                w.cm_fn = keep(2, orig.cm_fn);
                w.contextlib_item = keep(2, orig.contextlib_item);
            }
            Focus::GenApi => {
                w.gen_fn = keep(6, orig.gen_fn);
                w.async_main = keep(4, orig.async_main);
                w.gen_api = keep(6, orig.gen_api);
            }
            Focus::Groups => {
                w.groups = keep(6, orig.groups);
                w.contextlib_item = keep(4, orig.contextlib_item);
                w.exit_stack = keep(1, orig.exit_stack);
                w.stack_op = keep(2, orig.stack_op);
            }
            Focus::Delegation => {
                w.gen_fn = keep(6, orig.gen_fn);
                w.delegation = keep(4, orig.delegation);
                w.gen_api = keep(2, orig.gen_api);
            }
            Focus::Decorators => {
                w.decorator = keep(6, orig.decorator);
                w.cm_fn = keep(2, orig.cm_fn);
                w.async_main = keep(3, orig.async_main);
            }
            Focus::Direct => {
                w.async_main = keep(3, orig.async_main);
                w.cm_fn = keep(2, orig.cm_fn);
                w.reentry = keep(2, orig.reentry);
            }
            Focus::Chaining => {
                w.chaining = keep(6, orig.chaining);
                w.gen_fn = keep(2, orig.gen_fn);
                w.cm_fn = keep(2, orig.cm_fn);
                w.exit_stack = keep(1, orig.exit_stack);
                w.stack_op = keep(3, orig.stack_op);
            }
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
            &mut w.descriptor_method,
            &mut w.inherit,
            &mut w.tuple_target,
            &mut w.store_target,
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
            &mut w.gen_api,
            &mut w.chaining,
            &mut w.delegation,
            &mut w.groups,
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

    /// [`GenConfig::full`] for a campaign against `profile`: without exception groups where it
    /// has none (3.8 to 3.10), which the same seed would otherwise make a NameError or a
    /// SyntaxError there.
    pub fn for_profile(profile: oracle::profile::Profile) -> GenConfig {
        let mut res = GenConfig::full();
        if !profile.quirks().exception_groups {
            res.weights.groups = 0;
        }
        res
    }

    /// This configuration for an implementation with `capabilities`: constructs it lacks
    /// altogether are weighted out, and generation picks only what it has at every other choice.
    /// With every capability, the same configuration (the same seeds give the same programs).
    pub fn within(&self, capabilities: Capabilities) -> GenConfig {
        let mut res = self.clone();
        res.capabilities = capabilities;
        let has = |c: Capability| capabilities.has(c);
        let w = &mut res.weights;
        if !has(Capability::Contextmanager) && !has(Capability::AsyncContextmanager) {
            w.cm_fn = 0;
        }
        if !has(Capability::ExitStack) && !has(Capability::AsyncExitStack) {
            w.exit_stack = 0;
            w.stack_op = 0;
        }
        if !has(Capability::Closing) && !has(Capability::Aclosing) {
            w.closing_gen = 0;
        }
        if !has(Capability::Contextmanager)
            && !has(Capability::AsyncContextmanager)
            && !has(Capability::ContextDecorator)
        {
            w.decorator = 0;
        }
        res
    }

    /// Every construct on, sized for fast campaigns: programs of about 10 to 40 lines.
    pub fn full() -> GenConfig {
        GenConfig {
            max_managers: 4,
            max_block: 4,
            max_depth: 4,
            max_items: 3,
            max_stmts: 40,
            focus: Focus::Mix,
            capabilities: Capabilities::FULL,
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
                descriptor_method: 1,
                inherit: 1,
                tuple_target: 2,
                store_target: 1,
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
                gen_api: 1,
                chaining: 1,
                delegation: 1,
                groups: 1,
                decorator: 1,
            },
        }
    }
}
