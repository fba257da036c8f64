//! What holds where a statement stands: the function it is in, the loop and handlers around it,
//! the names bound, and how deeply CPython counts its blocks nested. The one implementation of
//! scoping that validation, the reducer's repair, the walkers of [`visit`](super::visit) and the
//! generator share.

use super::visit::{self, Step};
use super::{Handler, ItemExpr, StackOp, Stmt, Target, Try, WithItem};

/// CPython's limit on statically nested blocks in one function (`CO_MAXBLOCKS`): a function that
/// nests more does not compile ("too many statically nested blocks").
pub const MAX_BLOCKS: usize = 20;

/// The fewest blocks, counted as [`Scope::floor`] counts them, that every version from 3.8 to
/// 3.14 refuses to compile (3.13 and 3.14 accept one more than [`MAX_BLOCKS`] in a plain
/// function, probed; SEMANTICS-ADDENDUM §8.7).
pub const REFUSED_BLOCKS: usize = MAX_BLOCKS + 2;

/// The kind of function a block belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    /// `def main():`, or `async def main():` with `is_async`.
    Main {
        /// `async def main():`.
        is_async: bool,
    },
    /// A generator function `def g0():`, or an async generator function.
    Gen {
        /// `async def g0():`.
        is_async: bool,
    },
    /// A coroutine function `async def g0():` without a `yield`.
    Coro,
    /// A decorated function `def f0(n, k):` (SEMANTICS-ADDENDUM §14), or an `async def` one: a
    /// plain function, counted as `main` is.
    Def {
        /// `async def f0(n, k):`.
        is_async: bool,
    },
    /// A `@contextmanager` function `def c0():`, or an `@asynccontextmanager` one.
    Cm {
        /// `@asynccontextmanager async def c0():`.
        is_async: bool,
    },
}

/// Which clauses a `try` statement has, which decides how deep CPython counts each of its blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clauses {
    /// At least one `except`.
    pub handlers: bool,
    /// A `finally`.
    pub finally: bool,
}

impl Clauses {
    /// The deepest a `try` can be counted: with `except` and `finally` clauses. For a `try`
    /// whose clauses are not decided yet.
    pub const ALL: Clauses = Clauses { handlers: true, finally: true };

    /// The clauses of `t`.
    pub fn of(t: &Try) -> Clauses {
        Clauses { handlers: !t.handlers.is_empty(), finally: t.finally.is_some() }
    }
}

/// What holds at a point of a function body.
///
/// Names are bound by `with` targets, assignments, `x = st.enter_context(...)` and `except ... as
/// e_<label>`, and are visible in the rest of their block and the blocks nested in it. A name
/// some earlier statement of the function bound inside one of its blocks (a `with` target read
/// after its `with`, §8.1) may be read too, by `show` only: it may be unbound when the read runs.
///
/// The nesting count overestimates CPython's on every version from 3.8 on (probed with each
/// interpreter): a `with` counts one block per item, a loop one, the body of a `try` one per kind
/// of clause it has, a handler two (three with a `finally`), an `else` one (two with a
/// `finally`), a `finally` one (two with handlers). A generator function, coroutine or async
/// generator counts one more (3.12 wraps its body in a handler of its own, and crashes rather
/// than refuse one block too many), and an `await` one more for the instant it runs (3.12 again:
/// its handler is one more entry; an `async with` awaits `__aexit__` inside its last item).
#[derive(Clone, Debug, Default)]
pub struct Scope {
    in_loop: bool,
    in_gen: bool,
    is_async: bool,
    async_gen: bool,
    handling: bool,
    /// In a coroutine function.
    coro: bool,
    /// In the handler of an `except*` clause, where `return` is not (nor `break` or `continue`
    /// of a loop around it).
    star: bool,
    blocks: usize,
    /// A count of the blocks around a statement that no version from 3.8 on exceeds: a `with`
    /// item, a loop and a `try:` block count one, the clauses of a `try` nothing, a generator
    /// function or coroutine one.
    floor: usize,
    /// Names bound by `with` targets and assignments (a name bound twice is here twice).
    vars: Vec<String>,
    /// Names (not `e_<label>`) that statements before this one in the function bound inside
    /// their blocks: locals of the function that may or may not be bound here.
    seen: Vec<String>,
    /// Labels of the enclosing handlers that bind `e_<label>`, outermost first.
    caught: Vec<String>,
    /// The names among `vars` that hold an exit stack, and whether it is an `AsyncExitStack`.
    stacks: Vec<(String, bool)>,
    /// At the top level of the body of `with closing(g0()) as a:` (`aclosing`): the name and
    /// whether it is async. Nested blocks do not inherit it.
    step: Option<(String, bool)>,
    /// Names that hold an exit stack or a stepped generator for the block they scope, which
    /// nothing inside may rebind: the operations on them name the object, not the variable.
    pinned: Vec<String>,
}

impl Scope {
    /// The scope at the start of the body of a function of kind `func`.
    pub fn function(func: Func) -> Scope {
        match func {
            Func::Main { is_async } | Func::Def { is_async } => {
                let blocks = usize::from(is_async);
                Scope { is_async, blocks, floor: blocks, ..Scope::default() }
            }
            Func::Gen { is_async } | Func::Cm { is_async } => {
                Scope { in_gen: true, is_async, async_gen: is_async, blocks: 1, floor: 1, ..Scope::default() }
            }
            Func::Coro => Scope { in_gen: true, is_async: true, coro: true, blocks: 1, ..Scope::default() },
        }
    }

    // ---- what holds here ----

    /// In the body of a loop (and not in a function nested in it), where `break` and `continue` are.
    pub fn in_loop(&self) -> bool {
        self.in_loop
    }

    /// In a generator function (plain, async or contextlib's), where `drive` and `step` are not.
    pub fn in_gen(&self) -> bool {
        self.in_gen
    }

    /// In an async function, where `await` and `async with` are.
    pub fn is_async(&self) -> bool {
        self.is_async
    }

    /// In an async generator function, where `return` takes no value.
    pub fn async_gen(&self) -> bool {
        self.async_gen
    }

    /// In an `except` or `finally` block, where a bare `raise` may have something to re-raise.
    pub fn handling(&self) -> bool {
        self.handling
    }

    /// In a coroutine function, which `drive` runs by hand: it uses only what suspends at
    /// `await`s the model passes to `drive` (manager classes, no exit stacks or generator
    /// managers).
    pub fn in_coro(&self) -> bool {
        self.coro
    }

    /// In the block of an `except*` clause, where `return` is a SyntaxError (3.11+).
    pub fn in_star(&self) -> bool {
        self.star
    }

    /// How many blocks CPython counts around a statement here, the function's own included.
    pub fn blocks(&self) -> usize {
        self.blocks
    }

    /// Names bound by `with` targets and assignments, in the order they were bound.
    pub fn vars(&self) -> &[String] {
        &self.vars
    }

    /// Labels of the enclosing handlers that bind `e_<label>`, outermost first.
    pub fn caught(&self) -> &[String] {
        &self.caught
    }

    /// The exit stacks in variables, and whether each is an `AsyncExitStack`.
    pub fn stacks(&self) -> &[(String, bool)] {
        &self.stacks
    }

    /// The generator a `step` here may advance: the name `with closing(g0()) as a:` bound and
    /// whether it is `aclosing`, at the top level of that `with`'s body only.
    pub fn step(&self) -> Option<(&str, bool)> {
        self.step.as_ref().map(|(n, a)| (n.as_str(), *a))
    }

    /// Whether `name` is bound here: by a target, an assignment or a handler (`e_<label>`).
    pub fn is_bound(&self, name: &str) -> bool {
        self.vars.iter().any(|v| v == name) || name.strip_prefix("e_").is_some_and(|l| self.catches(l))
    }

    /// Whether `show` may read `name` here: it is bound, or an earlier statement of the function
    /// bound it somewhere inside its blocks (then it may be unbound when the read runs).
    pub fn can_read(&self, name: &str) -> bool {
        self.is_bound(name) || self.seen.iter().any(|v| v == name)
    }

    /// Names an earlier statement of the function bound inside its blocks and that are not
    /// bound here for certain.
    pub fn maybe_bound(&self) -> impl Iterator<Item = &str> {
        self.seen.iter().map(String::as_str).filter(|n| !self.vars.iter().any(|v| v == n))
    }

    /// Whether an enclosing handler binds `e_<label>`.
    pub fn catches(&self, label: &str) -> bool {
        self.caught.iter().any(|c| c == label)
    }

    /// Whether `name` holds an exit stack here, and then whether it is an `AsyncExitStack`.
    pub fn stack(&self, name: &str) -> Option<bool> {
        self.stacks.iter().rev().find(|(n, _)| n == name).map(|(_, a)| *a)
    }

    /// Whether `name` holds an exit stack or a stepped generator that nothing here may rebind.
    pub fn is_pinned(&self, name: &str) -> bool {
        self.pinned.iter().any(|p| p == name)
    }

    /// Whether what `expr` names is bound here: the variable of `m1` or `st.pop_all()` (to an
    /// exit stack, for `pop_all`); an expression that names no variable always is.
    pub fn has(&self, expr: &ItemExpr) -> bool {
        match expr {
            ItemExpr::Var(n) => self.is_bound(n),
            ItemExpr::PopAll(n) => self.stack(n).is_some(),
            _ => true,
        }
    }

    /// What `expr` gives a name: an exit stack (and whether it is an `AsyncExitStack`), or
    /// something else.
    pub fn stack_of(&self, expr: &ItemExpr) -> Option<bool> {
        match expr {
            ItemExpr::ExitStack { is_async } => Some(*is_async),
            ItemExpr::PopAll(n) | ItemExpr::Var(n) => self.stack(n),
            _ => None,
        }
    }

    // ---- binding ----

    /// Binds `name` to something that is not an exit stack (shadowing any stack of that name).
    fn bind(&mut self, name: &str) {
        self.vars.push(name.to_string());
        self.stacks.retain(|(n, _)| n != name);
    }

    /// Binds `name` to what `expr` gives; a name given an exit stack is pinned.
    fn bind_to(&mut self, name: &str, expr: &ItemExpr) {
        let stack = self.stack_of(expr);
        self.bind(name);
        if let Some(is_async) = stack {
            self.stacks.push((name.to_string(), is_async));
            self.pinned.push(name.to_string());
        }
    }

    /// Binds the target of a `with` item, for the items after it and the body.
    pub fn bind_item(&mut self, item: &WithItem) {
        match &item.target {
            Target::Name(n) => self.bind_to(n, &item.expr),
            other => other.names().into_iter().for_each(|n| self.bind(n)),
        }
    }

    /// What `s` binds for the statements after it in its block: an assignment its name, `x =
    /// st.enter_context(...)` its target; and the names bound inside its blocks, which may be
    /// read (§8.1).
    pub fn after(&mut self, s: &Stmt) {
        match s {
            Stmt::Assign { name, expr } => self.bind_to(name, expr),
            Stmt::Stack { op: StackOp::Enter { target: Some(t), .. }, .. } => self.bind(t),
            Stmt::Keep { name, .. }
            | Stmt::YieldFrom { target: Some(name), .. }
            | Stmt::AwaitCall { target: Some(name), .. }
            | Stmt::Call { target: Some(name), .. } => self.bind(name),
            _ => {}
        }
        for inner in visit::stmts(std::slice::from_ref(s)) {
            let names: Vec<&str> = match inner {
                Stmt::With { items, .. } => items.iter().flat_map(|it| it.target.names()).collect(),
                Stmt::Assign { name, .. } | Stmt::Stack { op: StackOp::Enter { target: Some(name), .. }, .. } => {
                    vec![name]
                }
                _ => Vec::new(),
            };
            for n in names {
                if !self.seen.iter().any(|v| v == n) {
                    self.seen.push(n.to_string());
                }
            }
        }
    }

    // ---- the blocks of a statement here ----

    /// A block nested `blocks` deeper (at least `floor` deeper on every version), where no step
    /// stands.
    fn nested(&self, blocks: usize, floor: usize) -> Scope {
        Scope { step: None, blocks: self.blocks + blocks, floor: self.floor + floor, ..self.clone() }
    }

    /// Whether the code here is a plain function's (not a generator function's or a
    /// coroutine's), where a statement nested too deep is refused cleanly on every version
    /// (3.12.1 crashes compiling a generator or a coroutine one block short of the limit).
    pub fn is_plain(&self) -> bool {
        !self.in_gen && !self.is_async
    }

    /// The fewest blocks any version from 3.8 on counts around a statement here, its own blocks
    /// included: a `with` counts one per item, a loop and a `try` one; at
    /// [`REFUSED_BLOCKS`] no version compiles it (§8.7).
    pub fn floor(&self, s: &Stmt) -> usize {
        self.floor
            + match s {
                Stmt::With { items, .. } => items.len(),
                Stmt::Loop { .. } | Stmt::Try(_) => 1,
                _ => 0,
            }
    }

    /// Where the first item of a `with` here is evaluated; [`bind_item`](Scope::bind_item) each
    /// item to get where the next one is.
    pub fn items(&self) -> Scope {
        self.nested(0, 0)
    }

    /// The body of `with <items>:` here: the targets are bound, and after `closing(g0()) as a`
    /// last, `a` may be stepped.
    pub fn with_body(&self, items: &[WithItem]) -> Scope {
        let mut inner = self.nested(items.len(), items.len());
        for it in items {
            inner.bind_item(it);
        }
        if let Some(WithItem { expr: ItemExpr::ClosingGen { is_async, .. }, target: Target::Name(n) }) = items.last() {
            inner.step = Some((n.clone(), *is_async));
            inner.pinned.push(n.clone());
        }
        inner
    }

    /// The body of a loop here.
    pub fn loop_body(&self) -> Scope {
        Scope { in_loop: true, ..self.nested(1, 1) }
    }

    /// The `try:` block of a `try` here with `clauses`.
    pub fn try_body(&self, clauses: Clauses) -> Scope {
        self.nested(usize::from(clauses.handlers) + usize::from(clauses.finally), 1)
    }

    /// The block of an `except` clause here, in a `try` with `clauses`; `bound` is the label of
    /// a handler that binds `e_<label>`.
    pub fn handler_body(&self, bound: Option<&str>, clauses: Clauses) -> Scope {
        let mut inner = Scope { handling: true, ..self.nested(2 + usize::from(clauses.finally), 0) };
        inner.caught.extend(bound.map(str::to_string));
        inner
    }

    /// The `try:` block of a `try` with `except*` clauses here, whose clauses are not decided yet.
    pub fn nested_try_star_body(&self) -> Scope {
        self.nested(1, 0).try_body(Clauses::ALL)
    }

    /// The block of an `except*` clause here: as an `except` clause's, counted one block deeper
    /// (`except*` compiles to more), outside any loop around the `try`, and no `return`.
    pub fn star_handler_body(&self, bound: Option<&str>, clauses: Clauses) -> Scope {
        Scope { in_loop: false, star: true, ..self.nested(1, 0).handler_body(bound, clauses) }
    }

    /// The `else:` block of a `try` here with `clauses`.
    pub fn else_body(&self, clauses: Clauses) -> Scope {
        self.nested(1 + usize::from(clauses.finally), 0)
    }

    /// The `finally:` block of a `try` here with `clauses`.
    pub fn finally_body(&self, clauses: Clauses) -> Scope {
        Scope { handling: true, ..self.nested(1 + usize::from(clauses.handlers), 0) }
    }

    /// The block `step` of `s`, a statement here; `None` if `s` has no such block.
    pub fn block(&self, s: &Stmt, step: Step) -> Option<Scope> {
        Some(match (s, step) {
            (Stmt::With { items, .. }, Step::With) => self.with_body(items),
            (Stmt::Loop { .. }, Step::Loop) => self.loop_body(),
            (Stmt::Try(t), Step::Try) => self.try_body(Clauses::of(t)),
            (Stmt::Try(t), Step::Except(j)) => self.handler_body(bound(t.handlers.get(j)?), Clauses::of(t)),
            (Stmt::Try(t), Step::Else) => self.else_body(Clauses::of(t)),
            (Stmt::Try(t), Step::Finally) => self.finally_body(Clauses::of(t)),
            (Stmt::TryStar(t), Step::Try) => self.nested(1, 0).try_body(Clauses::of(t)),
            (Stmt::TryStar(t), Step::Except(j)) => self.star_handler_body(bound(t.handlers.get(j)?), Clauses::of(t)),
            (Stmt::TryStar(t), Step::Else) => self.nested(1, 0).else_body(Clauses::of(t)),
            (Stmt::TryStar(t), Step::Finally) => self.nested(1, 0).finally_body(Clauses::of(t)),
            _ => return None,
        })
    }

    /// The most blocks CPython counts while it compiles `s` here (its own blocks, not those of
    /// the statements inside them); a function compiles when this is at most [`MAX_BLOCKS`] for
    /// every statement.
    pub fn peak(&self, s: &Stmt) -> usize {
        let awaits = match s {
            Stmt::Await(_) | Stmt::Drive { .. } | Stmt::AwaitCall { .. } | Stmt::Call { .. } => self.is_async,
            Stmt::Step { is_async, .. } => *is_async,
            Stmt::Stack { op: StackOp::Enter { is_async, .. } | StackOp::Close { is_async }, .. } => *is_async,
            _ => false,
        };
        self.blocks
            + match s {
                Stmt::With { is_async, items, .. } => items.len() + usize::from(*is_async),
                Stmt::Loop { .. } => 1,
                Stmt::Try(t) if t.handlers.is_empty() => 1,
                Stmt::Try(t) => 2 + usize::from(t.finally.is_some()),
                Stmt::TryStar(t) => 3 + usize::from(t.finally.is_some()),
                _ => usize::from(awaits),
            }
    }
}

/// The label a handler binds `e_<label>` with, if it binds one.
pub(crate) fn bound(h: &Handler) -> Option<&str> {
    h.bind.then_some(h.label.as_str())
}
