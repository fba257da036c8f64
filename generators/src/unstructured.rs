//! Programs from unstructured bytes (libFuzzer's input, or a seeded random buffer), valid by
//! construction: every choice is drawn from what is legal at that point, never filtered after.

use arbitrary::{Result, Unstructured};
use oracle::ir::{
    Action, AwaitThen, BoolResult, Cause, Clauses, CmGen, ExcClass, ExitFn, ExitFnResult, Func, GenFn, Handler,
    ItemExpr, Manager, Method, NewExc, Param, Parens, Program, RaiseNew, Scope, Slot, StackOp, Stmt, Target, Try,
    Value, WithItem, MAX_BLOCKS,
};

use oracle::capability::Capability;

use crate::config::GenConfig;

mod cm_args;
mod compile;
mod decorators;
mod idioms;
mod corners;
mod delegation;
mod groups;
mod protocol;
mod targets;
mod direct;

/// Builds one program from `u`. Running out of bytes is fine: every choice then takes its first
/// option, so the program just gets smaller.
pub fn generate(u: &mut Unstructured<'_>, config: &GenConfig) -> Result<Program> {
    let config = config.focus(u)?;
    let config = &if u.ratio(1, 2)? { config.swarm(u)? } else { config };
    let mut g = Gen {
        u,
        config,
        labels: Labels::default(),
        budget: config.max_stmts,
        cm_async: Vec::new(),
        cm_params: Vec::new(),
        gen_async: Vec::new(),
    };
    let is_async = g.chance(config.weights.async_main, 6)?;
    let n_managers = g.u.int_in_range(1..=config.max_managers.max(1))?;
    let mut managers = Vec::with_capacity(n_managers);
    for _ in 0..n_managers {
        let mut m = g.manager(is_async)?;
        g.inherit(&mut m, &managers)?;
        managers.push(m);
    }
    let cx = Cx { scope: Scope::function(Func::Main { is_async }), may_yield: false, n_gens: 0, n_cms: 0, n_managers };
    let mut cms = Vec::new();
    if g.chance(config.weights.cm_fn, 6)? {
        for _ in 0..g.u.int_in_range(1..=2)? {
            // In an async program, mostly `@asynccontextmanager` functions.
            let cm_async = is_async && g.u.ratio(2, 3)?;
            // Of a kind the implementation has.
            let Some(cm_async) = g.cm_kind(cm_async, is_async) else { continue };
            let cm = g.cm_gen(&cx, cm_async)?;
            g.push_cm(&mut cms, cm)?;
        }
    }
    let cx = Cx { n_cms: cms.len(), ..cx };
    let mut gens = Vec::new();
    if g.chance(config.weights.gen_fn, 6)? {
        let two = g.chance(config.weights.closing_gen, 6)? || g.chance(config.weights.delegation, 6)?;
        let n = if two { 2 } else { 1 };
        for _ in 0..n {
            // An async program drives async generators more often than not.
            let gen_async = is_async && g.u.ratio(2, 3)? && g.has(Capability::AsyncGenerators);
            gens.push(g.gen_fn(&cx, gen_async)?);
            g.gen_async.push(gen_async);
        }
    }
    let cx = Cx { n_gens: gens.len(), ..cx };
    let mut main = g.block(&cx, 0)?;
    g.delegations(&mut gens, &main)?;
    // A focused program starts, two times in three, with a plain shape of what it is about, so
    // that the area's rules are reached even when the rest of main raises early.
    if g.u.ratio(2, 3)? {
        let parts =
            idioms::Parts { managers: &mut managers, cms: &mut cms, gens: &mut gens, main: &mut main, is_async };
        g.open(parts)?;
    }
    let decos = if g.chance(config.weights.decorator, 6)? {
        g.decorated(&cx, &mut managers, &mut cms, &mut main, is_async)?
    } else {
        Vec::new()
    };
    Ok(Program { managers, gens, cms, main, is_async, decos })
}

/// A program from a 64-bit seed: the same seed always gives the same program.
pub fn from_seed(seed: u64, config: &GenConfig) -> Program {
    let mut bytes = vec![0u8; 2048];
    let mut state = seed;
    for chunk in bytes.chunks_mut(8) {
        let x = splitmix64(&mut state).to_le_bytes();
        chunk.copy_from_slice(&x[..chunk.len()]);
    }
    generate(&mut Unstructured::new(&bytes), config).expect("generation never fails on exhausted input")
}

/// The seed of case `index` of a campaign started with `seed`.
pub fn case_seed(seed: u64, index: u64) -> u64 {
    let mut state = seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    splitmix64(&mut state)
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[derive(Default)]
struct Labels {
    n: usize,
}

impl Labels {
    fn next(&mut self, prefix: char) -> String {
        self.n += 1;
        format!("{prefix}{}", self.n)
    }
}

/// Where a statement is generated: the scope validation sees there, and what generation may use.
#[derive(Clone)]
struct Cx {
    /// What holds here.
    scope: Scope,
    /// Where `yield` is allowed.
    may_yield: bool,
    /// `@contextmanager` functions `with` items can use.
    n_cms: usize,
    /// Generator functions `main` can drive.
    n_gens: usize,
    n_managers: usize,
}

impl Cx {
    /// The same place, but with `scope`: that of a block inside this one.
    fn inside(&self, scope: Scope) -> Cx {
        Cx { scope, ..self.clone() }
    }
}

struct Gen<'a, 'b> {
    u: &'a mut Unstructured<'b>,
    config: &'a GenConfig,
    labels: Labels,
    /// Statements still allowed in the program.
    budget: usize,
    /// Which `@contextmanager` functions are `@asynccontextmanager`.
    cm_async: Vec<bool>,
    /// The parameters of each `@contextmanager` function, which its calls bind (§16).
    cm_params: Vec<Vec<Param>>,
    /// Which generator functions are async.
    gen_async: Vec<bool>,
}

/// The statements [`Gen::stmt`] chooses between, weighted by a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Choice {
    /// `log('L1')`.
    Log,
    /// `with ...:`.
    With,
    /// `raise E1('r1')`.
    Raise,
    /// A bare `raise`.
    BareRaise,
    /// `return ret('v1', ...)`.
    Return,
    /// `for _ in range(n):`.
    Loop,
    /// `break` or `continue`.
    Jump,
    /// `try:`.
    Try,
    /// `show('x', x)`.
    Show,
    /// `raise e_h1`.
    RaiseCaught,
    /// `await Aw('s1', True, None)`.
    Await,
    /// `yield 'y1'`.
    Yield,
    /// `drive('d1', g0(), ...)`.
    Drive,
    /// `with ExitStack() as s1:`.
    StackWith,
    /// An operation on a stack in scope.
    StackOp,
    /// `m1 = c0()` and two `with m1:`.
    Reentry,
    /// `with closing(g0()) as i1:`.
    ClosingWith,
    /// `e_h1.__context__ = None` and the like, in a handler.
    Chaining,
    /// `k1 = None`, a handler keeping what it caught in `k1`, `raise k1`.
    Keep,
    /// `raise ExceptionGroup('g1', [...])`.
    RaiseGroup,
    /// `try: ... except* E1: ...`.
    TryStar,
}

/// The most blocks one compound statement generated here nests, counted as [`Scope::peak`]
/// counts them: a `try` with a handler and a `finally` (3) whose handler re-raises in a `try`
/// of its own with both clauses too (3 more). Blocks generated inside it are generated only where
/// they fit too, so no program nests more than CPython compiles ([`MAX_BLOCKS`]), whatever
/// [`GenConfig::max_depth`] says.
const MOST_BLOCKS: usize = 6;

/// Classes that programs raise: weighted toward the user hierarchy.
const RAISED: &[ExcClass] = &[
    ExcClass::E1,
    ExcClass::E1,
    ExcClass::E2,
    ExcClass::E2,
    ExcClass::E3,
    ExcClass::ValueError,
    ExcClass::KeyError,
    ExcClass::TypeError,
    ExcClass::RuntimeError,
    ExcClass::StopIteration,
    ExcClass::StopIteration,
    ExcClass::B1,
    ExcClass::KeyboardInterrupt,
    ExcClass::SystemExit,
    ExcClass::GeneratorExit,
    ExcClass::StopAsyncIteration,
    ExcClass::S1,
    ExcClass::S2,
];

/// Classes that handlers and `suppress_if` test against: bases included.
const CAUGHT: &[ExcClass] = &[
    ExcClass::E1,
    ExcClass::E2,
    ExcClass::E3,
    ExcClass::Exception,
    ExcClass::Exception,
    ExcClass::BaseException,
    ExcClass::LookupError,
    ExcClass::KeyError,
    ExcClass::ValueError,
    ExcClass::TypeError,
    ExcClass::RuntimeError,
    ExcClass::AttributeError,
    ExcClass::StopIteration,
    ExcClass::B1,
    ExcClass::KeyboardInterrupt,
    ExcClass::GeneratorExit,
    ExcClass::StopAsyncIteration,
];

const NAMES: &[&str] = &["x", "y", "z", "a", "b", "c"];

impl Gen<'_, '_> {
    /// Whether the implementation has `c` (oracle::capability).
    fn has(&self, c: Capability) -> bool {
        self.config.capabilities.has(c)
    }

    /// A `@contextmanager` function's kind, `is_async` if the implementation has it, else the
    /// other one where it can be used (`async` ones only in async code); `None` for neither.
    fn cm_kind(&self, is_async: bool, in_async: bool) -> Option<bool> {
        let has = |a: bool| self.has(if a { Capability::AsyncContextmanager } else { Capability::Contextmanager });
        if has(is_async) {
            return Some(is_async);
        }
        (has(!is_async) && (in_async || is_async)).then_some(!is_async)
    }

    /// The kind of exit stack for a `with` of kind `is_async`, as [`Gen::cm_kind`] picks.
    fn stack_kind(&self, is_async: bool, in_async: bool) -> Option<bool> {
        let has = |a: bool| self.has(if a { Capability::AsyncExitStack } else { Capability::ExitStack });
        if has(is_async) {
            return Some(is_async);
        }
        (has(!is_async) && (in_async || is_async)).then_some(!is_async)
    }

    fn pick<T: Copy>(&mut self, options: &[T]) -> Result<T> {
        Ok(*self.u.choose(options)?)
    }

    /// Index of a weighted choice; zero weights are never chosen unless all are zero.
    fn weighted(&mut self, weights: &[u32]) -> Result<usize> {
        let total: u32 = weights.iter().sum();
        if total == 0 {
            return Ok(0);
        }
        let mut x = self.u.int_in_range(0..=total - 1)?;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return Ok(i);
            }
            x -= w;
        }
        unreachable!("x < total")
    }

    /// A choice from a table of choices and their weights, drawn as [`weighted`](Gen::weighted)
    /// draws an index.
    fn choose_weighted<T: Copy, const N: usize>(&mut self, table: &[(T, u32); N]) -> Result<T> {
        let weights = table.map(|(_, w)| w);
        Ok(table[self.weighted(&weights)?].0)
    }

    fn chance(&mut self, weight: u32, out_of: u32) -> Result<bool> {
        Ok(weight > 0 && self.u.int_in_range(0..=out_of - 1)? < weight)
    }

    fn new_exc(&mut self, prefix: char) -> Result<NewExc> {
        let class = self.pick(RAISED)?;
        Ok(NewExc { class, label: self.labels.next(prefix) })
    }

    fn raise_new(&mut self) -> Result<RaiseNew> {
        let exc = self.new_exc('r')?;
        let cause = if self.chance(self.config.weights.raise_from, 6)? {
            if self.u.ratio(1, 3)? {
                Some(Cause::None)
            } else {
                Some(Cause::New(self.new_exc('c')?))
            }
        } else {
            None
        };
        Ok(RaiseNew { exc, cause })
    }

    fn manager(&mut self, in_async: bool) -> Result<Manager> {
        let init_raises =
            if self.chance(self.config.weights.init_raises, 12)? { Some(self.new_exc('r')?) } else { None };
        // Which protocols the class has: in an async program mostly the async one, elsewhere
        // mostly the sync one; the other one sometimes, to reach the wrong-statement errors.
        let (sync, async_) = match self.weighted(if in_async { &[2, 4, 2] } else { &[12, 1, 1] })? {
            0 => (true, false),
            1 => (false, true),
            _ => (true, true),
        };
        let (enter, exit) = if sync {
            (self.method(Slot::Enter)?, self.method(Slot::Exit)?)
        } else {
            (Method::Missing, Method::Missing)
        };
        let (aenter, aexit) = if async_ {
            (self.async_method(Slot::AEnter)?, self.async_method(Slot::AExit)?)
        } else {
            (Method::Missing, Method::Missing)
        };
        Ok(Manager { init_raises, enter, exit, aenter, aexit, base: None })
    }

    /// `__aenter__` / `__aexit__`: mostly `async def`, sometimes a plain `def` returning an
    /// awaitable, a non-awaitable, or raising synchronously.
    fn async_method(&mut self, slot: Slot) -> Result<Method> {
        let broken = self.config.weights.broken_method;
        let descriptor = self.config.weights.descriptor_method;
        Ok(match self.weighted(&[16, 6, broken, broken, broken, broken, descriptor])? {
            0 => {
                let suspend = if self.u.ratio(1, 2)? { Some(self.labels.next('s')) } else { None };
                Method::AsyncDef { suspend, action: self.action(slot)? }
            }
            1 => {
                let action = match self.weighted(&[5, 3, 2, 2])? {
                    0 => {
                        let inner = if slot.is_exit() { self.exit_value()? } else { self.enter_value()? };
                        let then = if self.u.ratio(1, 6)? {
                            AwaitThen::Raise(self.pick(RAISED)?)
                        } else {
                            AwaitThen::Return(inner)
                        };
                        let suspend = self.u.ratio(1, 2)?;
                        // A plain def that returns a coroutine object, or a hand-made awaitable.
                        let coroutine = self.u.ratio(1, 3)?;
                        let label = self.labels.next('a');
                        Action::Return(Value::Awaitable { label, suspend, then: Box::new(then), coroutine })
                    }
                    1 => Action::Return(if slot.is_exit() { self.exit_value()? } else { self.enter_value()? }),
                    2 => Action::Return(Value::BadAwaitable),
                    _ => self.action(slot)?,
                };
                Method::Defined(action)
            }
            2 => Method::Missing,
            3 => Method::InstanceOnly,
            4 => Method::NoneAttr,
            5 => Method::WrongArity,
            _ => self.descriptor_method(slot)?,
        })
    }

    fn method(&mut self, slot: Slot) -> Result<Method> {
        let broken = self.config.weights.broken_method;
        let descriptor = self.config.weights.descriptor_method;
        match self.weighted(&[24, broken, broken, broken, broken, descriptor])? {
            0 => Ok(Method::Defined(self.action(slot)?)),
            1 => Ok(Method::Missing),
            2 => Ok(Method::InstanceOnly),
            3 => Ok(Method::NoneAttr),
            4 => Ok(Method::WrongArity),
            _ => self.descriptor_method(slot),
        }
    }

    fn action(&mut self, slot: Slot) -> Result<Action> {
        if !slot.is_exit() {
            return Ok(match self.weighted(&[6, 5, 2, 1])? {
                0 => Action::ReturnSelf,
                1 => Action::Return(self.enter_value()?),
                2 => Action::Raise(self.raise_new()?),
                _ => Action::BareRaise,
            });
        }
        Ok(match self.weighted(&[8, 3, 2, 2, 1, 3])? {
            0 => Action::Return(self.exit_value()?),
            1 => Action::Raise(self.raise_new()?),
            2 => Action::RaiseArg,
            3 => Action::BareRaise,
            4 => Action::ReturnSelf,
            _ => {
                let n = self.u.int_in_range(1..=2)?;
                let mut classes = Vec::with_capacity(n);
                for _ in 0..n {
                    classes.push(self.pick(CAUGHT)?);
                }
                Action::SuppressIf(classes)
            }
        })
    }

    /// What `__enter__` returns: things worth binding and unpacking.
    fn enter_value(&mut self) -> Result<Value> {
        Ok(match self.weighted(&[3, 3, 2, 2, 1, 1])? {
            0 => Value::Int(self.u.int_in_range(0..=9)?),
            1 => Value::Tuple(vec![Value::Int(1), Value::Int(2)]),
            2 => {
                let n = self.u.int_in_range(0..=3)?;
                Value::Tuple((0..n).map(|i| Value::Int(i as i64)).collect())
            }
            3 => Value::None,
            4 => Value::Str(self.pick(&["ab", "a", "abc", ""])?.to_string()),
            _ => Value::Bool(self.u.ratio(1, 2)?),
        })
    }

    /// What `__exit__` returns: truthy, falsy, and objects whose truth test does things.
    fn exit_value(&mut self) -> Result<Value> {
        Ok(match self.weighted(&[3, 3, 3, 2, 1, 1, 3, 5, 2])? {
            0 => Value::None,
            1 => Value::Bool(true),
            2 => Value::Bool(false),
            3 => Value::Int(self.pick(&[0, 1, 2])?),
            4 => Value::Str(self.pick(&["", "x"])?.to_string()),
            5 => Value::Tuple(if self.u.ratio(1, 2)? { vec![] } else { vec![Value::Int(0)] }),
            6 => Value::LenObj { label: self.labels.next('n'), len: self.pick(&[0, 2, -1])? },
            7 => {
                let result = match self.weighted(&[3, 2, 2])? {
                    0 => BoolResult::Bool(self.u.ratio(1, 2)?),
                    1 => BoolResult::NonBool(self.pick(&[0, 1])?),
                    _ => BoolResult::Raise(self.pick(RAISED)?),
                };
                Value::BoolObj { label: self.labels.next('b'), result }
            }
            _ => Value::Int(1),
        })
    }

    fn block(&mut self, cx: &Cx, depth: usize) -> Result<Vec<Stmt>> {
        let n = self.u.int_in_range(1..=self.config.max_block.max(1))?;
        let mut res = Vec::with_capacity(n);
        // What the statements so far bound, for those after them (§8.1).
        let mut cx = cx.clone();
        for i in 0..n {
            if i > 0 && self.budget == 0 {
                break;
            }
            self.budget = self.budget.saturating_sub(1);
            let stmts = self.stmt(&cx, depth)?;
            let ends = stmts.last().is_some_and(ends_block);
            for s in &stmts {
                cx.scope.after(s);
            }
            res.extend(stmts);
            if ends {
                // Code after an unconditional jump never runs; stop the block there.
                break;
            }
        }
        Ok(res)
    }

    /// One statement, or a short idiom of a few (an assignment and the `with`s that use it).
    fn stmt(&mut self, cx: &Cx, depth: usize) -> Result<Vec<Stmt>> {
        let w = &self.config.weights;
        let nested = depth < self.config.max_depth && self.budget > 0 && cx.scope.blocks() + MOST_BLOCKS <= MAX_BLOCKS;
        let drivable = self.drivable(cx);
        let closable = !cx.scope.in_gen() && !self.gen_async.is_empty();
        // In this order: the order is part of what a seed means.
        let table = [
            (Choice::Log, w.log),
            (Choice::With, if nested { w.with } else { 0 }),
            (Choice::Raise, w.raise),
            (Choice::BareRaise, if cx.scope.handling() { w.bare_raise * 2 } else { w.bare_raise.min(1) }),
            (Choice::Return, if cx.scope.async_gen() || cx.scope.in_star() { 0 } else { w.return_ }),
            (Choice::Loop, if nested && depth < 2 { w.loop_ } else { 0 }),
            (Choice::Jump, if cx.scope.in_loop() { w.jump } else { 0 }),
            // Nested handlers are where chains get interesting (and cycles get cut).
            (Choice::Try, if nested { w.try_ * if cx.scope.caught().is_empty() { 1 } else { 3 } } else { 0 }),
            (
                Choice::Show,
                if cx.scope.vars().is_empty() && cx.scope.maybe_bound().next().is_none() { 0 } else { w.show },
            ),
            (Choice::RaiseCaught, w.raise * cx.scope.caught().len().min(2) as u32 * 2),
            (Choice::Await, if cx.scope.is_async() { w.await_ } else { 0 }),
            (Choice::Yield, if cx.may_yield { w.yield_ } else { 0 }),
            (Choice::Drive, if drivable.is_empty() { 0 } else { w.with }),
            (Choice::StackWith, if nested { w.exit_stack } else { 0 }),
            (Choice::StackOp, if cx.scope.stacks().is_empty() { 0 } else { w.stack_op * 2 }),
            (Choice::Reentry, if nested { w.reentry } else { 0 }),
            (Choice::ClosingWith, if nested && closable { w.closing_gen } else { 0 }),
            (Choice::Chaining, if cx.scope.caught().is_empty() { 0 } else { w.chaining }),
            (Choice::Keep, if nested { w.chaining.min(1) } else { 0 }),
            (Choice::RaiseGroup, w.groups),
            (Choice::TryStar, if nested { w.groups } else { 0 }),
        ];
        Ok(vec![match self.choose_weighted(&table)? {
            Choice::Log => Stmt::Log(self.labels.next('L')),
            Choice::With => self.with(cx, depth)?,
            Choice::Raise => Stmt::Raise(self.raise_in(cx)?),
            Choice::BareRaise => Stmt::BareRaise,
            Choice::Return => {
                let value = self.enter_value()?;
                Stmt::Return { label: self.labels.next('v'), value }
            }
            Choice::Loop => {
                let times = self.u.int_in_range(1..=3)?;
                let inner = cx.inside(cx.scope.loop_body());
                Stmt::Loop { times, body: self.block(&inner, depth + 1)? }
            }
            Choice::Jump => {
                if self.u.ratio(1, 2)? {
                    Stmt::Break
                } else {
                    Stmt::Continue
                }
            }
            Choice::Try => self.try_(cx, depth)?,
            Choice::Show => {
                // A name bound by a `with` before this one, read after it (§8.1), or a name bound here.
                let after: Vec<&str> = cx.scope.maybe_bound().collect();
                let var = if cx.scope.vars().is_empty() || (!after.is_empty() && self.u.ratio(1, 3)?) {
                    self.u.choose(&after)?.to_string()
                } else {
                    self.u.choose(cx.scope.vars())?.clone()
                };
                Stmt::Show(var)
            }
            // Prefer the outermost caught exception: re-raising it inside an inner handler is
            // what makes a context cycle that CPython has to cut.
            Choice::RaiseCaught => Stmt::RaiseCaught(if self.u.ratio(2, 3)? {
                cx.scope.caught()[0].clone()
            } else {
                self.u.choose(cx.scope.caught())?.clone()
            }),
            Choice::Await => Stmt::Await(self.labels.next('s')),
            Choice::Yield => self.yield_stmt()?,
            Choice::Drive => {
                let gen = *self.u.choose(&drivable)?;
                let (how, then) = self.drive_how(cx, self.gen_async[gen])?;
                Stmt::Drive { label: self.labels.next('d'), gen, how, then }
            }
            Choice::Chaining => return self.chaining_stmt(cx),
            Choice::Keep => return self.keep_idiom(),
            Choice::RaiseGroup => Stmt::RaiseGroup(self.group(0)?),
            Choice::TryStar => self.try_star(cx, depth)?,
            Choice::StackWith => self.stack_with(cx, depth)?,
            Choice::StackOp => return self.stack_op(cx),
            Choice::Reentry => return self.reentry(cx, depth),
            Choice::ClosingWith => self.closing_with(cx, depth)?,
        }])
    }

    /// The generator functions `drive` can run here: async ones only in async code.
    fn drivable(&self, cx: &Cx) -> Vec<usize> {
        if cx.scope.in_gen() {
            return Vec::new();
        }
        (0..cx.n_gens).filter(|g| cx.scope.is_async() || !self.gen_async[*g]).collect()
    }

    /// Whether this `with` is an `async with`: in async code, two times in three.
    fn with_kind(&mut self, cx: &Cx) -> Result<bool> {
        Ok(cx.scope.is_async() && self.u.ratio(2, 3)?)
    }

    fn with(&mut self, cx: &Cx, depth: usize) -> Result<Stmt> {
        let is_async = self.with_kind(cx)?;
        let n = 1 + self.weighted(&[6, 3, 1][..self.config.max_items.clamp(1, 3)])?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            let expr = if self.chance(self.config.weights.contextlib_item, 20)? {
                self.contextlib_item(cx, is_async)?
            } else if self.chance(self.config.weights.literal_item, 20)? {
                ItemExpr::Literal(self.u.choose(&[Value::Int(1), Value::None, Value::Str("s".to_string())])?.clone())
            } else {
                ItemExpr::New(self.u.int_in_range(0..=cx.n_managers - 1)?)
            };
            let target = self.target()?;
            items.push(WithItem { expr, target });
        }
        // Now and then the items in parentheses, without targets, which 3.8 reads as one tuple
        // (with a target, 3.8 refuses to compile them: only a program focused on that has one).
        let parens = if items.iter().all(|it| it.target == Target::None) && self.u.ratio(1, 16)? {
            if n > 1 && self.u.ratio(1, 2)? {
                Parens::Yes
            } else {
                Parens::TrailingComma
            }
        } else {
            Parens::No
        };
        let inner = cx.inside(cx.scope.with_body(&items));
        let mut body = Vec::new();
        // Show what the first target bound most of the time: that is what `as` is about.
        if let Some(v) = inner.scope.vars().last().cloned() {
            if inner.scope.vars().len() > cx.scope.vars().len() && self.u.ratio(2, 3)? {
                body.push(Stmt::Show(v));
            }
        }
        body.extend(self.block(&inner, depth + 1)?);
        Ok(Stmt::With { parens, is_async, items, body })
    }

    /// A `@contextmanager` function of the statement's kind, mostly: the other kind is a
    /// protocol error.
    fn cm_index(&mut self, cx: &Cx, is_async: bool) -> Result<Option<usize>> {
        if cx.n_cms == 0 {
            return Ok(None);
        }
        let matching: Vec<usize> = (0..cx.n_cms).filter(|c| self.cm_async[*c] == is_async).collect();
        if matching.is_empty() || self.u.ratio(1, 10)? {
            return Ok(Some(self.u.int_in_range(0..=cx.n_cms - 1)?));
        }
        Ok(Some(*self.u.choose(&matching)?))
    }

    /// A contextlib manager as a `with` item of a `with` (`async with` when `is_async`).
    fn contextlib_item(&mut self, cx: &Cx, is_async: bool) -> Result<ItemExpr> {
        let weights = [
            if cx.n_cms > 0 { 12 } else { 0 },
            if self.has(Capability::Suppress) { 2 } else { 0 },
            if self.has(Capability::Nullcontext) { 2 } else { 0 },
            if self.has(Capability::Closing) { 2 } else { 0 },
        ];
        if weights.iter().all(|w| *w == 0) {
            // None of contextlib here: a manager class instead.
            return Ok(ItemExpr::New(self.u.int_in_range(0..=cx.n_managers - 1)?));
        }
        Ok(match self.weighted(&weights)? {
            0 => {
                let c = self.cm_index(cx, is_async)?.expect("weighted out when there is none");
                self.cm_call(c, 30)?
            }
            1 => {
                let n = self.u.int_in_range(0..=2)?;
                let mut classes = Vec::with_capacity(n);
                for _ in 0..n {
                    classes.push(self.pick(CAUGHT)?);
                }
                ItemExpr::Suppress(classes)
            }
            2 => ItemExpr::Nullcontext(self.enter_value()?),
            _ => {
                // One in two raises from close(): closing-raises is as rare as closing is.
                let raises = if self.u.ratio(1, 2)? { Some(self.pick(RAISED)?) } else { None };
                ItemExpr::Closing { label: self.labels.next('k'), raises }
            }
        })
    }

    /// A generator function: `with` (or `async with`) around its yields, in one of the shapes
    /// §1.8 is about.
    fn gen_fn(&mut self, cx: &Cx, is_async: bool) -> Result<GenFn> {
        let in_gen = Cx { scope: Scope::function(Func::Gen { is_async }), may_yield: true, ..cx.clone() };
        let mut body = self.block(&in_gen, 1)?;
        match self.weighted(&[4, 3, 1])? {
            0 => {
                // The shape §1.8 is about: a generator suspended inside a `with`.
                let first = self.yield_in_with(&in_gen)?;
                if self.u.ratio(1, 2)? {
                    // Yielding again after a manager that may swallow GeneratorExit.
                    body.insert(0, Stmt::Yield(self.labels.next('y')));
                }
                body.insert(0, first);
            }
            1 => {
                let first = self.yield_in_try(&in_gen)?;
                if self.u.ratio(2, 3)? {
                    // Nothing after it: after a throw() the generator returns.
                    body.clear();
                }
                body.insert(0, first);
            }
            _ => {}
        }
        if !body.iter().any(oracle::ir::has_yield) {
            body.push(Stmt::Yield(self.labels.next('y')));
        }
        Ok(GenFn { is_async, body })
    }

    /// A `@contextmanager` (`@asynccontextmanager` with `is_async`) generator function in the
    /// shape `ir::CmGen` describes.
    /// Adds `cm` to the program's generator managers, with its kind in [`Self::cm_async`] beside
    /// it (what statements generated later read); its index.
    fn push_cm(&mut self, cms: &mut Vec<CmGen>, mut cm: CmGen) -> Result<usize> {
        self.cm_async.push(cm.is_async);
        cm.params = self.cm_params()?;
        self.cm_params.push(cm.params.clone());
        cms.push(cm);
        Ok(cms.len() - 1)
    }

    fn cm_gen(&mut self, cx: &Cx, is_async: bool) -> Result<CmGen> {
        let plain =
            Cx { scope: Scope::function(Func::Cm { is_async }), may_yield: false, n_gens: 0, n_cms: 0, ..cx.clone() };
        let small = |g: &mut Self| -> Result<Vec<Stmt>> {
            if g.u.ratio(2, 3)? {
                Ok(Vec::new())
            } else {
                g.block(&plain, 2)
            }
        };
        let pre = small(self)?;
        if self.u.ratio(1, 10)? {
            return Ok(CmGen {
                is_async,
                params: Vec::new(),
                pre,
                yields: None,
                handler: None,
                finally: None,
                post: Vec::new(),
            });
        }
        let yields = Some(self.enter_value()?);
        let handler = if self.u.ratio(1, 2)? {
            let label = self.labels.next('h');
            // Broad handlers often: a generator that catches what the body raised is what
            // suppression and "didn't stop after throw()" are about.
            let class = match self.weighted(&[3, 2, 2, 2])? {
                0 => None,
                1 => Some(ExcClass::Exception),
                2 => Some(ExcClass::BaseException),
                _ => Some(self.pick(CAUGHT)?),
            };
            let bind = class.is_some() && self.u.ratio(1, 3)?;
            // Whether a finally follows is not decided yet: count it in.
            let bound = bind.then_some(label.as_str());
            let inner = plain.inside(plain.scope.handler_body(bound, Clauses::ALL));
            let body = if self.u.ratio(1, 2)? { Vec::new() } else { self.block(&inner, 2)? };
            Some(Handler { label, class, bind, body })
        } else {
            None
        };
        let finally = if self.u.ratio(1, 3)? {
            let label = self.labels.next('f');
            let clauses = Clauses { handlers: handler.is_some(), finally: true };
            let inner = plain.inside(plain.scope.finally_body(clauses));
            let body = if self.u.ratio(1, 2)? { Vec::new() } else { self.block(&inner, 2)? };
            Some((label, body))
        } else {
            None
        };
        let mut post = if self.u.ratio(2, 3)? { Vec::new() } else { self.block(&plain, 2)? };
        // A handler that lets the generator go on to a second yield is "didn't stop after
        // throw()"; make that common enough to see.
        let yield_again = self.u.ratio(1, 3)?;
        if yield_again && !post.last().is_some_and(ends_block) {
            post.push(Stmt::Yield(self.labels.next('y')));
        }
        Ok(CmGen { is_async, params: Vec::new(), pre, yields, handler, finally, post })
    }

    /// `with M<i>(): yield 'y1'; ...`: the body starts suspended inside the manager (an
    /// `async with` in an async generator, mostly).
    fn yield_in_with(&mut self, cx: &Cx) -> Result<Stmt> {
        let mgr = self.u.int_in_range(0..=cx.n_managers - 1)?;
        let mut body = vec![Stmt::Yield(self.labels.next('y'))];
        if self.u.ratio(1, 2)? {
            body.push(Stmt::Yield(self.labels.next('y')));
        }
        let is_async = cx.scope.is_async() && self.u.ratio(3, 4)?;
        let expr = match self.cm_index(cx, is_async)? {
            Some(c) if self.u.ratio(1, 4)? => self.cm_call(c, 30)?,
            _ => ItemExpr::New(mgr),
        };
        Ok(Stmt::With { parens: Parens::No, is_async, items: vec![WithItem { expr, target: Target::None }], body })
    }

    // ---- ExitStack, re-entry, closing ----

    /// `with ExitStack() as s1:` (or `async with AsyncExitStack() as s1:`) whose body starts
    /// with a few operations on the stack; statements further in may use it too.
    fn stack_with(&mut self, cx: &Cx, depth: usize) -> Result<Stmt> {
        let is_async = self.with_kind(cx)?;
        let Some(is_async) = self.stack_kind(is_async, cx.scope.is_async()) else {
            // No exit stack of a kind that can be used here.
            return self.with(cx, depth);
        };
        let name = self.labels.next('s');
        let item = WithItem { expr: ItemExpr::ExitStack { is_async }, target: Target::Name(name.clone()) };
        let inner = cx.inside(cx.scope.with_body(std::slice::from_ref(&item)));
        let mut body = Vec::new();
        for _ in 0..self.u.int_in_range(1..=3)? {
            body.extend(self.stack_op_on(&inner, &name, is_async)?);
        }
        if self.u.ratio(1, 3)? {
            // pop_all(): a new stack takes the callbacks; the old one exits with none.
            let popped = self.labels.next('s');
            let pop_item = WithItem { expr: ItemExpr::PopAll(name.clone()), target: Target::Name(popped.clone()) };
            let pop_scope = inner.inside(inner.scope.with_body(std::slice::from_ref(&pop_item)));
            let mut pop_body = Vec::new();
            if self.u.ratio(1, 2)? {
                pop_body.extend(self.stack_op_on(&pop_scope, &popped, is_async)?);
            }
            pop_body.extend(self.block(&pop_scope, depth + 2)?);
            body.push(Stmt::With { parens: Parens::No, is_async, items: vec![pop_item], body: pop_body });
        }
        if !body.last().is_some_and(ends_block) {
            body.extend(self.block(&inner, depth + 1)?);
        }
        Ok(Stmt::With { parens: Parens::No, is_async, items: vec![item], body })
    }

    /// An operation on one of the stacks in scope.
    fn stack_op(&mut self, cx: &Cx) -> Result<Vec<Stmt>> {
        let (name, is_async) = self.u.choose(cx.scope.stacks())?.clone();
        self.stack_op_on(cx, &name, is_async)
    }

    fn stack_op_on(&mut self, cx: &Cx, stack: &str, stack_async: bool) -> Result<Vec<Stmt>> {
        let can_await = stack_async && cx.scope.is_async();
        let weights = [
            6,
            if can_await { 6 } else { 0 },
            3,
            if stack_async { 3 } else { 0 },
            4,
            3,
            if cx.scope.is_async() || !stack_async { 2 } else { 0 },
        ];
        let op = match self.weighted(&weights)? {
            0 | 1 => {
                let is_async = can_await && self.u.ratio(2, 3)?;
                let expr = self.stack_item(cx, is_async)?;
                let target = if self.u.ratio(1, 4)? { Some(self.pick(NAMES)?.to_string()) } else { None };
                let show = target.clone();
                let op = StackOp::Enter { expr, is_async, target };
                let mut res = vec![Stmt::Stack { stack: stack.to_string(), op }];
                if let Some(t) = show {
                    // What entering returned is what the assignment binds.
                    res.push(Stmt::Show(t));
                }
                return Ok(res);
            }
            2 | 3 => {
                let is_async = stack_async && self.u.ratio(1, 2)?;
                let expr = self.stack_item(cx, is_async)?;
                StackOp::Push { expr, is_async }
            }
            4 => {
                let is_async = stack_async && self.u.ratio(1, 2)?;
                let result = if self.u.ratio(1, 3)? {
                    ExitFnResult::Raise(self.pick(RAISED)?)
                } else {
                    let v = match self.weighted(&[3, 3, 3, 1, 2, 1])? {
                        0 => Value::None,
                        1 => Value::Bool(true),
                        2 => Value::Bool(false),
                        3 => Value::Int(self.pick(&[0, 1])?),
                        4 => {
                            let result = match self.weighted(&[3, 1, 2])? {
                                0 => BoolResult::Bool(self.u.ratio(1, 2)?),
                                1 => BoolResult::NonBool(1),
                                _ => BoolResult::Raise(self.pick(RAISED)?),
                            };
                            Value::BoolObj { label: self.labels.next('b'), result }
                        }
                        _ => Value::LenObj { label: self.labels.next('n'), len: self.pick(&[0, 1])? },
                    };
                    ExitFnResult::Return(v)
                };
                let suspend = is_async && self.u.ratio(1, 2)?;
                StackOp::PushFn(ExitFn { label: self.labels.next('x'), is_async, suspend, result })
            }
            5 => {
                let is_async = stack_async && self.u.ratio(1, 2)?;
                let raises = if self.u.ratio(1, 3)? { Some(self.pick(RAISED)?) } else { None };
                StackOp::Callback { label: self.labels.next('k'), raises, is_async }
            }
            _ => StackOp::Close { is_async: stack_async },
        };
        Ok(vec![Stmt::Stack { stack: stack.to_string(), op }])
    }

    /// What a stack enters or pushes: mostly a manager class, sometimes a contextlib manager,
    /// a nested stack, or something that is no manager at all.
    fn stack_item(&mut self, cx: &Cx, is_async: bool) -> Result<ItemExpr> {
        let nested = self.has(if is_async { Capability::AsyncExitStack } else { Capability::ExitStack });
        Ok(match self.weighted(&[8, 3, if nested { 1 } else { 0 }, 1])? {
            0 => ItemExpr::New(self.u.int_in_range(0..=cx.n_managers - 1)?),
            1 => self.contextlib_item(cx, is_async)?,
            2 => ItemExpr::ExitStack { is_async },
            _ => ItemExpr::Literal(self.u.choose(&[Value::Int(1), Value::None])?.clone()),
        })
    }

    /// `m1 = c0()` and `with m1:` twice, one after the other or one inside the other: a
    /// generator manager refuses the second entry.
    fn reentry(&mut self, cx: &Cx, depth: usize) -> Result<Vec<Stmt>> {
        let is_async = self.with_kind(cx)?;
        let name = self.labels.next('m');
        let suppress = self.has(Capability::Suppress);
        let stack = self.has(if is_async { Capability::AsyncExitStack } else { Capability::ExitStack });
        let weights = [if cx.n_cms > 0 { 6 } else { 0 }, 3, if suppress { 1 } else { 0 }, if stack { 1 } else { 0 }];
        let expr = match self.weighted(&weights)? {
            0 => {
                let c = self.cm_index(cx, is_async)?.expect("weighted out when there is none");
                self.cm_call(c, 30)?
            }
            1 => ItemExpr::New(self.u.int_in_range(0..=cx.n_managers - 1)?),
            2 => ItemExpr::Suppress(vec![self.pick(CAUGHT)?]),
            _ => ItemExpr::ExitStack { is_async },
        };
        let assign = Stmt::Assign { name: name.clone(), expr };
        let mut after = cx.scope.clone();
        after.after(&assign);
        let item = || WithItem { expr: ItemExpr::Var(name.clone()), target: Target::None };
        let first_scope = after.with_body(&[item()]);
        let nested = self.u.ratio(1, 3)?;
        let second_scope = if nested { first_scope.with_body(&[item()]) } else { first_scope.clone() };
        let second_body = self.block(&cx.inside(second_scope), depth + 2)?;
        let second = Stmt::With { parens: Parens::No, is_async, items: vec![item()], body: second_body };
        let mut first_body = self.block(&cx.inside(first_scope), depth + 1)?;
        let mut res = vec![assign];
        if nested {
            first_body.insert(0, second);
            res.push(Stmt::With { parens: Parens::No, is_async, items: vec![item()], body: first_body });
        } else {
            res.push(Stmt::With { parens: Parens::No, is_async, items: vec![item()], body: first_body });
            res.push(second);
        }
        Ok(res)
    }

    /// `with closing(g0()) as it:` (`async with aclosing(g0()) as it:`) whose body steps the
    /// generator between its other statements; closing closes it when the body ends.
    fn closing_with(&mut self, cx: &Cx, depth: usize) -> Result<Stmt> {
        let is_async = self.with_kind(cx)?;
        let fitting: Vec<usize> = (0..self.gen_async.len()).filter(|g| self.gen_async[*g] == is_async).collect();
        // No generator of this kind: the other kind, in a `with` of its own kind if possible.
        let (gen, is_async) = match fitting.is_empty() {
            false => (*self.u.choose(&fitting)?, is_async),
            true if !is_async || !self.gen_async.contains(&false) => {
                if !cx.scope.is_async() && self.gen_async.iter().all(|a| *a) {
                    // Only async generators, and no way to step them here: a plain `with`.
                    return self.with(cx, depth);
                }
                (self.gen_async.iter().position(|a| *a != is_async).expect("some generator"), !is_async)
            }
            true => (self.gen_async.iter().position(|a| !*a).expect("some generator"), false),
        };
        if !self.has(if is_async { Capability::Aclosing } else { Capability::Closing }) {
            return self.with(cx, depth);
        }
        let var = self.labels.next('i');
        let item = WithItem { expr: ItemExpr::ClosingGen { gen, is_async }, target: Target::Name(var.clone()) };
        let inner = cx.inside(cx.scope.with_body(std::slice::from_ref(&item)));
        let mut body = Vec::new();
        for _ in 0..self.u.int_in_range(1..=3)? {
            let k = self.u.int_in_range(1..=2)?;
            body.push(Stmt::Step { label: self.labels.next('d'), var: var.clone(), k, is_async });
            if self.u.ratio(1, 2)? {
                let more = self.block(&inner, depth + 1)?;
                let ends = more.last().is_some_and(ends_block);
                body.extend(more);
                if ends {
                    break;
                }
            }
        }
        Ok(Stmt::With { parens: Parens::No, is_async, items: vec![item], body })
    }

    /// Two more §1.8 shapes: a yield that catches whatever is thrown at it (so the generator
    /// returns after `throw()`), and a yield inside a handler (so what is thrown in is chained
    /// to the exception the generator is handling).
    fn yield_in_try(&mut self, cx: &Cx) -> Result<Stmt> {
        let catch_all = Handler { label: self.labels.next('h'), class: None, bind: false, body: Vec::new() };
        let t = if self.u.ratio(1, 2)? {
            let body = vec![Stmt::Yield(self.labels.next('y'))];
            Try { body, handlers: vec![catch_all], orelse: Vec::new(), finally: None }
        } else {
            let raise = Stmt::Raise(self.raise_new()?);
            let mut handler = catch_all;
            handler.body = vec![Stmt::Yield(self.labels.next('y'))];
            if self.u.ratio(1, 2)? {
                handler.body = vec![self.yield_in_with(cx)?];
            }
            Try { body: vec![raise], handlers: vec![handler], orelse: Vec::new(), finally: None }
        };
        Ok(Stmt::Try(Box::new(t)))
    }

    fn try_(&mut self, cx: &Cx, depth: usize) -> Result<Stmt> {
        // The clauses are not decided yet: count them all in.
        let body = self.block(&cx.inside(cx.scope.try_body(Clauses::ALL)), depth + 1)?;
        let n_handlers = self.u.int_in_range(0..=2)?;
        let mut handlers = Vec::with_capacity(n_handlers);
        for i in 0..n_handlers {
            let label = self.labels.next('h');
            let last = i + 1 == n_handlers;
            let class = if last && self.u.ratio(1, 5)? { None } else { Some(self.caught_class()?) };
            let bind = class.is_some() && self.u.ratio(2, 3)?;
            let inner = cx.inside(cx.scope.handler_body(bind.then_some(label.as_str()), Clauses::ALL));
            let body = if bind && self.u.ratio(1, 2)? {
                // The re-raise idiom: raising the outer exception again while an inner one is
                // handled, whose context already is the outer one (§1.6, cycles are cut).
                let inner_label = self.labels.next('h');
                let raise = Stmt::Raise(self.raise_new()?);
                let reraise = Stmt::RaiseCaught(label.clone());
                let (handler_body, finally) = if self.u.ratio(1, 2)? {
                    (vec![reraise], None)
                } else {
                    (Vec::new(), Some((self.labels.next('f'), vec![reraise])))
                };
                let inner_handler = Handler { label: inner_label, class: None, bind: false, body: handler_body };
                let t = Try { body: vec![raise], handlers: vec![inner_handler], orelse: Vec::new(), finally };
                vec![Stmt::Try(Box::new(t))]
            } else if self.u.ratio(1, 3)? {
                Vec::new()
            } else {
                self.block(&inner, depth + 1)?
            };
            handlers.push(Handler { label, class, bind, body });
        }
        let orelse = if !handlers.is_empty() && self.u.ratio(1, 4)? {
            self.block(&cx.inside(cx.scope.else_body(Clauses::ALL)), depth + 1)?
        } else {
            Vec::new()
        };
        let finally = if handlers.is_empty() || self.u.ratio(1, 3)? {
            let label = self.labels.next('f');
            let clauses = Clauses { handlers: !handlers.is_empty(), finally: true };
            let inner = cx.inside(cx.scope.finally_body(clauses));
            let body = if self.u.ratio(1, 2)? { Vec::new() } else { self.block(&inner, depth + 1)? };
            Some((label, body))
        } else {
            None
        };
        Ok(Stmt::Try(Box::new(Try { body, handlers, orelse, finally })))
    }
}

/// Whether a statement always jumps away, so that nothing after it in its block runs.
fn ends_block(s: &Stmt) -> bool {
    matches!(
        s,
        Stmt::Raise(_) | Stmt::BareRaise | Stmt::RaiseCaught(_) | Stmt::Return { .. } | Stmt::Break | Stmt::Continue
    )
}
