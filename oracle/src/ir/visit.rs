//! Walking the IR: the one place that knows which blocks a statement holds, which bodies a
//! program has, and in which order they are visited.
//!
//! - [`child_blocks`] / [`child_blocks_mut`]: the blocks directly inside a statement, each with the
//!   [`Step`] that leads to it.
//! - [`stmts`] / [`all_stmts`]: every statement of a block (of a program) and of the blocks nested
//!   in it, in source order; cheap, for questions about the shape.
//! - [`walk`] / [`walk_mut`] with a [`Visitor`] / [`VisitorMut`] (or [`each_stmt`],
//!   [`each_stmt_mut`], [`each_block_mut`] with a closure): every block and statement of every
//!   body, each with its typed [`Path`] and the [`Scope`] that holds there, in source order.
//! - [`each_node_mut`]: the exception classes, values, raises, handlers and context expressions
//!   of the whole program, managers included: what the reducer simplifies.
//!
//! Bodies are visited `main` first, then the generator functions, the decorated functions, then the blocks of each
//! `@contextmanager` function (pre, except, finally, post).

use std::fmt;
use std::ops::ControlFlow;

use super::scope::{bound, Clauses, Func, Scope};
use super::{
    Action, AwaitThen, BoolResult, Cause, Drive, ExcClass, ExitFn, ExitFnResult, Getter, Group, Handler, ItemExpr,
    Member, Method, Program, RaiseNew, Slot, StackOp, Stmt, Then, Thrown, Value,
};

/// Where a part of a program is, such as `main[1].with[0].item[0]` or `M0.__exit__`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Path {
    /// The definition it is in.
    pub root: Root,
    /// The way down from there.
    pub steps: Vec<Step>,
}

/// A definition of a program; ordered as they are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Root {
    /// Manager class `M<n>`.
    Manager(usize),
    /// `@contextmanager` function `c<n>`.
    Cm(usize),
    /// Generator function `g<n>`.
    Gen(usize),
    /// Decorated function `f<n>`, defined at the start of `main`.
    Deco(usize),
    /// `main`.
    Main,
}

/// One step of a [`Path`]; ordered as the parts of a statement are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// `[i]`: the statement at index `i` of a block.
    Stmt(usize),
    /// `.item[j]`: item `j` of a `with`.
    Item(usize),
    /// `.with`: the body of a `with`.
    With,
    /// `.loop`: the body of a loop.
    Loop,
    /// `.try`: the `try:` block.
    Try,
    /// `.except[j]`: handler `j` of a `try`.
    Except(usize),
    /// `.else`: the `else:` block.
    Else,
    /// `.finally`: the `finally:` block of a `try`, or of a `@contextmanager` function.
    Finally,
    /// `.pre`: what a `@contextmanager` function runs before its `try`.
    Pre,
    /// `.except`: the handler around the yield of a `@contextmanager` function.
    Handler,
    /// `.post`: what a `@contextmanager` function runs after its `try`.
    Post,
    /// `.__init__` of a manager class.
    Init,
    /// `.__enter__` and the other protocol methods of a manager class.
    Method(Slot),
}

impl Path {
    /// The definition `root` itself.
    pub fn new(root: Root) -> Path {
        Path { root, steps: Vec::new() }
    }

    /// This path and one more step.
    pub fn join(&self, step: Step) -> Path {
        let mut res = self.clone();
        res.steps.push(step);
        res
    }

    /// Whether `self` is `other` or a part of it.
    pub fn starts_with(&self, other: &Path) -> bool {
        self.root == other.root && self.steps.starts_with(&other.steps)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.root {
            Root::Manager(i) => write!(f, "M{i}")?,
            Root::Cm(i) => write!(f, "c{i}")?,
            Root::Gen(i) => write!(f, "g{i}")?,
            Root::Deco(i) => write!(f, "f{i}")?,
            Root::Main => write!(f, "main")?,
        }
        for step in &self.steps {
            match step {
                Step::Stmt(i) => write!(f, "[{i}]")?,
                Step::Item(j) => write!(f, ".item[{j}]")?,
                Step::With => write!(f, ".with")?,
                Step::Loop => write!(f, ".loop")?,
                Step::Try => write!(f, ".try")?,
                Step::Except(j) => write!(f, ".except[{j}]")?,
                Step::Else => write!(f, ".else")?,
                Step::Finally => write!(f, ".finally")?,
                Step::Pre => write!(f, ".pre")?,
                Step::Handler => write!(f, ".except")?,
                Step::Post => write!(f, ".post")?,
                Step::Init => write!(f, ".__init__")?,
                Step::Method(slot) => write!(f, ".{}", slot.name())?,
            }
        }
        Ok(())
    }
}

/// What a walk does after a visit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Go on, into what the visited thing holds.
    Continue,
    /// Go on, but not into what the visited thing holds.
    Skip,
    /// Stop the whole walk.
    Stop,
}

/// Where a walk is: the path of the visited block or statement, and the scope in which it stands.
#[derive(Clone, Copy, Debug)]
pub struct At<'a> {
    /// The path of the block or statement.
    pub path: &'a Path,
    /// The scope before the statement (for a block: at its start).
    pub scope: &'a Scope,
}

/// The blocks directly inside `s`, in source order, each with its step.
pub fn child_blocks(s: &Stmt) -> Vec<(Step, &Vec<Stmt>)> {
    match s {
        Stmt::With { body, .. } => vec![(Step::With, body)],
        Stmt::Loop { body, .. } => vec![(Step::Loop, body)],
        Stmt::Try(t) | Stmt::TryStar(t) => {
            let mut res = vec![(Step::Try, &t.body)];
            res.extend(t.handlers.iter().enumerate().map(|(j, h)| (Step::Except(j), &h.body)));
            res.push((Step::Else, &t.orelse));
            res.extend(t.finally.as_ref().map(|(_, body)| (Step::Finally, body)));
            res
        }
        _ => Vec::new(),
    }
}

/// The blocks directly inside `s`, in source order, each with its step, to change them.
pub fn child_blocks_mut(s: &mut Stmt) -> Vec<(Step, &mut Vec<Stmt>)> {
    match s {
        Stmt::With { body, .. } => vec![(Step::With, body)],
        Stmt::Loop { body, .. } => vec![(Step::Loop, body)],
        Stmt::Try(t) | Stmt::TryStar(t) => {
            let mut res = vec![(Step::Try, &mut t.body)];
            res.extend(t.handlers.iter_mut().enumerate().map(|(j, h)| (Step::Except(j), &mut h.body)));
            res.push((Step::Else, &mut t.orelse));
            res.extend(t.finally.as_mut().map(|(_, body)| (Step::Finally, body)));
            res
        }
        _ => Vec::new(),
    }
}

/// Every statement of `block` and of the blocks nested in it, each before those nested in it.
pub fn stmts(block: &[Stmt]) -> impl Iterator<Item = &Stmt> {
    let mut stack: Vec<std::slice::Iter<'_, Stmt>> = vec![block.iter()];
    std::iter::from_fn(move || loop {
        let top = stack.last_mut()?;
        match top.next() {
            Some(s) => {
                let children = child_blocks(s);
                stack.extend(children.into_iter().rev().map(|(_, b)| b.iter()));
                return Some(s);
            }
            None => {
                stack.pop();
            }
        }
    })
}

/// Every statement of `program`, in walking order, each before those nested in it.
pub fn all_stmts(program: &Program) -> impl Iterator<Item = &Stmt> {
    bodies(program).into_iter().flat_map(|(_, _, body)| stmts(body))
}

/// The top-level blocks of `program`, in walking order, each with its path and the scope at its
/// start.
pub fn bodies(program: &Program) -> Vec<(Path, Scope, &Vec<Stmt>)> {
    let mut res =
        vec![(Path::new(Root::Main), Scope::function(Func::Main { is_async: program.is_async }), &program.main)];
    for (i, g) in program.gens.iter().enumerate() {
        res.push((Path::new(Root::Gen(i)), Scope::function(gen_func(g)), &g.body));
    }
    for (i, d) in program.decos.iter().enumerate() {
        let func = Func::Def { is_async: d.is_async(program) };
        res.push((Path::new(Root::Deco(i)), Scope::function(func), &d.body));
    }
    for (i, cm) in program.cms.iter().enumerate() {
        let scopes = cm_scopes(cm);
        let blocks =
            [Some(&cm.pre), cm.handler.as_ref().map(|h| &h.body), cm.finally.as_ref().map(|(_, b)| b), Some(&cm.post)];
        for ((step, scope), block) in scopes.into_iter().zip(blocks) {
            if let Some(block) = block {
                res.push((Path::new(Root::Cm(i)).join(step), scope, block));
            }
        }
    }
    res
}

/// The top-level blocks of `program`, in walking order, each with its path and the scope at its
/// start, to change them.
pub fn bodies_mut(program: &mut Program) -> Vec<(Path, Scope, &mut Vec<Stmt>)> {
    let deco_async: Vec<bool> = program.decos.iter().map(|d| d.is_async(program)).collect();
    let mut res =
        vec![(Path::new(Root::Main), Scope::function(Func::Main { is_async: program.is_async }), &mut program.main)];
    for (i, g) in program.gens.iter_mut().enumerate() {
        let func = gen_func(g);
        res.push((Path::new(Root::Gen(i)), Scope::function(func), &mut g.body));
    }
    for (i, (d, is_async)) in program.decos.iter_mut().zip(deco_async).enumerate() {
        res.push((Path::new(Root::Deco(i)), Scope::function(Func::Def { is_async }), &mut d.body));
    }
    for (i, cm) in program.cms.iter_mut().enumerate() {
        let scopes = cm_scopes(cm);
        let blocks = [
            Some(&mut cm.pre),
            cm.handler.as_mut().map(|h| &mut h.body),
            cm.finally.as_mut().map(|(_, b)| b),
            Some(&mut cm.post),
        ];
        for ((step, scope), block) in scopes.into_iter().zip(blocks) {
            if let Some(block) = block {
                res.push((Path::new(Root::Cm(i)).join(step), scope, block));
            }
        }
    }
    res
}

/// The kind of function of a generator function (a coroutine function without a `yield`).
fn gen_func(g: &super::GenFn) -> Func {
    if g.is_coroutine() {
        Func::Coro
    } else {
        Func::Gen { is_async: g.is_async }
    }
}

/// The steps and scopes of the four blocks of a `@contextmanager` function: pre, except,
/// finally, post. The except and finally blocks are those of the `try` around its yield.
fn cm_scopes(cm: &super::CmGen) -> [(Step, Scope); 4] {
    let top = Scope::function(Func::Cm { is_async: cm.is_async });
    let clauses = Clauses { handlers: cm.handler.is_some(), finally: cm.finally.is_some() };
    let bound = cm.handler.as_ref().and_then(bound);
    [
        (Step::Pre, top.clone()),
        (Step::Handler, top.handler_body(bound, clauses)),
        (Step::Finally, top.finally_body(clauses)),
        (Step::Post, top),
    ]
}

/// Visits the blocks and statements of a program by shared reference.
pub trait Visitor<'p> {
    /// A block, before its statements; [`Flow::Skip`] passes over them.
    fn block(&mut self, _block: &'p [Stmt], _at: At<'_>) -> Flow {
        Flow::Continue
    }

    /// A statement, before the blocks inside it; [`Flow::Skip`] passes over them.
    fn stmt(&mut self, _s: &'p Stmt, _at: At<'_>) -> Flow {
        Flow::Continue
    }
}

/// Visits the blocks and statements of a program by mutable reference. A visit may change what
/// it is given (the walk goes on into what is there afterwards), and may change the block around
/// a statement only if it then stops the walk.
pub trait VisitorMut {
    /// A block, before its statements; [`Flow::Skip`] passes over them.
    fn block(&mut self, _block: &mut Vec<Stmt>, _at: At<'_>) -> Flow {
        Flow::Continue
    }

    /// The statement at index `i` of `block`, before the blocks inside it; [`Flow::Skip`] passes
    /// over them.
    fn stmt(&mut self, _block: &mut Vec<Stmt>, _i: usize, _at: At<'_>) -> Flow {
        Flow::Continue
    }
}

/// Walks every body of `program` with `v`, until a visit says [`Flow::Stop`].
pub fn walk<'p>(program: &'p Program, v: &mut impl Visitor<'p>) -> ControlFlow<()> {
    for (mut path, scope, block) in bodies(program) {
        walk_block(block, &mut path, &scope, v)?;
    }
    ControlFlow::Continue(())
}

/// Walks `block`, at `path` in `scope`, and the blocks nested in it. After a stop, `path` is
/// where the walk stopped.
pub fn walk_block<'p>(block: &'p [Stmt], path: &mut Path, scope: &Scope, v: &mut impl Visitor<'p>) -> ControlFlow<()> {
    if !descend(v.block(block, At { path, scope }))? {
        return ControlFlow::Continue(());
    }
    let mut scope = scope.clone();
    for (i, s) in block.iter().enumerate() {
        path.steps.push(Step::Stmt(i));
        if descend(v.stmt(s, At { path, scope: &scope }))? {
            let children = child_blocks(s).into_iter().map(|(step, child)| (step, child, child_scope(&scope, s, step)));
            each_child(path, children, |child, path, inner| walk_block(child, path, inner, v))?;
        }
        path.steps.pop();
        scope.after(s);
    }
    ControlFlow::Continue(())
}

/// Whether to go into what a visit was given (`Continue(true)`), pass over it, or stop.
fn descend(flow: Flow) -> ControlFlow<(), bool> {
    match flow {
        Flow::Continue => ControlFlow::Continue(true),
        Flow::Skip => ControlFlow::Continue(false),
        Flow::Stop => ControlFlow::Break(()),
    }
}

/// The scope of block `step` of `s`, a statement in `scope`.
fn child_scope(scope: &Scope, s: &Stmt, step: Step) -> Scope {
    scope.block(s, step).expect("child_blocks gives the blocks of the statement")
}

/// Walks the blocks of a statement with `walk`, each at its path (`path` and its step) and in
/// its scope.
fn each_child<B>(
    path: &mut Path,
    children: impl IntoIterator<Item = (Step, B, Scope)>,
    mut walk: impl FnMut(B, &mut Path, &Scope) -> ControlFlow<()>,
) -> ControlFlow<()> {
    for (step, child, inner) in children {
        path.steps.push(step);
        walk(child, path, &inner)?;
        path.steps.pop();
    }
    ControlFlow::Continue(())
}

/// Walks every body of `program` with `v`, until a visit says [`Flow::Stop`].
pub fn walk_mut(program: &mut Program, v: &mut impl VisitorMut) -> ControlFlow<()> {
    for (mut path, scope, block) in bodies_mut(program) {
        walk_block_mut(block, &mut path, &scope, v)?;
    }
    ControlFlow::Continue(())
}

/// Walks `block`, at `path` in `scope`, and the blocks nested in it. After a stop, `path` is
/// where the walk stopped.
pub fn walk_block_mut(
    block: &mut Vec<Stmt>,
    path: &mut Path,
    scope: &Scope,
    v: &mut impl VisitorMut,
) -> ControlFlow<()> {
    if !descend(v.block(block, At { path, scope }))? {
        return ControlFlow::Continue(());
    }
    let mut scope = scope.clone();
    for i in 0..block.len() {
        path.steps.push(Step::Stmt(i));
        let go_in = descend(v.stmt(block, i, At { path, scope: &scope }))?;
        let s = &mut block[i];
        if go_in {
            let scopes: Vec<Scope> =
                child_blocks(s).into_iter().map(|(step, _)| child_scope(&scope, s, step)).collect();
            let children =
                child_blocks_mut(s).into_iter().zip(scopes).map(|((step, child), inner)| (step, child, inner));
            each_child(path, children, |child, path, inner| walk_block_mut(child, path, inner, v))?;
        }
        path.steps.pop();
        scope.after(s);
    }
    ControlFlow::Continue(())
}

/// [`walk`] with `f` called on every statement.
pub fn each_stmt<'p>(program: &'p Program, f: impl FnMut(&'p Stmt, At<'_>) -> Flow) {
    struct Stmts<F>(F);
    impl<'p, F: FnMut(&'p Stmt, At<'_>) -> Flow> Visitor<'p> for Stmts<F> {
        fn stmt(&mut self, s: &'p Stmt, at: At<'_>) -> Flow {
            (self.0)(s, at)
        }
    }
    let _ = walk(program, &mut Stmts(f));
}

/// [`walk_mut`] with `f` called on every statement, as the block it stands in and its index.
pub fn each_stmt_mut(program: &mut Program, f: impl FnMut(&mut Vec<Stmt>, usize, At<'_>) -> Flow) {
    let _ = walk_mut(program, &mut StmtsMut(f));
}

struct StmtsMut<F>(F);

impl<F: FnMut(&mut Vec<Stmt>, usize, At<'_>) -> Flow> VisitorMut for StmtsMut<F> {
    fn stmt(&mut self, block: &mut Vec<Stmt>, i: usize, at: At<'_>) -> Flow {
        (self.0)(block, i, at)
    }
}

/// [`walk_mut`] with `f` called on every block, before the statements in it.
pub fn each_block_mut(program: &mut Program, f: impl FnMut(&mut Vec<Stmt>, At<'_>) -> Flow) {
    struct Blocks<F>(F);
    impl<F: FnMut(&mut Vec<Stmt>, At<'_>) -> Flow> VisitorMut for Blocks<F> {
        fn block(&mut self, block: &mut Vec<Stmt>, at: At<'_>) -> Flow {
            (self.0)(block, at)
        }
    }
    let _ = walk_mut(program, &mut Blocks(f));
}

/// A part of a program below the statements: what [`each_node_mut`] visits.
pub enum NodeMut<'a> {
    /// The context expression of a `with` item, an assignment, `enter_context` or `push`; visited
    /// before the classes and values in it.
    Expr(&'a mut ItemExpr),
    /// An exception class anywhere but in a handler.
    Class(&'a mut ExcClass),
    /// A handler, for its class; `last` if it is the last of its `try` (the only place a bare
    /// `except:` may be).
    Handler {
        /// The handler.
        handler: &'a mut Handler,
        /// The last handler of its `try`.
        last: bool,
    },
    /// A value, visited before the values inside it.
    Value(&'a mut Value),
    /// A raise, visited before its classes.
    Raise(&'a mut RaiseNew),
}

/// Calls `f` on every node: those of the statements (in [`walk`] order), then of the
/// `@contextmanager` functions (the yielded value, the handler), then of the manager classes,
/// until `f` says [`Flow::Stop`]. [`Flow::Skip`] passes over the nodes inside a node.
pub fn each_node_mut(program: &mut Program, mut f: impl FnMut(NodeMut<'_>) -> Flow) {
    let _ = nodes_mut(program, &mut f);
}

fn nodes_mut(program: &mut Program, f: &mut NodeFn<'_>) -> ControlFlow<()> {
    let stmts = |block: &mut Vec<Stmt>, i: usize, _: At<'_>| match stmt_nodes(&mut block[i], f) {
        ControlFlow::Break(()) => Flow::Stop,
        ControlFlow::Continue(()) => Flow::Continue,
    };
    walk_mut(program, &mut StmtsMut(stmts))?;
    for cm in &mut program.cms {
        if let Some(v) = &mut cm.yields {
            value_nodes(v, f)?;
        }
        if let Some(h) = &mut cm.handler {
            // The only handler of its `try`, so it may become a bare `except:`.
            visit(f, NodeMut::Handler { handler: h, last: true })?;
        }
    }
    for m in &mut program.managers {
        if let Some(e) = &mut m.init_raises {
            visit(f, NodeMut::Class(&mut e.class))?;
        }
        for (_, method) in m.methods_mut() {
            let (Method::Defined(action)
            | Method::AsyncDef { action, .. }
            | Method::Static(action)
            | Method::ClassMethod(action)
            | Method::Property { get: Getter::Function(action), .. }) = method
            else {
                continue;
            };
            match action {
                Action::Return(v) => value_nodes(v, f)?,
                Action::Raise(r) => raise_nodes(r, f)?,
                Action::SuppressIf(classes) => {
                    for c in classes {
                        visit(f, NodeMut::Class(c))?;
                    }
                }
                Action::ReturnSelf | Action::RaiseArg | Action::BareRaise => {}
            }
        }
    }
    ControlFlow::Continue(())
}

type NodeFn<'f> = dyn FnMut(NodeMut<'_>) -> Flow + 'f;

/// Calls `f` on one node: `Break` to stop, `Continue(true)` to go into it.
fn visit(f: &mut NodeFn<'_>, node: NodeMut<'_>) -> ControlFlow<(), bool> {
    descend(f(node))
}

/// The nodes of a statement itself, not of the statements inside it.
fn stmt_nodes(s: &mut Stmt, f: &mut NodeFn<'_>) -> ControlFlow<()> {
    match s {
        Stmt::Drive { how, then, .. } => {
            if let Drive::Throw(_, t) | Drive::AwThrow(_, _, t) = how {
                thrown_nodes(t, f)?;
            }
            if let Some(Then::Throw(t)) = then {
                thrown_nodes(t, f)?;
            }
        }
        Stmt::With { items, .. } => {
            for it in items {
                expr_nodes(&mut it.expr, f)?;
            }
        }
        Stmt::Assign { expr, .. }
        | Stmt::Stack { op: StackOp::Enter { expr, .. } | StackOp::Push { expr, .. }, .. } => expr_nodes(expr, f)?,
        Stmt::Stack { op: StackOp::PushFn(ExitFn { result, .. }), .. } => match result {
            ExitFnResult::Return(v) => value_nodes(v, f)?,
            ExitFnResult::Raise(c) => {
                visit(f, NodeMut::Class(c))?;
            }
        },
        Stmt::Stack { op: StackOp::Callback { raises: Some(c), .. }, .. } => {
            visit(f, NodeMut::Class(c))?;
        }
        Stmt::Raise(r) => raise_nodes(r, f)?,
        Stmt::RaiseGroup(g) => group_nodes(g, f)?,
        Stmt::Return { value, .. } => value_nodes(value, f)?,
        Stmt::Try(t) | Stmt::TryStar(t) => {
            let n = t.handlers.len();
            for (j, h) in t.handlers.iter_mut().enumerate() {
                visit(f, NodeMut::Handler { handler: h, last: j + 1 == n })?;
            }
        }
        _ => {}
    }
    ControlFlow::Continue(())
}

/// The classes of what a group holds (the group itself is no class node: `ExceptionGroup` and
/// `BaseExceptionGroup` are only caught).
fn group_nodes(g: &mut Group, f: &mut NodeFn<'_>) -> ControlFlow<()> {
    for m in &mut g.members {
        match m {
            Member::Exc(e) => {
                visit(f, NodeMut::Class(&mut e.class))?;
            }
            Member::Group(inner) => group_nodes(inner, f)?,
        }
    }
    ControlFlow::Continue(())
}

fn thrown_nodes(t: &mut Thrown, f: &mut NodeFn<'_>) -> ControlFlow<()> {
    match t {
        Thrown::New(e) | Thrown::Triple(e) => {
            visit(f, NodeMut::Class(&mut e.class))?;
        }
        Thrown::Class(c) => {
            visit(f, NodeMut::Class(c))?;
        }
        Thrown::Caught(_) | Thrown::Bad(_) => {}
    }
    ControlFlow::Continue(())
}

fn expr_nodes(expr: &mut ItemExpr, f: &mut NodeFn<'_>) -> ControlFlow<()> {
    if !visit(f, NodeMut::Expr(expr))? {
        return ControlFlow::Continue(());
    }
    match expr {
        ItemExpr::Literal(v) | ItemExpr::Nullcontext(v) => value_nodes(v, f),
        ItemExpr::Suppress(classes) => {
            for c in classes {
                visit(f, NodeMut::Class(c))?;
            }
            ControlFlow::Continue(())
        }
        ItemExpr::Closing { raises: Some(c), .. } => {
            visit(f, NodeMut::Class(c))?;
            ControlFlow::Continue(())
        }
        ItemExpr::New(_) | ItemExpr::Cm(..) | ItemExpr::Closing { raises: None, .. } => ControlFlow::Continue(()),
        ItemExpr::Nested(members) => {
            for m in members {
                expr_nodes(m, f)?;
            }
            ControlFlow::Continue(())
        }
        ItemExpr::Var(_) | ItemExpr::ExitStack { .. } | ItemExpr::PopAll(_) | ItemExpr::ClosingGen { .. } => {
            ControlFlow::Continue(())
        }
    }
}

fn raise_nodes(r: &mut RaiseNew, f: &mut NodeFn<'_>) -> ControlFlow<()> {
    if !visit(f, NodeMut::Raise(r))? {
        return ControlFlow::Continue(());
    }
    visit(f, NodeMut::Class(&mut r.exc.class))?;
    if let Some(Cause::New(c)) = &mut r.cause {
        visit(f, NodeMut::Class(&mut c.class))?;
    }
    ControlFlow::Continue(())
}

fn value_nodes(v: &mut Value, f: &mut NodeFn<'_>) -> ControlFlow<()> {
    if !visit(f, NodeMut::Value(v))? {
        return ControlFlow::Continue(());
    }
    match v {
        Value::Tuple(items) => {
            for it in items {
                value_nodes(it, f)?;
            }
        }
        Value::BoolObj { result: BoolResult::Raise(c), .. } => {
            visit(f, NodeMut::Class(c))?;
        }
        Value::Awaitable { then, .. } => match &mut **then {
            AwaitThen::Return(v) => value_nodes(v, f)?,
            AwaitThen::Raise(c) => {
                visit(f, NodeMut::Class(c))?;
            }
        },
        _ => {}
    }
    ControlFlow::Continue(())
}
