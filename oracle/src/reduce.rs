//! Shrinking a program on the IR to a small reproducer: ordered passes run greedily to a fixpoint.
//!
//! A pass enumerates candidates, each the current program with one edit: delete a run of
//! statements, unwrap a compound statement (an `async with` too, never turned into a `with` on
//! its own), drop a manager, generator function or `@contextmanager` function, make a method
//! plain, drop the `except` or `finally` around a `@contextmanager` yield, make `async def main`
//! a `def` once nothing in it awaits, and likewise an async generator function, an
//! `@asynccontextmanager` function or an `AsyncExitStack` (with the forms that name it: `await
//! adrive` follows by itself, `aclosing` and `await astep`, `enter_async_context`, the stack's
//! operations), make a stack operation its plain form or drop its target, step fewer items, turn
//! `co(...)` into `Aw(...)`, pick a simpler exception class or value, and so on. A contextlib item
//! (`c0()`, `suppress(...)`, `nullcontext(...)`, `closing(...)`) is simplified in place, never
//! replaced by a manager class: that would be a different program, not a smaller one. The driver asks for
//! candidate `idx` of a pass; when the caller's predicate rejects it, it moves on to `idx + 1`;
//! when it accepts it, the candidate becomes the current program and the same `idx` is asked
//! again, which is now the next site.
//! Passes run in the order of the cuts they make, biggest first, and all of them are repeated
//! until a whole round accepts nothing.
//!
//! Every candidate is repaired (a `show`, a `with m1:` item or a stack operation naming a variable
//! no longer bound is dropped, a step no longer at the top of its `closing` body too, a `try` left
//! without clauses becomes its body, ...), then must pass `ir::validate` and be strictly smaller
//! by [`size`] before the predicate sees it: reduction therefore never grows a program, never
//! hands out an invalid one, and always ends.
//!
//! The module is pure: the caller owns the clock and the interpreter, through [`Budget`] and the
//! predicate.

use std::collections::{HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::ir::compile;
use crate::ir::visit::{self, At, Flow, NodeMut, VisitorMut};
use crate::ir::{
    validate, Action, Arg, AttrValue, AwaitThen, BoolResult, Cause, CmGen, Deco, DirectCall, Drive, Elem, ExcClass,
    ExitFn, ExitFnResult, Getter, Group, Handler, ItemExpr, Member, Method, Param, Program, RaiseNew, Scope, Slot,
    StackOp, Stmt, Store, StoreObj, Target, Then, Thrown, Triple, Value, Yielded,
};

/// How long [`reduce`] may keep trying.
pub struct Budget<'a> {
    /// Stop after this many candidate evaluations.
    pub max_attempts: u64,
    /// Asked between attempts; when it returns true, stop and return the best so far (the caller
    /// checks a clock or a Ctrl-C flag).
    pub should_stop: &'a dyn Fn() -> bool,
}

/// What [`reduce`] found.
#[derive(Clone, Debug)]
pub struct Reduced {
    /// The smallest interesting program found (the input if nothing smaller was).
    pub program: Program,
    /// How many times the predicate was called.
    pub attempts: u64,
    /// How many candidates the predicate accepted.
    pub accepted: u64,
    /// True when no pass can shrink the program any further; false when the budget ran out first.
    pub complete: bool,
}

/// Shrinks `program` while `interesting` keeps returning true for the candidate.
///
/// `interesting` returns true when a candidate still shows the same divergence (the caller
/// compares the divergence signature); it is only ever called on programs that pass
/// `ir::validate` and are strictly smaller than the best so far. The input itself is assumed
/// interesting and is not checked. `on_progress` is called with each newly accepted (smaller)
/// program, so the caller can save it.
///
/// Panics if `program` does not pass `ir::validate` (a bug in the caller).
pub fn reduce(
    program: &Program,
    budget: &Budget<'_>,
    interesting: &mut dyn FnMut(&Program) -> bool,
    on_progress: &mut dyn FnMut(&Program),
) -> Reduced {
    let diags = validate(program);
    assert!(diags.is_empty(), "reduce needs a valid program: {diags:?}");
    let mut r = Reducer {
        best_size: size(program),
        best: program.clone(),
        attempts: 0,
        accepted: 0,
        seen: HashSet::new(),
        budget,
        refused: compile::refused(program).len(),
        interesting,
        on_progress,
    };
    // `clean[k] == Some(n)`: pass `k` found nothing when `n` candidates had been accepted, so it
    // finds nothing again as long as no other pass changes the program.
    let mut clean: Vec<Option<u64>> = vec![None; PASSES.len()];
    loop {
        let mut progress = false;
        for (k, pass) in PASSES.iter().enumerate() {
            if clean[k] == Some(r.accepted) {
                continue;
            }
            let before = r.accepted;
            let mut idx = 0;
            while let Some(candidate) = nth_candidate(&r.best, *pass, idx) {
                match r.consider(candidate) {
                    Verdict::Accepted => {}
                    Verdict::Rejected => idx += 1,
                    Verdict::OutOfBudget => return r.finish(false),
                }
            }
            if r.accepted == before {
                clean[k] = Some(r.accepted);
            } else {
                progress = true;
            }
        }
        if !progress {
            return r.finish(true);
        }
    }
}

/// The measure reduction decreases: a weighted count of IR nodes.
///
/// Every node counts at least one; simpler choices weigh less than their alternatives: a plain
/// method less than a missing or odd one, `E1` less than `Exception` less than other builtins
/// less than `BaseException`-only classes, `None` less than `0`/`True` less than other values,
/// a bare `except:` less than a typed one, a shorter loop less than a longer one, a `def main`
/// less than an `async def main`, a `@contextmanager` function that never yields less than one
/// that does. Every async form weighs one more than its sync form (`async def g0`,
/// `@asynccontextmanager`, `async with`, `AsyncExitStack()`, `aclosing`, `await astep`, the
/// awaited stack methods, `AXf`), and a coroutine `co(...)` one more than an `Aw(...)`, so that
/// making a thing sync is a reduction; an assignment, a stack operation and a step weigh at
/// least one plus their parts.
///
/// A method of a protocol the manager is used with counts as above; one of a protocol it is
/// not used with (`__aenter__` of a manager no `async with` names) counts nothing when missing,
/// so that unused methods are dropped and never added.
pub fn size(program: &Program) -> usize {
    let uses = manager_uses(program);
    let managers: usize = program
        .managers
        .iter()
        .zip(&uses)
        .map(|(m, u)| {
            let slots: usize = m.methods().into_iter().map(|(slot, method)| method_size(method, slot, u)).sum();
            1 + m.init_raises.as_ref().map_or(0, |e| 1 + rank(e.class)) + slots
        })
        .sum();
    let gens: usize = program.gens.iter().map(|g| 1 + usize::from(g.is_async)).sum();
    let cms: usize = program.cms.iter().map(|c| 1 + usize::from(c.is_async) + cm_size(c)).sum();
    let decos: usize = program.decos.iter().map(|d| 2 + usize::from(d.method) + args_size(&d.args)).sum();
    let stmts: usize = visit::all_stmts(program).map(stmt_size).sum();
    usize::from(program.is_async) + managers + cms + gens + decos + stmts
}

/// How a manager is used: by a `with`, by an `async with`.
#[derive(Clone, Copy, Default)]
struct Uses {
    sync: bool,
    is_async: bool,
}

impl Uses {
    fn of(self, slot: Slot) -> bool {
        if slot.is_async() {
            self.is_async
        } else {
            self.sync
        }
    }
}

/// How each manager is used, anywhere in the program: by a `with` or a stack operation naming
/// `M0()`, or naming a variable some `m1 = M0()` binds (by name: scopes are not told apart).
fn manager_uses(program: &Program) -> Vec<Uses> {
    let mut assigned: Vec<(&str, usize)> = Vec::new();
    for s in visit::all_stmts(program) {
        if let Stmt::Assign { name, expr: ItemExpr::New(m) } = s {
            assigned.push((name, *m));
        }
    }
    let mut uses = vec![Uses::default(); program.managers.len()];
    let mut mark = |expr: &ItemExpr, is_async: bool| {
        let managers: Vec<usize> = match expr {
            ItemExpr::New(m) => vec![*m],
            ItemExpr::Var(n) => assigned.iter().filter(|(a, _)| a == n).map(|(_, m)| *m).collect(),
            _ => Vec::new(),
        };
        for m in managers {
            if let Some(u) = uses.get_mut(m) {
                if is_async {
                    u.is_async = true;
                } else {
                    u.sync = true;
                }
            }
        }
    };
    for s in visit::all_stmts(program) {
        match s {
            Stmt::With { is_async, items, .. } => items.iter().for_each(|it| mark(&it.expr, *is_async)),
            Stmt::Stack { op: StackOp::Enter { expr, is_async, .. } | StackOp::Push { expr, is_async }, .. } => {
                mark(expr, *is_async)
            }
            _ => {}
        }
    }
    uses
}

fn method_size(m: &Method, slot: Slot, uses: &Uses) -> usize {
    if !uses.of(slot) && *m == Method::Missing {
        return 0;
    }
    match m {
        m if *m == plain_method(slot) => 1,
        // In a sync slot `async def` is invalid anyway; in an async one it is the plainer form.
        Method::Defined(a) => 2 + usize::from(slot.is_async()) + action_size(a),
        Method::AsyncDef { suspend, action } => {
            2 + usize::from(!slot.is_async()) + usize::from(suspend.is_some()) + action_size(action)
        }
        Method::Missing | Method::InstanceOnly | Method::NoneAttr | Method::WrongArity => 4,
        // Ways of providing a method that are not a plain `def` weigh more than it.
        Method::Static(a) | Method::ClassMethod(a) => 3 + action_size(a),
        Method::Callable(ExitFnResult::Return(v)) => 3 + value_size(v),
        Method::Callable(ExitFnResult::Raise(c)) => 4 + rank(*c),
        Method::Property { custom, get } => {
            4 + usize::from(*custom)
                + match get {
                    Getter::Function(a) => action_size(a),
                    Getter::None => 1,
                    Getter::Raise(r) => 1 + raise_size(r),
                }
        }
    }
}

fn action_size(a: &Action) -> usize {
    match a {
        Action::ReturnSelf => 0,
        Action::Return(v) => value_size(v),
        Action::Raise(r) => raise_size(r),
        Action::RaiseArg | Action::BareRaise => 1,
        Action::SuppressIf(classes) => classes.iter().map(|c| 1 + rank(*c)).sum(),
    }
}

fn raise_size(r: &RaiseNew) -> usize {
    let cause = match &r.cause {
        None => 0,
        Some(Cause::None) => 1,
        Some(Cause::New(c)) => 2 + rank(c.class),
        Some(Cause::Caught(_)) => 2,
    };
    1 + rank(r.exc.class) + cause
}

fn value_size(v: &Value) -> usize {
    match v {
        Value::None => 0,
        Value::Bool(_) | Value::Int(0) => 1,
        Value::Int(_) => 2,
        Value::Str(s) => 1 + s.len(),
        Value::Tuple(items) => 1 + items.iter().map(value_size).sum::<usize>(),
        Value::BoolObj { result, .. } => {
            3 + match result {
                BoolResult::Bool(_) => 0,
                BoolResult::NonBool(_) => 1,
                BoolResult::Raise(c) => 1 + rank(*c),
            }
        }
        Value::LenObj { .. } => 4,
        Value::Awaitable { suspend, then, coroutine, .. } => {
            3 + usize::from(*suspend)
                + usize::from(*coroutine)
                + match &**then {
                    AwaitThen::Return(v) => value_size(v),
                    AwaitThen::Raise(c) => 1 + rank(*c),
                }
        }
        Value::BadAwaitable => 4,
    }
}

/// A `@contextmanager` function but for the statements of its blocks, which count with all the
/// others.
fn cm_size(cm: &CmGen) -> usize {
    cm.params.iter().map(|p| 2 + usize::from(p.kw_only)).sum::<usize>()
        + cm.yields.as_ref().map_or(0, |v| 1 + value_size(v))
        + cm.handler.as_ref().map_or(0, handler_size)
        + usize::from(cm.finally.is_some())
}

/// The arguments of a `@contextmanager` function's call: each weighs two, a keyword one more.
fn args_size(args: &[Arg]) -> usize {
    args.iter().map(|a| 2 + usize::from(a.keyword.is_some())).sum()
}

/// A handler but for the statements of its block.
fn handler_size(h: &Handler) -> usize {
    1 + h.class.map_or(0, |c| 1 + rank(c)) + usize::from(h.bind)
}

fn drive_size(how: &Drive) -> usize {
    match how {
        Drive::Exhaust => 0,
        Drive::Close(k) => usize::from(*k),
        Drive::Throw(k, t) => usize::from(*k) + 1 + thrown_size(t),
        Drive::Send(k) => usize::from(*k) + 2,
        Drive::AwThrow(k, _, t) => usize::from(*k) + 2 + thrown_size(t),
    }
}

/// What `throw()` is given: a new instance is the plainest.
fn thrown_size(t: &Thrown) -> usize {
    match t {
        Thrown::New(e) => rank(e.class),
        Thrown::Caught(_) => 1,
        Thrown::Class(c) => 1 + rank(*c),
        Thrown::Triple(e) => 2 + rank(e.class),
        Thrown::Bad(_) => 3,
    }
}

fn then_size(then: &Option<Then>) -> usize {
    match then {
        None => 0,
        Some(Then::Close) => 1,
        Some(Then::Again | Then::Next) => 2,
        Some(Then::Throw(t)) => 2 + thrown_size(t),
    }
}

/// A context expression: a new manager is the plainest.
fn item_size(expr: &ItemExpr) -> usize {
    match expr {
        ItemExpr::New(_) => 0,
        ItemExpr::Literal(v) | ItemExpr::Nullcontext(v) => 1 + value_size(v),
        ItemExpr::Cm(_, args) => 1 + args_size(args),
        ItemExpr::Var(_) | ItemExpr::PopAll(_) => 1,
        ItemExpr::Suppress(classes) => 1 + classes.iter().map(|c| 1 + rank(*c)).sum::<usize>(),
        ItemExpr::Closing { raises, .. } => 2 + raises.map_or(0, |c| 1 + rank(c)),
        ItemExpr::ExitStack { is_async } => 1 + usize::from(*is_async),
        ItemExpr::ClosingGen { is_async, .. } => 2 + usize::from(*is_async),
        ItemExpr::Nested(members) => 2 + members.iter().map(item_size).sum::<usize>(),
    }
}

fn exit_fn_size(f: &ExitFn) -> usize {
    let result = match &f.result {
        ExitFnResult::Return(v) => value_size(v),
        ExitFnResult::Raise(c) => 1 + rank(*c),
    };
    1 + usize::from(f.is_async) + usize::from(f.suspend) + result
}

fn stack_op_size(op: &StackOp) -> usize {
    match op {
        StackOp::Enter { expr, is_async, target } => {
            1 + item_size(expr) + usize::from(*is_async) + usize::from(target.is_some())
        }
        StackOp::Push { expr, is_async } => 1 + item_size(expr) + usize::from(*is_async),
        StackOp::PushFn(f) => exit_fn_size(f),
        StackOp::Callback { raises, is_async, .. } => 1 + usize::from(*is_async) + raises.map_or(0, |c| 1 + rank(c)),
        StackOp::Close { is_async } => usize::from(*is_async),
    }
}

/// A statement but for the statements of its blocks, which count on their own.
fn stmt_size(s: &Stmt) -> usize {
    match s {
        Stmt::Log(_) | Stmt::Show(_) | Stmt::RaiseCaught(_) | Stmt::BareRaise | Stmt::Await(_) | Stmt::Yield(_) => 1,
        Stmt::Drive { how, then, .. } => 2 + drive_size(how) + then_size(then),
        Stmt::Keep { .. } => 2,
        Stmt::YieldValue(Yielded::Value(v)) => 2 + value_size(v),
        Stmt::YieldValue(Yielded::Exc(e)) => 3 + rank(e.class),
        Stmt::YieldFrom { target, .. } | Stmt::AwaitCall { target, .. } => 2 + usize::from(target.is_some()),
        Stmt::Call { n, target, .. } => 2 + usize::from(*n) + usize::from(target.is_some()),
        Stmt::RaiseVar(_) => 1,
        Stmt::Direct { is_async, call, .. } => {
            let call = match call {
                DirectCall::Enter => 0,
                DirectCall::Exit(Triple::Nones) => 1,
                DirectCall::Exit(Triple::TypeOnly(c)) => 2 + rank(*c),
                DirectCall::Exit(Triple::Exc(e)) => 3 + rank(e.class),
            };
            2 + usize::from(*is_async) + call
        }
        Stmt::SetAttr { value, .. } => 2 + usize::from(matches!(value, AttrValue::Caught(_))),
        Stmt::Break | Stmt::Continue => 1,
        Stmt::With { is_async, items, .. } => {
            let items: usize = items
                .iter()
                .map(|it| {
                    let target = match &it.target {
                        Target::None => 0,
                        Target::Name(_) => 1,
                        Target::Paren(_) => 2,
                        Target::Store(st) => 2 + store_size(st),
                        Target::Star(_) | Target::Bad(_) => 2,
                        Target::BadComma(_) | Target::BadParen(_) => 3,
                        Target::Tuple(elems) => {
                            1 + elems
                                .iter()
                                .map(|e| match e {
                                    Elem::Name(_) => 1,
                                    Elem::Star(_) | Elem::Bad(_) => 2,
                                    Elem::Store(st) => 2 + store_size(st),
                                })
                                .sum::<usize>()
                        }
                    };
                    1 + item_size(&it.expr) + target
                })
                .sum();
            1 + usize::from(*is_async) + items
        }
        Stmt::Raise(r) => 1 + raise_size(r),
        Stmt::Return { value, .. } => 1 + value_size(value),
        Stmt::Loop { times, .. } => 1 + usize::from(*times),
        Stmt::Try(t) => 1 + t.handlers.iter().map(handler_size).sum::<usize>() + usize::from(t.finally.is_some()),
        Stmt::TryStar(t) => 2 + t.handlers.iter().map(handler_size).sum::<usize>() + usize::from(t.finally.is_some()),
        Stmt::RaiseGroup(g) => 1 + group_size(g),
        Stmt::Assign { expr, .. } => 2 + item_size(expr),
        Stmt::Stack { op, .. } => 1 + stack_op_size(op),
        Stmt::Step { k, is_async, .. } => 1 + usize::from(*k) + usize::from(*is_async),
    }
}

/// A group weighs more than the raise of its first member alone, and a `BaseExceptionGroup`
/// more than an `ExceptionGroup`.
fn group_size(g: &Group) -> usize {
    let members: usize = g
        .members
        .iter()
        .map(|m| match m {
            Member::Exc(e) => 1 + rank(e.class),
            Member::Group(inner) => group_size(inner),
        })
        .sum();
    3 + usize::from(g.base) + members
}

/// How unusual an exception class is: `E1` is the plainest.
fn rank(c: ExcClass) -> usize {
    match c {
        ExcClass::E1 => 0,
        ExcClass::Exception => 1,
        ExcClass::E2
        | ExcClass::E3
        | ExcClass::ValueError
        | ExcClass::LookupError
        | ExcClass::TypeError
        | ExcClass::RuntimeError
        | ExcClass::AttributeError => 2,
        ExcClass::KeyError | ExcClass::StopIteration => 3,
        ExcClass::B1 | ExcClass::BaseException => 4,
        ExcClass::KeyboardInterrupt | ExcClass::SystemExit | ExcClass::GeneratorExit => 5,
        ExcClass::StopAsyncIteration | ExcClass::S1 | ExcClass::S2 | ExcClass::NameError => 5,
        ExcClass::UnboundLocalError | ExcClass::ExceptionGroup | ExcClass::BaseExceptionGroup => 5,
    }
}

/// The classes a class may be replaced by, plainest first: one of each kind of behaviour (user
/// class, `Exception` itself, a builtin, not an `Exception`).
const LADDER: &[ExcClass] = &[ExcClass::E1, ExcClass::Exception, ExcClass::ValueError, ExcClass::B1];

fn simpler_classes(c: ExcClass) -> impl Iterator<Item = ExcClass> {
    LADDER.iter().copied().filter(move |t| rank(*t) < rank(c))
}

/// The plainest action of a method: `return self` in `__enter__`, `return None` in `__exit__`.
fn plain(slot: Slot) -> Action {
    if slot.is_exit() {
        Action::Return(Value::None)
    } else {
        Action::ReturnSelf
    }
}

/// The plainest method for a slot: a `def` doing the plainest action, or for `__aenter__` and
/// `__aexit__` an `async def` that does (a plain `def` returns something `async with` cannot
/// await).
fn plain_method(slot: Slot) -> Method {
    let action = plain(slot);
    if slot.is_async() {
        Method::AsyncDef { suspend: None, action }
    } else {
        Method::Defined(action)
    }
}

// ---- the driver ----

enum Verdict {
    Accepted,
    Rejected,
    OutOfBudget,
}

struct Reducer<'a, 'b> {
    best: Program,
    best_size: usize,
    attempts: u64,
    accepted: u64,
    /// Hashes of candidates already given to the predicate.
    seen: HashSet<u64>,
    budget: &'a Budget<'b>,
    /// How many constructs the input has that some version refuses to compile.
    refused: usize,
    interesting: &'a mut dyn FnMut(&Program) -> bool,
    on_progress: &'a mut dyn FnMut(&Program),
}

impl Reducer<'_, '_> {
    fn consider(&mut self, mut candidate: Program) -> Verdict {
        repair(&mut candidate);
        let candidate_size = size(&candidate);
        if candidate_size >= self.best_size || !validate(&candidate).is_empty() {
            return Verdict::Rejected;
        }
        // An edit must not make a program that compiled one that does not (`async with` in a
        // function made plain, say): that is another program, never the same divergence.
        if compile::refused(&candidate).len() > self.refused {
            return Verdict::Rejected;
        }
        let mut hasher = DefaultHasher::new();
        candidate.hash(&mut hasher);
        let hash = hasher.finish();
        if self.seen.contains(&hash) {
            return Verdict::Rejected;
        }
        if self.budget.max_attempts <= self.attempts || (self.budget.should_stop)() {
            return Verdict::OutOfBudget;
        }
        self.attempts += 1;
        self.seen.insert(hash);
        if !(self.interesting)(&candidate) {
            return Verdict::Rejected;
        }
        self.accepted += 1;
        self.best = candidate;
        self.best_size = candidate_size;
        (self.on_progress)(&self.best);
        Verdict::Accepted
    }

    fn finish(self, complete: bool) -> Reduced {
        Reduced { program: self.best, attempts: self.attempts, accepted: self.accepted, complete }
    }
}

/// A pass makes the edit the cursor points at, if the program has that many sites.
type Pass = fn(&mut Program, &mut Cursor);

/// In the order they run: big cuts first.
const PASSES: &[Pass] = &[
    delete_stmts,
    unwrap_compound,
    drop_managers,
    simplify_items,
    simplify_stack_ops,
    simplify_methods,
    simplify_cms,
    make_sync,
    simplify_clauses,
    simplify_classes,
    simplify_values,
];

fn nth_candidate(program: &Program, pass: Pass, idx: usize) -> Option<Program> {
    let mut candidate = program.clone();
    let mut cursor = Cursor { skip: idx, hit: false };
    pass(&mut candidate, &mut cursor);
    cursor.hit.then_some(candidate)
}

/// Counts edit sites down to the one a candidate makes.
struct Cursor {
    skip: usize,
    hit: bool,
}

impl Cursor {
    /// True exactly once: at the site the candidate edits.
    fn take(&mut self) -> bool {
        if self.hit {
            return false;
        }
        if self.skip == 0 {
            self.hit = true;
            return true;
        }
        self.skip -= 1;
        false
    }
}

// ---- passes ----

/// Pass 1: delete runs of statements, in every block, outer blocks first; in a block the whole
/// block first, then halves, quarters, ..., single statements (delta debugging).
fn delete_stmts(program: &mut Program, cur: &mut Cursor) {
    visit::each_block_mut(program, |block, _| {
        let len = block.len();
        let mut chunk = len;
        while chunk > 0 {
            for start in (0..len).step_by(chunk) {
                if cur.take() {
                    block.drain(start..(start + chunk).min(len));
                    return Flow::Stop;
                }
            }
            chunk /= 2;
        }
        Flow::Continue
    });
}

/// Pass 2: replace a compound statement by one of its blocks, outer statements first.
fn unwrap_compound(program: &mut Program, cur: &mut Cursor) {
    visit::each_stmt_mut(program, |block, i, _| {
        for k in 0..unwrap_count(&block[i]) {
            if cur.take() {
                let s = block.remove(i);
                let replacement = unwrap_into(s, k);
                block.splice(i..i, replacement);
                return Flow::Stop;
            }
        }
        Flow::Continue
    });
}

fn unwrap_count(s: &Stmt) -> usize {
    match s {
        Stmt::With { .. } | Stmt::Loop { .. } => 1,
        Stmt::Try(t) | Stmt::TryStar(t) => {
            1 + usize::from(!t.orelse.is_empty()) + t.handlers.len() + usize::from(t.finally.is_some())
        }
        _ => 0,
    }
}

/// The `k`-th block `s` can be replaced by: the body, (the body and the else block), each
/// handler's body, the finally body.
fn unwrap_into(s: Stmt, k: usize) -> Vec<Stmt> {
    match s {
        Stmt::With { body, .. } => body,
        Stmt::Loop { mut body, .. } => {
            strip_loop_control(&mut body);
            body
        }
        Stmt::Try(t) | Stmt::TryStar(t) => {
            let t = *t;
            let mut alternatives = vec![t.body.clone()];
            if !t.orelse.is_empty() {
                alternatives.push(t.body.into_iter().chain(t.orelse).collect());
            }
            alternatives.extend(t.handlers.into_iter().map(|h| h.body));
            alternatives.extend(t.finally.map(|(_, body)| body));
            alternatives.swap_remove(k)
        }
        _ => panic!("unwrap_count says {s:?} has no blocks"),
    }
}

/// Removes the `break`s and `continue`s that belong to the loop whose body this is.
fn strip_loop_control(body: &mut Vec<Stmt>) {
    body.retain(|s| !matches!(s, Stmt::Break | Stmt::Continue));
    for s in body {
        if matches!(s, Stmt::Loop { .. }) {
            continue;
        }
        for (_, b) in visit::child_blocks_mut(s) {
            strip_loop_control(b);
        }
    }
}

/// The generator function a statement or context expression names: `drive`, `closing(g0())`.
fn gen_ref(s: &mut Stmt) -> Vec<&mut usize> {
    let mut res = Vec::new();
    match s {
        Stmt::Drive { gen, .. } | Stmt::YieldFrom { gen, .. } | Stmt::AwaitCall { gen, .. } => res.push(gen),
        Stmt::With { items, .. } => res.extend(items.iter_mut().filter_map(|it| match &mut it.expr {
            ItemExpr::ClosingGen { gen, .. } => Some(gen),
            _ => None,
        })),
        Stmt::Assign { expr: ItemExpr::ClosingGen { gen, .. }, .. }
        | Stmt::Stack {
            op:
                StackOp::Enter { expr: ItemExpr::ClosingGen { gen, .. }, .. }
                | StackOp::Push { expr: ItemExpr::ClosingGen { gen, .. }, .. },
            ..
        } => res.push(gen),
        _ => {}
    }
    res
}

/// Pass 3: drop unused generator functions, `@contextmanager` functions and manager classes;
/// merge a manager into an earlier one (identical ones first).
fn drop_managers(program: &mut Program, cur: &mut Cursor) {
    let mut gen_used = vec![false; program.gens.len()];
    visit::each_stmt_mut(program, |block, i, _| {
        for g in gen_ref(&mut block[i]) {
            gen_used[*g] = true;
        }
        Flow::Continue
    });
    let unused_gens: Vec<usize> = (0..gen_used.len()).filter(|g| !gen_used[*g]).collect();
    for g in unused_gens {
        if cur.take() {
            program.gens.remove(g);
            visit::each_stmt_mut(program, |block, i, _| {
                for gen in gen_ref(&mut block[i]) {
                    assert!(*gen != g, "g{g} is still used");
                    if g < *gen {
                        *gen -= 1;
                    }
                }
                Flow::Continue
            });
            return;
        }
    }
    if drop_decos(program, cur) {
        return;
    }
    let mut cm_used = vec![false; program.cms.len()];
    each_expr_mut(program, |e| {
        if let ItemExpr::Cm(c, _) = *e {
            cm_used[c] = true;
        }
    });
    for d in &program.decos {
        if let Deco::Cm(c) = d.deco {
            cm_used[c] = true;
        }
    }
    let unused_cms: Vec<usize> = (0..cm_used.len()).filter(|c| !cm_used[*c]).collect();
    for c in unused_cms {
        if cur.take() {
            program.cms.remove(c);
            for d in &mut program.decos {
                if let Deco::Cm(k) = &mut d.deco {
                    if c < *k {
                        *k -= 1;
                    }
                }
            }
            each_expr_mut(program, |e| {
                if let ItemExpr::Cm(k, _) = e {
                    assert!(*k != c, "c{c} is still used");
                    if c < *k {
                        *k -= 1;
                    }
                }
            });
            return;
        }
    }
    let n = program.managers.len();
    let mut used = vec![false; n];
    each_expr_mut(program, |e| {
        if let ItemExpr::New(m) = *e {
            used[m] = true;
        }
    });
    // A base class is used by the classes deriving from it (§7.3).
    for b in program.managers.iter().filter_map(|m| m.base) {
        used[b] = true;
    }
    for d in &program.decos {
        if let Deco::Mgr(m) = d.deco {
            used[m] = true;
        }
    }
    let unused: Vec<usize> = (0..n).filter(|m| !used[*m]).collect();
    if unused.len() > 1 && cur.take() {
        for m in unused.iter().rev() {
            remove_manager(program, *m);
        }
        return;
    }
    for m in unused {
        if cur.take() {
            remove_manager(program, m);
            return;
        }
    }
    for identical in [true, false] {
        // An unused manager is dropped above, never merged.
        for j in (0..n).filter(|j| used[*j]) {
            for i in 0..j {
                if (program.managers[i] == program.managers[j]) != identical {
                    continue;
                }
                if cur.take() {
                    each_expr_mut(program, |e| {
                        if *e == ItemExpr::New(j) {
                            *e = ItemExpr::New(i);
                        }
                    });
                    for m in &mut program.managers {
                        if m.base == Some(j) {
                            m.base = Some(i);
                        }
                    }
                    for d in &mut program.decos {
                        if d.deco == Deco::Mgr(j) {
                            d.deco = Deco::Mgr(i);
                        }
                    }
                    remove_manager(program, j);
                    return;
                }
            }
        }
    }
}

/// Drops a decorated function no call names, or simplifies one (a plain function rather than a
/// method) or a call (fewer recursive calls, no target). Whether it made a candidate.
fn drop_decos(program: &mut Program, cur: &mut Cursor) -> bool {
    let mut used = vec![false; program.decos.len()];
    visit::each_stmt_mut(program, |block, i, _| {
        if let Stmt::Call { fun, .. } = block[i] {
            used[fun] = true;
        }
        Flow::Continue
    });
    for f in (0..used.len()).filter(|f| !used[*f]) {
        if cur.take() {
            program.decos.remove(f);
            visit::each_stmt_mut(program, |block, i, _| {
                if let Stmt::Call { fun, .. } = &mut block[i] {
                    if f < *fun {
                        *fun -= 1;
                    }
                }
                Flow::Continue
            });
            return true;
        }
    }
    for d in &mut program.decos {
        if d.method && cur.take() {
            d.method = false;
            return true;
        }
    }
    let mut done = false;
    visit::each_stmt_mut(program, |block, i, _| {
        if let Stmt::Call { n, target, .. } = &mut block[i] {
            if *n > 0 && cur.take() {
                *n -= 1;
                done = true;
                return Flow::Stop;
            }
            if target.is_some() && cur.take() {
                *target = None;
                done = true;
                return Flow::Stop;
            }
        }
        Flow::Continue
    });
    done
}

/// Removes manager `m`, which nothing uses, and renumbers the later ones.
fn remove_manager(program: &mut Program, m: usize) {
    program.managers.remove(m);
    for d in &mut program.decos {
        if let Deco::Mgr(k) = &mut d.deco {
            if m < *k {
                *k -= 1;
            }
        }
    }
    for k in program.managers.iter_mut().filter_map(|c| c.base.as_mut()) {
        assert!(*k != m, "M{m} is still a base");
        if m < *k {
            *k -= 1;
        }
    }
    each_expr_mut(program, |e| {
        if let ItemExpr::New(k) = e {
            assert!(*k != m, "M{m} is still used");
            if m < *k {
                *k -= 1;
            }
        }
    });
}

/// Pass 4: drop an item of a multi-item `with`; drop a target; unpack into one name only; drop a
/// class of `suppress(...)`; make a `closing(...)` closer not raise (in a `with`, an assignment
/// or a stack operation alike).
fn simplify_items(program: &mut Program, cur: &mut Cursor) {
    visit::each_block_mut(program, |block, _| {
        for s in block.iter_mut() {
            let items = match s {
                Stmt::With { items, .. } => items,
                Stmt::Assign { expr, .. }
                | Stmt::Stack { op: StackOp::Enter { expr, .. } | StackOp::Push { expr, .. }, .. } => {
                    if simplify_item_expr(expr, cur) {
                        return Flow::Stop;
                    }
                    continue;
                }
                _ => continue,
            };
            if 1 < items.len() {
                for k in 0..items.len() {
                    if cur.take() {
                        items.remove(k);
                        return Flow::Stop;
                    }
                }
            }
            for it in items.iter_mut() {
                if it.target != Target::None && cur.take() {
                    it.target = Target::None;
                    return Flow::Stop;
                }
                if let Some(simpler) = simpler_target(&it.target, cur) {
                    it.target = simpler;
                    return Flow::Stop;
                }
                if simplify_item_expr(&mut it.expr, cur) {
                    return Flow::Stop;
                }
            }
        }
        Flow::Continue
    });
}

/// The measure of an attribute or subscript target: a sink that raises weighs one more.
fn store_size(st: &Store) -> usize {
    match &st.obj {
        StoreObj::Sink { raises, .. } => 1 + raises.map_or(0, |c| 1 + rank(c)),
        StoreObj::Loaded { raises, .. } => 2 + raises.map_or(0, |c| 1 + rank(c)),
        StoreObj::None => 1,
    }
}

/// A simpler target, if the cursor takes one: a tuple's first name alone, a tuple without an
/// element, a starred element a plain one, a sink that does not raise, a store a name, a
/// parenthesized name a name.
fn simpler_target(t: &Target, cur: &mut Cursor) -> Option<Target> {
    let store_simpler = |st: &Store| -> Option<Store> {
        match &st.obj {
            StoreObj::Sink { label, raises: Some(_) } => {
                Some(Store { obj: StoreObj::Sink { label: label.clone(), raises: None }, key: st.key.clone() })
            }
            // The item stored into the sink itself, not into one loaded from it.
            StoreObj::Loaded { label, raises, .. } => {
                Some(Store { obj: StoreObj::Sink { label: label.clone(), raises: *raises }, key: st.key.clone() })
            }
            _ => None,
        }
    };
    match t {
        Target::None | Target::Name(_) | Target::Bad(_) => None,
        Target::Paren(n) | Target::Star(n) => cur.take().then(|| Target::Name(n.clone())),
        Target::BadComma(b) | Target::BadParen(b) => cur.take().then_some(Target::Bad(*b)),
        Target::Store(st) => {
            if cur.take() {
                return Some(Target::Name("x".to_string()));
            }
            store_simpler(st).filter(|_| cur.take()).map(Target::Store)
        }
        Target::Tuple(elems) => {
            if let Some(n) = elems.iter().find_map(Elem::name) {
                if cur.take() {
                    return Some(Target::Name(n.to_string()));
                }
            }
            if elems.len() > 1 {
                for k in 0..elems.len() {
                    if cur.take() {
                        let mut fewer = elems.clone();
                        fewer.remove(k);
                        return Some(Target::Tuple(fewer));
                    }
                }
            }
            for k in 0..elems.len() {
                let simpler = match &elems[k] {
                    Elem::Star(n) => Some(Elem::Name(n.clone())),
                    Elem::Store(st) => store_simpler(st).map(Elem::Store),
                    Elem::Name(_) | Elem::Bad(_) => None,
                };
                if let Some(e) = simpler {
                    if cur.take() {
                        let mut res = elems.clone();
                        res[k] = e;
                        return Some(Target::Tuple(res));
                    }
                }
            }
            None
        }
    }
}

/// Drops a class of `suppress(...)`, makes a `closing(...)` closer not raise; true when it did.
fn simplify_item_expr(expr: &mut ItemExpr, cur: &mut Cursor) -> bool {
    match expr {
        ItemExpr::Suppress(classes) => {
            for k in 0..classes.len() {
                if cur.take() {
                    classes.remove(k);
                    return true;
                }
            }
        }
        ItemExpr::Closing { raises, .. } => {
            if raises.is_some() && cur.take() {
                *raises = None;
                return true;
            }
        }
        ItemExpr::Nested(members) => {
            for k in 0..members.len() {
                if members.len() > 1 && cur.take() {
                    members.remove(k);
                    return true;
                }
            }
        }
        ItemExpr::Cm(_, args) => {
            for k in 0..args.len() {
                if cur.take() {
                    args.remove(k);
                    return true;
                }
            }
        }
        ItemExpr::New(_) | ItemExpr::Literal(_) | ItemExpr::Nullcontext(_) => {}
        // Their async forms go with what they stand for, in `make_sync`.
        ItemExpr::Var(_) | ItemExpr::ExitStack { .. } | ItemExpr::PopAll(_) | ItemExpr::ClosingGen { .. } => {}
    }
    false
}

/// Pass 5: drop the target of `x = st.enter_context(...)`; make an awaited stack method its plain
/// form (`enter_async_context` `enter_context`, `push_async_exit(M0())` `push(M0())`,
/// `push_async_callback` `callback`, `AXf` an `Xf`); make an `AXf` not suspend; make an exit
/// function return `None` instead of raising, a callback not raise. `await st.aclose()` becomes
/// `st.close()` only with its stack, in `make_sync`. Values and classes are left to the passes
/// that simplify those everywhere.
fn simplify_stack_ops(program: &mut Program, cur: &mut Cursor) {
    visit::each_block_mut(program, |block, _| {
        for s in block.iter_mut() {
            let Stmt::Stack { op, .. } = s else { continue };
            match op {
                StackOp::Enter { target, is_async, .. } => {
                    if target.is_some() && cur.take() {
                        *target = None;
                        return Flow::Stop;
                    }
                    if *is_async && cur.take() {
                        *is_async = false;
                        return Flow::Stop;
                    }
                }
                StackOp::Push { is_async, .. } | StackOp::Callback { is_async, raises: None, .. } => {
                    if *is_async && cur.take() {
                        *is_async = false;
                        return Flow::Stop;
                    }
                }
                StackOp::Callback { is_async, raises: raises @ Some(_), .. } => {
                    if cur.take() {
                        *raises = None;
                        return Flow::Stop;
                    }
                    if *is_async && cur.take() {
                        *is_async = false;
                        return Flow::Stop;
                    }
                }
                StackOp::PushFn(f) => {
                    if f.is_async && cur.take() {
                        f.is_async = false;
                        f.suspend = false;
                        return Flow::Stop;
                    }
                    if f.suspend && cur.take() {
                        f.suspend = false;
                        return Flow::Stop;
                    }
                    if matches!(f.result, ExitFnResult::Raise(_)) && cur.take() {
                        f.result = ExitFnResult::Return(Value::None);
                        return Flow::Stop;
                    }
                }
                StackOp::Close { .. } => {}
            }
        }
        Flow::Continue
    });
}

/// Pass 6: drop a method of a protocol the manager is not used with; make a method plain; make
/// an `async def` not suspend, a `def __aenter__` an `async def`; drop `__init__`'s raise; drop a
/// class of `suppress_if`.
fn simplify_methods(program: &mut Program, cur: &mut Cursor) {
    let uses = manager_uses(program);
    for (m, u) in program.managers.iter_mut().zip(uses) {
        if !u.sync && !u.is_async {
            // Left to `drop_managers`, which drops it whole.
            continue;
        }
        if m.init_raises.is_some() && cur.take() {
            m.init_raises = None;
            return;
        }
        for (slot, method) in m.methods_mut() {
            // A missing method is a protocol error, not a plain one: only unused ones are dropped.
            let mut alternatives = if u.of(slot) { vec![] } else { vec![Method::Missing] };
            alternatives.push(plain_method(slot));
            match &*method {
                Method::AsyncDef { suspend: Some(_), action } => {
                    alternatives.push(Method::AsyncDef { suspend: None, action: action.clone() })
                }
                Method::Defined(action) if slot.is_async() => {
                    alternatives.push(Method::AsyncDef { suspend: None, action: action.clone() })
                }
                _ => {}
            }
            let limit = method_size(method, slot, &u);
            for alt in alternatives {
                if method_size(&alt, slot, &u) < limit && cur.take() {
                    *method = alt;
                    return;
                }
            }
        }
        for (_, exit) in m.methods_mut().into_iter().filter(|(slot, _)| slot.is_exit()) {
            if let Method::Defined(Action::SuppressIf(classes))
            | Method::AsyncDef { action: Action::SuppressIf(classes), .. } = exit
            {
                if 1 < classes.len() {
                    for k in 0..classes.len() {
                        if cur.take() {
                            classes.remove(k);
                            return;
                        }
                    }
                }
            }
        }
    }
}

/// Pass 7: drop the `except` or the `finally` around the yield of a `@contextmanager` function,
/// or the `except`'s binding; make the function return before it yields (which drops everything
/// after its pre statements). Its statements, yielded value and handler class are left to the
/// passes that simplify those everywhere.
fn simplify_cms(program: &mut Program, cur: &mut Cursor) {
    // A parameter, with the arguments that bind it at every call (SEMANTICS-ADDENDUM §16).
    for c in 0..program.cms.len() {
        for j in 0..program.cms[c].params.len() {
            if cur.take() {
                let params = program.cms[c].params.clone();
                program.cms[c].params.remove(j);
                each_cm_call_mut(program, c, |args| unbind(args, &params, j));
                return;
            }
        }
    }
    // An argument of a decorator's factory call (those of `with` items are simplify_items's).
    for d in &mut program.decos {
        if let Deco::Cm(_) = d.deco {
            for k in 0..d.args.len() {
                if cur.take() {
                    d.args.remove(k);
                    return;
                }
            }
        }
    }
    for cm in &mut program.cms {
        if cm.handler.is_some() && cur.take() {
            cm.handler = None;
            return;
        }
        if cm.finally.is_some() && cur.take() {
            cm.finally = None;
            return;
        }
        if let Some(h) = &mut cm.handler {
            if h.bind && cur.take() {
                h.bind = false;
                return;
            }
        }
        if cm.yields.is_some() && cur.take() {
            *cm = CmGen {
                is_async: cm.is_async,
                params: std::mem::take(&mut cm.params),
                pre: std::mem::take(&mut cm.pre),
                yields: None,
                handler: None,
                finally: None,
                post: Vec::new(),
            };
            return;
        }
    }
}

/// Pass 8: make `async def main` a `def main`, an async generator function a plain one, an
/// `@asynccontextmanager` function a `@contextmanager` one, an `AsyncExitStack()` an
/// `ExitStack()`. Only the forms that name the thing follow it: `aclosing(g0())` and its `await
/// astep`s, `enter_async_context(c0())`, the operations on the stack, and an `async with` whose
/// only item it is. Validation rejects the candidate when something else in it still awaits.
fn make_sync(program: &mut Program, cur: &mut Cursor) {
    if program.is_async && cur.take() {
        program.is_async = false;
        return;
    }
    for g in 0..program.gens.len() {
        if program.gens[g].is_async && cur.take() {
            program.gens[g].is_async = false;
            sync_uses(program, &|e| matches!(e, ItemExpr::ClosingGen { gen, .. } if *gen == g));
            return;
        }
    }
    for c in 0..program.cms.len() {
        if program.cms[c].is_async && cur.take() {
            program.cms[c].is_async = false;
            sync_uses(program, &|e| matches!(e, ItemExpr::Cm(k, _) if *k == c));
            return;
        }
    }
    visit::each_block_mut(program, |block, _| {
        for i in 0..block.len() {
            let (head, rest) = block.split_at_mut(i + 1);
            match &mut head[i] {
                Stmt::With { is_async, items, body, .. } => {
                    let only = items.len() == 1;
                    for it in items.iter_mut() {
                        if it.expr == (ItemExpr::ExitStack { is_async: true }) && cur.take() {
                            it.expr = ItemExpr::ExitStack { is_async: false };
                            *is_async &= !only;
                            if let Target::Name(n) = &it.target {
                                sync_stack_ops(body, n);
                            }
                            return Flow::Stop;
                        }
                    }
                }
                Stmt::Assign { name, expr: expr @ ItemExpr::ExitStack { is_async: true } } if cur.take() => {
                    *expr = ItemExpr::ExitStack { is_async: false };
                    sync_stack_ops(rest, name);
                    return Flow::Stop;
                }
                _ => {}
            }
        }
        Flow::Continue
    });
}

/// Makes the uses of a function that just became sync (the context expressions `is_use` names,
/// and the variables an assignment binds to one) sync too: `aclosing` becomes `closing` and the
/// steps on what it binds plain `step`s, `enter_async_context` and `push_async_exit` of it their
/// plain forms, an `async with` of it alone a `with`.
fn sync_uses(program: &mut Program, is_use: &dyn Fn(&ItemExpr) -> bool) {
    let mut names = Vec::new();
    for s in visit::all_stmts(program) {
        if let Stmt::Assign { name, expr } = s {
            if is_use(expr) {
                names.push(name.clone());
            }
        }
    }
    let is_use = |e: &ItemExpr| is_use(e) || matches!(e, ItemExpr::Var(n) if names.contains(n));
    visit::each_stmt_mut(program, |block, i, _| {
        match &mut block[i] {
            Stmt::With { is_async, items, body, .. } => {
                if items.len() == 1 && is_use(&items[0].expr) {
                    *is_async = false;
                }
                let n = items.len();
                for (j, it) in items.iter_mut().enumerate() {
                    if !is_use(&it.expr) {
                        continue;
                    }
                    if let ItemExpr::ClosingGen { is_async, .. } = &mut it.expr {
                        *is_async = false;
                        // Only the last item's name is stepped.
                        match &it.target {
                            Target::Name(var) if j + 1 == n => {
                                for s in body.iter_mut() {
                                    if let Stmt::Step { var: v, is_async, .. } = s {
                                        if v == var {
                                            *is_async = false;
                                        }
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
            Stmt::Stack { op: StackOp::Enter { expr, is_async, .. } | StackOp::Push { expr, is_async }, .. }
                if is_use(expr) =>
            {
                *is_async = false;
                if let ItemExpr::ClosingGen { is_async, .. } = expr {
                    *is_async = false;
                }
            }
            // `await m1.__aexit__(...)` of a manager that is now sync: `m1.__exit__(...)`.
            Stmt::Direct { var, is_async, .. } if names.contains(var) => *is_async = false,
            _ => {}
        }
        Flow::Continue
    });
}

/// Makes every operation on the exit stack held in `name` its sync form, in `block` and the
/// blocks nested in it; likewise for the stacks made from it (`st.pop_all()`, `with st as s:`),
/// and an `async with` of one of them alone becomes a `with`. A name bound again is not told
/// apart: validation rejects what that breaks.
fn sync_stack_ops(block: &mut [Stmt], name: &str) {
    let from_it = |e: &ItemExpr| matches!(e, ItemExpr::PopAll(s) | ItemExpr::Var(s) if s == name);
    for i in 0..block.len() {
        let (head, rest) = block.split_at_mut(i + 1);
        match &mut head[i] {
            Stmt::Stack { stack, op } if stack == name => match op {
                StackOp::Enter { is_async, .. }
                | StackOp::Push { is_async, .. }
                | StackOp::Callback { is_async, .. }
                | StackOp::Close { is_async } => *is_async = false,
                StackOp::PushFn(f) => {
                    f.is_async = false;
                    f.suspend = false;
                }
            },
            Stmt::Assign { name: derived, expr } if from_it(expr) => {
                let derived = derived.clone();
                sync_stack_ops(rest, &derived);
            }
            Stmt::With { is_async, items, body, .. } => {
                if items.len() == 1 && from_it(&items[0].expr) {
                    *is_async = false;
                }
                let derived: Vec<String> = items
                    .iter()
                    .filter_map(|it| match &it.target {
                        Target::Name(n) if from_it(&it.expr) => Some(n.clone()),
                        _ => None,
                    })
                    .collect();
                sync_stack_ops(body, name);
                for n in derived {
                    sync_stack_ops(body, &n);
                }
            }
            s => {
                for (_, b) in visit::child_blocks_mut(s) {
                    sync_stack_ops(b, name);
                }
            }
        }
    }
}

/// Pass 9: shorten a loop; drop an `else` or `finally` block, a handler, a handler's binding;
/// drive a generator to exhaustion, or close it instead of throwing into it, or take fewer items
/// first; step fewer items.
fn simplify_clauses(program: &mut Program, cur: &mut Cursor) {
    visit::each_block_mut(program, |block, _| {
        for s in block.iter_mut() {
            match s {
                Stmt::Step { k, .. } => {
                    if 1 < *k && cur.take() {
                        *k = 1;
                        return Flow::Stop;
                    }
                    if 2 < *k && cur.take() {
                        *k -= 1;
                        return Flow::Stop;
                    }
                }
                Stmt::YieldValue(_) if cur.take() => {
                    *s = Stmt::Yield("y".to_string());
                    return Flow::Stop;
                }
                Stmt::YieldFrom { target, .. } | Stmt::AwaitCall { target, .. } if target.is_some() && cur.take() => {
                    *target = None;
                    return Flow::Stop;
                }
                Stmt::Drive { how, then, .. } => {
                    if then.is_some() && cur.take() {
                        *then = None;
                        return Flow::Stop;
                    }
                    if let Some(Then::Throw(t @ Thrown::Triple(_))) = then {
                        if cur.take() {
                            let Thrown::Triple(e) = t else { unreachable!("matched") };
                            *t = Thrown::New(e.clone());
                            return Flow::Stop;
                        }
                    }
                    if let Drive::Throw(k, Thrown::Triple(e)) = how {
                        if cur.take() {
                            *how = Drive::Throw(*k, Thrown::New(e.clone()));
                            return Flow::Stop;
                        }
                    }
                    let mut alternatives = vec![Drive::Exhaust];
                    if let Drive::Send(k) = how {
                        alternatives.push(Drive::Close(*k));
                    }
                    if let Drive::Throw(k, _) = how {
                        alternatives.push(Drive::Close(*k));
                    }
                    if let Drive::AwThrow(k, _, t) = how {
                        // The same throw through athrow(), awaited.
                        alternatives.push(Drive::Throw(*k, t.clone()));
                    }
                    if let Drive::Close(k) | Drive::Throw(k, _) = how {
                        for fewer in [1, k.saturating_sub(1)] {
                            let mut alt = how.clone();
                            if let Drive::Close(k) | Drive::Throw(k, _) = &mut alt {
                                *k = fewer;
                            }
                            alternatives.push(alt);
                        }
                    }
                    // `fewer` may be 0, or not fewer: only smaller valid ones are tried, once each.
                    alternatives.retain(|alt| {
                        !matches!(alt, Drive::Close(0) | Drive::Throw(0, _)) && drive_size(alt) < drive_size(how)
                    });
                    alternatives.dedup();
                    for alt in alternatives {
                        if cur.take() {
                            *how = alt;
                            return Flow::Stop;
                        }
                    }
                }
                Stmt::Loop { times, .. } => {
                    if 1 < *times && cur.take() {
                        *times = 1;
                        return Flow::Stop;
                    }
                    if 2 < *times && cur.take() {
                        *times -= 1;
                        return Flow::Stop;
                    }
                }
                Stmt::TryStar(t) if cur.take() => {
                    // except* as except, with the same handlers.
                    *s = Stmt::Try(t.clone());
                    return Flow::Stop;
                }
                Stmt::RaiseGroup(g) => {
                    if let Some(r) = simpler_group_raise(g, cur) {
                        *s = r;
                        return Flow::Stop;
                    }
                }
                Stmt::Try(t) | Stmt::TryStar(t) => {
                    if !t.orelse.is_empty() && cur.take() {
                        t.orelse.clear();
                        return Flow::Stop;
                    }
                    if t.finally.is_some() && cur.take() {
                        t.finally = None;
                        return Flow::Stop;
                    }
                    for k in 0..t.handlers.len() {
                        if cur.take() {
                            t.handlers.remove(k);
                            return Flow::Stop;
                        }
                    }
                    for h in &mut t.handlers {
                        if h.bind && cur.take() {
                            h.bind = false;
                            return Flow::Stop;
                        }
                    }
                }
                _ => {}
            }
        }
        Flow::Continue
    });
}

/// A smaller raise than `raise <g>`: the raise of its first exception alone, or the group with a
/// member dropped, a nested group replaced by its first exception, or made an `ExceptionGroup`.
fn simpler_group_raise(g: &mut Group, cur: &mut Cursor) -> Option<Stmt> {
    if let Some(Member::Exc(e)) = g.members.first() {
        if cur.take() {
            return Some(Stmt::Raise(RaiseNew { exc: e.clone(), cause: None }));
        }
    }
    if simplify_group(g, cur) {
        return Some(Stmt::RaiseGroup(g.clone()));
    }
    None
}

/// Drops a member of `g` (or of a group nested in it), unnests one, or makes one an
/// `ExceptionGroup`; true when it did.
fn simplify_group(g: &mut Group, cur: &mut Cursor) -> bool {
    if g.base && cur.take() {
        g.base = false;
        return true;
    }
    if 1 < g.members.len() {
        for k in 0..g.members.len() {
            if cur.take() {
                g.members.remove(k);
                return true;
            }
        }
    }
    for m in &mut g.members {
        if let Member::Group(inner) = m {
            if let Some(Member::Exc(e)) = inner.members.first() {
                if cur.take() {
                    *m = Member::Exc(e.clone());
                    return true;
                }
            }
            if simplify_group(inner, cur) {
                return true;
            }
        }
    }
    false
}

/// Pass 10: replace a class everywhere by a plainer one, then one occurrence at a time; make a
/// handler a bare `except:`.
fn simplify_classes(program: &mut Program, cur: &mut Cursor) {
    let mut used = Vec::new();
    visit::each_node_mut(program, |node| {
        match node {
            NodeMut::Class(c) => used.push(*c),
            NodeMut::Handler { handler, .. } => used.extend(handler.class),
            _ => {}
        }
        Flow::Continue
    });
    used.sort_by_key(|c| (usize::MAX - rank(*c), *c));
    used.dedup();
    for c in used {
        for t in simpler_classes(c) {
            if cur.take() {
                visit::each_node_mut(program, |node| {
                    match node {
                        NodeMut::Class(x) if *x == c => *x = t,
                        NodeMut::Handler { handler, .. } if handler.class == Some(c) => handler.class = Some(t),
                        _ => {}
                    }
                    Flow::Continue
                });
                return;
            }
        }
    }
    visit::each_node_mut(program, |node| match node {
        NodeMut::Class(c) => {
            for t in simpler_classes(*c) {
                if cur.take() {
                    *c = t;
                    return Flow::Stop;
                }
            }
            Flow::Continue
        }
        NodeMut::Handler { handler, last } => {
            let Some(c) = handler.class else { return Flow::Continue };
            if last && cur.take() {
                // A bare `except:` binds no name.
                handler.class = None;
                handler.bind = false;
                return Flow::Stop;
            }
            for t in simpler_classes(c) {
                if cur.take() {
                    handler.class = Some(t);
                    return Flow::Stop;
                }
            }
            Flow::Continue
        }
        NodeMut::Raise(_) | NodeMut::Value(_) | NodeMut::Expr(_) => Flow::Continue,
    });
}

/// Pass 11: drop a `from` cause; replace a value by a simpler one.
fn simplify_values(program: &mut Program, cur: &mut Cursor) {
    visit::each_node_mut(program, |node| match node {
        NodeMut::Raise(r) => {
            if r.cause.is_some() && cur.take() {
                r.cause = None;
                return Flow::Stop;
            }
            if matches!(r.cause, Some(Cause::New(_))) && cur.take() {
                r.cause = Some(Cause::None);
                return Flow::Stop;
            }
            Flow::Continue
        }
        NodeMut::Value(v) => {
            for alt in simpler_values(v) {
                if cur.take() {
                    *v = alt;
                    return Flow::Stop;
                }
            }
            Flow::Continue
        }
        NodeMut::Class(_) | NodeMut::Handler { .. } | NodeMut::Expr(_) => Flow::Continue,
    });
}

/// Smaller values to try instead of `v`, the likeliest first: for a coroutine the same as an
/// `Aw(...)`, then one of the same truthiness, then the plainest, then shorter versions of `v`.
fn simpler_values(v: &Value) -> Vec<Value> {
    let mut res = Vec::new();
    if let Value::Awaitable { label, suspend, then, coroutine: true } = v {
        res.push(Value::Awaitable { label: label.clone(), suspend: *suspend, then: then.clone(), coroutine: false });
    }
    match truthiness(v) {
        Some(true) => res.push(Value::Bool(true)),
        Some(false) => res.push(Value::None),
        None => {}
    }
    res.extend([Value::None, Value::Int(0), Value::Bool(false), Value::Bool(true)]);
    match v {
        Value::Tuple(items) => {
            for k in 0..items.len() {
                let mut shorter = items.clone();
                shorter.remove(k);
                res.push(Value::Tuple(shorter));
            }
        }
        Value::Str(s) => {
            res.push(Value::Str(String::new()));
            res.push(Value::Str(s[..s.len() / 2].to_string()));
        }
        Value::BoolObj { label, result: BoolResult::NonBool(_) | BoolResult::Raise(_) } => {
            res.push(Value::BoolObj { label: label.clone(), result: BoolResult::Bool(true) });
        }
        Value::Awaitable { label, suspend, then, coroutine } => {
            let plainest = Box::new(AwaitThen::Return(Value::None));
            let coroutine = *coroutine;
            res.push(Value::Awaitable { label: label.clone(), suspend: false, then: plainest.clone(), coroutine });
            res.push(Value::Awaitable { label: label.clone(), suspend: false, then: then.clone(), coroutine });
            res.push(Value::Awaitable { label: label.clone(), suspend: *suspend, then: plainest, coroutine });
        }
        _ => {}
    }
    let limit = value_size(v);
    let mut out: Vec<Value> = Vec::new();
    for alt in res {
        if value_size(&alt) < limit && !out.contains(&alt) {
            out.push(alt);
        }
    }
    out
}

/// What `bool(v)` is, when it is known without side effects.
fn truthiness(v: &Value) -> Option<bool> {
    match v {
        Value::None => Some(false),
        Value::Bool(b) => Some(*b),
        Value::Int(n) => Some(*n != 0),
        Value::Str(s) => Some(!s.is_empty()),
        Value::Tuple(items) => Some(!items.is_empty()),
        Value::BoolObj { result: BoolResult::Bool(b), .. } => Some(*b),
        Value::LenObj { len, .. } if 0 <= *len => Some(*len != 0),
        Value::BoolObj { .. } | Value::LenObj { .. } => None,
        Value::Awaitable { .. } | Value::BadAwaitable => Some(true),
    }
}

// ---- repair ----

/// Fixes what an edit commonly breaks, by deleting more: a `show` or `raise e_h1` whose name is
/// no longer bound, a `break` or `continue` no longer in a loop, a `with` item, an assignment or a
/// stack operation naming a variable no longer bound (or no longer a stack), a step no longer at
/// the top level of its `closing` body, a `with` without items (it becomes its body), a `try`
/// without clauses (it becomes its body), an `else` without handlers (it joins the body).
fn repair(program: &mut Program) {
    struct Repair;
    impl VisitorMut for Repair {
        fn block(&mut self, block: &mut Vec<Stmt>, at: At<'_>) -> Flow {
            repair_block(block, at.scope);
            Flow::Continue
        }
    }
    let _ = visit::walk_mut(program, &mut Repair);
}

/// Repairs the statements of `block`, which starts in `scope`; the walk repairs the blocks
/// inside them afterwards, in the scopes the repaired statements give them.
fn repair_block(block: &mut Vec<Stmt>, scope: &Scope) {
    let mut scope = scope.clone();
    // A block that replaces its statement is repaired in its place, in the scope it now has.
    let mut pending: VecDeque<Stmt> = std::mem::take(block).into();
    while let Some(s) = pending.pop_front() {
        match s {
            Stmt::Show(var) if !scope.can_read(&var) => {}
            Stmt::RaiseCaught(label) if !scope.is_bound(&format!("e_{label}")) => {}
            Stmt::Keep { ref name, ref label } if !scope.is_bound(name) || !scope.catches(label) => {}
            Stmt::RaiseVar(ref name) if !scope.is_bound(name) => {}
            Stmt::SetAttr { ref label, ref value, .. }
                if !scope.catches(label) || matches!(value, AttrValue::Caught(l) if !scope.catches(l)) => {}
            Stmt::Drive { ref how, ref then, .. }
                if [how_thrown(how), then_thrown(then)]
                    .iter()
                    .any(|t| matches!(t, Some(Thrown::Caught(l)) if !scope.catches(l))) => {}
            Stmt::Raise(mut r) => {
                if matches!(&r.cause, Some(Cause::Caught(l)) if !scope.catches(l)) {
                    r.cause = None;
                }
                block.push(Stmt::Raise(r));
            }
            Stmt::Break | Stmt::Continue if !scope.in_loop() => {}
            Stmt::Step { ref var, is_async, .. } if scope.step() != Some((var.as_str(), is_async)) => {}
            Stmt::Stack { ref stack, .. } if scope.stack(stack).is_none() => {}
            Stmt::Stack { op: StackOp::Enter { ref expr, .. } | StackOp::Push { ref expr, .. }, .. }
                if !scope.has(expr) => {}
            Stmt::Assign { ref expr, .. } if !scope.has(expr) => {}
            Stmt::With { is_async, parens, items, body } => {
                let mut inner = scope.items();
                let mut kept = Vec::new();
                for it in items {
                    if inner.has(&it.expr) {
                        inner.bind_item(&it);
                        kept.push(it);
                    }
                }
                if kept.is_empty() {
                    for s in body.into_iter().rev() {
                        pending.push_front(s);
                    }
                    continue;
                }
                let with = Stmt::With { is_async, parens, items: kept, body };
                scope.after(&with);
                block.push(with);
            }
            Stmt::TryStar(t) if t.handlers.is_empty() => {
                // Without except* clauses it is a plain try.
                pending.push_front(Stmt::Try(t));
            }
            Stmt::Try(mut t) => {
                if t.handlers.is_empty() {
                    let orelse = std::mem::take(&mut t.orelse);
                    t.body.extend(orelse);
                    if t.finally.is_none() {
                        for s in t.body.into_iter().rev() {
                            pending.push_front(s);
                        }
                        continue;
                    }
                }
                let t = Stmt::Try(t);
                scope.after(&t);
                block.push(t);
            }
            other => {
                scope.after(&other);
                block.push(other);
            }
        }
    }
}

/// What a drive's [`Drive`] throws, if it throws.
fn how_thrown(how: &Drive) -> Option<&Thrown> {
    how.thrown()
}

/// What a drive's [`Then`] throws, if it throws.
fn then_thrown(then: &Option<Then>) -> Option<&Thrown> {
    match then {
        Some(Then::Throw(t)) => Some(t),
        _ => None,
    }
}

// ---- traversal ----

/// Calls `f` on every context expression (of a `with` item, an assignment, a stack operation).
/// Runs `f` on the arguments of every call of `c<c>`: context expressions (inside `Nested(...)`
/// too) and decorators.
fn each_cm_call_mut(program: &mut Program, c: usize, mut f: impl FnMut(&mut Vec<Arg>)) {
    each_expr_mut(program, |e| {
        if let ItemExpr::Cm(k, args) = e {
            if *k == c {
                f(args);
            }
        }
    });
    for d in &mut program.decos {
        if d.deco == Deco::Cm(c) {
            f(&mut d.args);
        }
    }
}

/// Drops from a call's arguments the one that binds parameter `j` of `params`: its keyword, or
/// the positional argument at its place.
fn unbind(args: &mut Vec<Arg>, params: &[Param], j: usize) {
    let p = &params[j];
    if let Some(k) = args.iter().position(|a| a.keyword.as_deref() == Some(p.name.as_str())) {
        args.remove(k);
    } else if !p.kw_only && args.iter().filter(|a| a.keyword.is_none()).count() > j {
        args.remove(j);
    }
}

/// Runs `f` on every context expression, the members of a `Nested(...)` included (after it), so
/// that what counts and renumbers managers and generator functions sees them all.
fn each_expr_mut(program: &mut Program, mut f: impl FnMut(&mut ItemExpr)) {
    visit::each_node_mut(program, |node| {
        if let NodeMut::Expr(e) = node {
            f(e);
        }
        Flow::Continue
    });
}

#[cfg(test)]
mod tests;
