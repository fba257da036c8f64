//! IR to Python source a person can read and paste into a bug report.
//!
//! A program is two parts: the fixed [`PRELUDE`] (instrumentation: `log`, `on_exit`, the exception
//! classes, ...) and the body rendered from the IR. The worker loads the prelude once and runs
//! only bodies, so that compile time is spent on the program, not on the instrumentation;
//! [`standalone`] glues both into one file that runs as it is under any `python3`.

use std::fmt::Write;

use crate::capability::{Capabilities, Capability};
use crate::ir::visit::{self, Step};
use crate::ir::{
    Action, Arg, AttrValue, AwOp, AwaitThen, Bad, BadThrow, BoolResult, Cause, CmGen, Deco, DecoFn, DirectCall, Drive,
    Elem, ExitFn, ExitFnResult, Getter, Group, Handler, ItemExpr, Key, Manager, Member, Method, NewExc, Param, Parens,
    Program, RaiseNew, Slot, StackOp, Stmt, Store, StoreObj, Target, Then, Thrown, Triple, Value, WithItem, Yielded,
};
use crate::model::py_repr_str;

mod module;
pub use module::{
    breaks_out_of_finally, defines_async_generator, module, prelude_names, run_module_code, steps_async_generator,
    uses_except_star,
};

/// The instrumentation every program uses; defines what the trace events look like.
pub const PRELUDE: &str = include_str!("prelude.py");

/// How a program is written for an implementation: the same program, in a form that runs on what
/// it has ([`Capabilities`]) and shows the same events. [`Dialect::CPYTHON`] is the only form
/// `parse` reads back, the corpus stores and bug reports show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dialect {
    /// Every `except` clause binds what it handles (`except E1 as _e_h1:`, a bare `except:` as
    /// `except BaseException as _e_h1:`) and passes it to `handler('h1', _e_h1)`: for an
    /// implementation without `sys.exc_info()`, where the prelude cannot ask which exception is
    /// being handled.
    pub handlers_bind: bool,
}

impl Dialect {
    /// As CPython runs it, and as people read it.
    pub const CPYTHON: Dialect = Dialect { handlers_bind: false };

    /// The form that runs on an implementation with `capabilities`.
    pub fn for_capabilities(capabilities: Capabilities) -> Dialect {
        Dialect { handlers_bind: !capabilities.has(Capability::ExcInfo) }
    }
}

/// The program without the prelude: manager classes and `def main():`.
pub fn body(program: &Program) -> String {
    body_in(program, Dialect::CPYTHON)
}

/// [`body`] in another [`Dialect`].
pub fn body_in(program: &Program, dialect: Dialect) -> String {
    let gen_async = program.gens.iter().map(|g| g.is_async_gen()).collect();
    let deco_async = program.decos.iter().map(|d| d.is_async(program)).collect();
    let deco_method = program.decos.iter().map(|d| d.method).collect();
    let mut r = Renderer { out: String::with_capacity(1024), gen_async, deco_async, deco_method, dialect };
    let decorators = program.context_decorators();
    for (i, m) in program.managers.iter().enumerate() {
        r.manager(i, m, decorators[i]);
        r.out.push('\n');
    }
    for (i, cm) in program.cms.iter().enumerate() {
        r.cm(i, cm);
        r.out.push('\n');
    }
    for (i, g) in program.gens.iter().enumerate() {
        let kw = if g.is_async { "async def" } else { "def" };
        r.out.push_str(&format!("{kw} g{i}():\n"));
        r.block(&g.body, 1);
        r.out.push('\n');
    }
    r.out.push_str(if program.is_async { "async def main():\n" } else { "def main():\n" });
    for (i, d) in program.decos.iter().enumerate() {
        r.deco(i, d, program);
    }
    r.block(&program.main, 1);
    r.out
}

/// One self-contained file: the prelude, the program, and a `__main__` block that prints the
/// trace, so that it can be run under any interpreter and its output compared by eye.
pub fn standalone(program: &Program) -> String {
    standalone_in(program, Dialect::CPYTHON)
}

/// [`standalone`] in another [`Dialect`].
pub fn standalone_in(program: &Program, dialect: Dialect) -> String {
    format!(
        "{PRELUDE}\n\n# ---- the program ----\n\n{}\n\nif __name__ == \"__main__\":\n    _report(main)\n",
        body_in(program, dialect)
    )
}

/// The module name of the prelude for programs that import it (the corpus's `.py` files):
/// `withstand_prelude.py`.
pub const PRELUDE_MODULE: &str = "withstand_prelude";

/// The prelude as a module of its own, for programs rendered by [`importing_prelude`]: the
/// prelude, then a footer so that `from withstand_prelude import *` brings every name (the
/// underscored ones the report needs too), and so that its classes and functions say they come
/// from `__main__`, as they do when the prelude is pasted into the program. That keeps every
/// trace line the same: 3.14's messages name a class by its module unless it is `__main__`.
pub fn prelude_module() -> String {
    format!(
        "{PRELUDE}

# ---- as part of the program ----
# `from {PRELUDE_MODULE} import *` brings every name above, the underscored ones too, and what is
# defined here says it comes from `__main__`, as it does when the prelude is in the program itself.
__all__ = [_n for _n in dir() if not _n.startswith(\"__\")]
for _n in __all__:
    if getattr(globals()[_n], \"__module__\", None) == __name__:
        globals()[_n].__module__ = \"__main__\"
"
    )
}

/// The program as a file that imports the prelude from [`prelude_module`] instead of holding
/// it: the module is looked for `up` directories above the file's own (the corpus's
/// `corpus/<topic>/<case>.py` has `up` = 1, the module being `corpus/withstand_prelude.py`), or
/// wherever `PYTHONPATH` says on an interpreter without `os.path` or `__file__`. It prints the
/// same trace as [`standalone`], and parses back like it.
pub fn importing_prelude(program: &Program, up: usize) -> String {
    let mut dir = "os.path.dirname(os.path.abspath(__file__))".to_string();
    if up > 0 {
        let parents = vec!["\"..\""; up].join(", ");
        dir = format!("os.path.join({dir}, {parents})");
    }
    format!(
        "try:  # the prelude is {PRELUDE_MODULE}.py, {where}; without os.path, put it on PYTHONPATH
    import os
    import sys

    sys.path.insert(0, {dir})
except Exception:
    pass
from {PRELUDE_MODULE} import *  # noqa: F403

{MARKER}

{}

if __name__ == \"__main__\":
    _report(main)
",
        body(program),
        where = match up {
            0 => "beside this file".to_string(),
            1 => "one directory up".to_string(),
            n => format!("{n} directories up"),
        },
        MARKER = crate::parse::MARKER,
    )
}

struct Renderer {
    out: String,
    /// Which generator functions are async (driven by `await adrive(...)`).
    gen_async: Vec<bool>,
    /// Which decorated functions are async (called with `await`).
    deco_async: Vec<bool>,
    /// Which decorated functions are methods (called as `F0().f0(...)`).
    deco_method: Vec<bool>,
    dialect: Dialect,
}

impl Renderer {
    fn line(&mut self, depth: usize, text: &str) {
        for _ in 0..depth {
            self.out.push_str("    ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn manager(&mut self, i: usize, m: &Manager, decorator: bool) {
        let name = format!("M{i}");
        let cd = if decorator { "ContextDecorator" } else { "" };
        match m.base {
            Some(b) if decorator => self.line(0, &format!("class {name}(M{b}, {cd}):")),
            Some(b) => self.line(0, &format!("class {name}(M{b}):")),
            None if decorator => self.line(0, &format!("class {name}({cd}):")),
            None => self.line(0, &format!("class {name}:")),
        }
        self.line(1, "def __init__(self):");
        self.line(2, &format!("on_init('{name}')"));
        for (slot, method) in m.methods() {
            if matches!(method, Method::InstanceOnly) {
                let dunder = slot.name();
                self.line(2, &format!("self.{dunder} = inst('{name}', '{dunder}')"));
            }
        }
        if let Some(e) = &m.init_raises {
            self.line(2, &format!("raise {}", new_exc(e)));
        }
        for (slot, method) in m.methods() {
            self.method(&name, method, slot);
        }
    }

    fn method(&mut self, name: &str, m: &Method, slot: Slot) {
        let dunder = slot.name();
        match m {
            Method::Missing | Method::InstanceOnly => {}
            Method::NoneAttr => self.line(1, &format!("{dunder} = None")),
            Method::WrongArity => {
                // The body is never reached: the call fails on its arguments.
                let params = method_params(slot, true).join(", ");
                self.line(1, &format!("def {dunder}({params}):"));
                self.line(2, &format!("log('unreachable {name}.{dunder}')"));
            }
            Method::Defined(action) | Method::AsyncDef { action, .. } => {
                let params = method_params(slot, false).join(", ");
                let kw = if matches!(m, Method::AsyncDef { .. }) { "async def" } else { "def" };
                self.line(1, &format!("{kw} {dunder}({params}):"));
                self.line(2, &method_log(slot, name));
                if let Method::AsyncDef { suspend: Some(label), .. } = m {
                    self.line(2, &format!("await Aw('{label}', True, None)"));
                }
                self.line(2, &action_line(action));
            }
            Method::Property { custom, get } => {
                // §7.1: the lookup calls the getter.
                self.line(1, if *custom { "@descriptor" } else { "@property" });
                self.line(1, &format!("def {dunder}(self):"));
                self.line(2, &format!("on_get('{name}', '{dunder}')"));
                match get {
                    Getter::Function(action) => {
                        let kw = if slot.is_async() { "async def" } else { "def" };
                        let params = &method_params(slot, false)[1..];
                        self.line(2, &format!("{kw} {dunder}({}):", params.join(", ")));
                        self.line(3, &method_log(slot, name));
                        self.line(3, &action_line(action));
                        self.line(2, &format!("return {dunder}"));
                    }
                    Getter::None => self.line(2, "return None"),
                    Getter::Raise(r) => self.line(2, &raise(r)),
                }
            }
            Method::Static(action) | Method::ClassMethod(action) => {
                // §7.2: no self; a class method gets the class.
                let params = &method_params(slot, false)[1..];
                let (deco, params) = match m {
                    Method::Static(_) => ("@staticmethod", params.join(", ")),
                    _ => ("@classmethod", ["cls"].iter().chain(params).copied().collect::<Vec<_>>().join(", ")),
                };
                self.line(1, deco);
                self.line(1, &format!("def {dunder}({params}):"));
                self.line(2, &method_log(slot, name));
                self.line(2, &action_line(action));
            }
            Method::Callable(r) => {
                // §7.2: an object with `__call__`, no descriptor: called without self.
                let r = match r {
                    ExitFnResult::Return(v) => value(v),
                    ExitFnResult::Raise(c) => c.name().to_string(),
                };
                self.line(1, &format!("{dunder} = Fn('{name}', '{dunder}', {r})"));
            }
        }
    }

    /// A decorated function at the start of main (SEMANTICS-ADDENDUM §14).
    fn deco(&mut self, i: usize, d: &DecoFn, program: &Program) {
        let (depth, this, params) = if d.method {
            self.line(1, &format!("class F{i}:"));
            (2, "self.", "self, n, k")
        } else {
            (1, "", "n, k")
        };
        match d.deco {
            Deco::Cm(c) => self.line(depth, &format!("@c{c}({})", call_args(&d.args))),
            Deco::Mgr(m) => self.line(depth, &format!("@M{m}()")),
        }
        let is_async = d.is_async(program);
        let (kw, aw) = if is_async { ("async def", "await ") } else { ("def", "") };
        self.line(depth, &format!("{kw} f{i}({params}):"));
        self.line(depth + 1, "show('n', n)");
        self.line(depth + 1, "show('k', k)");
        self.line(depth + 1, "if n:");
        self.line(depth + 2, &format!("{aw}{this}f{i}(n - 1, k=k + 1)"));
        for s in &d.body {
            self.stmt(s, depth + 1);
        }
    }

    fn cm(&mut self, i: usize, cm: &CmGen) {
        if cm.is_async {
            self.line(0, "@asynccontextmanager");
            self.line(0, &format!("async def c{i}({}):", params(&cm.params)));
        } else {
            self.line(0, "@contextmanager");
            self.line(0, &format!("def c{i}({}):", params(&cm.params)));
        }
        for p in &cm.params {
            self.line(1, &format!("show('{0}', {0})", p.name));
        }
        for s in &cm.pre {
            self.stmt(s, 1);
        }
        let Some(y) = &cm.yields else {
            self.line(1, "return");
            self.line(1, "yield  # unreachable: it makes c() a generator function");
            return;
        };
        if cm.handler.is_none() && cm.finally.is_none() {
            self.line(1, &format!("yield {}", value(y)));
        } else {
            self.line(1, "try:");
            self.line(2, &format!("yield {}", value(y)));
            if let Some(h) = &cm.handler {
                let (head, first) = self.except(h);
                self.clause(1, &head, &first, &h.body);
            }
            if let Some((label, body)) = &cm.finally {
                self.clause(1, "finally:", &format!("fin('{label}')"), body);
            }
        }
        for s in &cm.post {
            self.stmt(s, 1);
        }
    }

    /// The head of an `except` clause and the call that logs it, in the dialect.
    fn except(&self, h: &Handler) -> (String, String) {
        if !self.dialect.handlers_bind {
            return (except_head(h), format!("handler('{}')", h.label));
        }
        let name = if h.bind { format!("e_{}", h.label) } else { format!("_e_{}", h.label) };
        let class = h.class.map_or("BaseException", |c| c.name());
        (format!("except {class} as {name}:"), format!("handler('{}', {name})", h.label))
    }

    /// An `except` or `finally` clause: its head, the call that logs it, its statements.
    fn clause(&mut self, depth: usize, head: &str, first: &str, body: &[Stmt]) {
        self.line(depth, head);
        self.line(depth + 1, first);
        for s in body {
            self.stmt(s, depth + 1);
        }
    }

    fn block(&mut self, body: &[Stmt], depth: usize) {
        if body.is_empty() {
            self.line(depth, "pass");
        }
        for s in body {
            self.stmt(s, depth);
        }
    }

    fn stmt(&mut self, s: &Stmt, depth: usize) {
        match s {
            Stmt::Log(l) => self.line(depth, &format!("log('{l}')")),
            Stmt::Show(n) => self.line(depth, &format!("show('{n}', {n})")),
            Stmt::Direct { label, var, is_async, call } => {
                let (aw, a) = if *is_async { ("await ", "a") } else { ("", "") };
                let call = match call {
                    DirectCall::Enter => format!("__{a}enter__()"),
                    DirectCall::Exit(Triple::Nones) => format!("__{a}exit__(None, None, None)"),
                    DirectCall::Exit(Triple::Exc(e)) => {
                        format!("__{a}exit__({}, {}, None)", e.class.name(), new_exc(e))
                    }
                    DirectCall::Exit(Triple::TypeOnly(c)) => format!("__{a}exit__({}, None, None)", c.name()),
                };
                self.line(depth, &format!("show('{label}', {aw}{var}.{call})"));
            }
            Stmt::Yield(label) => self.line(depth, &format!("yield '{label}'")),
            Stmt::YieldValue(Yielded::Value(v)) => self.line(depth, &format!("yield {}", value(v))),
            Stmt::YieldValue(Yielded::Exc(e)) => self.line(depth, &format!("yield {}", new_exc(e))),
            Stmt::AwaitCall { gen, target: None } => self.line(depth, &format!("await g{gen}()")),
            Stmt::Call { fun, n, target } => {
                let t = target.as_ref().map_or(String::new(), |t| format!("{t} = "));
                let aw = if self.deco_async.get(*fun).copied().unwrap_or(false) { "await " } else { "" };
                let callee = if self.deco_method.get(*fun).copied().unwrap_or(false) {
                    format!("F{fun}().f{fun}")
                } else {
                    format!("f{fun}")
                };
                self.line(depth, &format!("{t}{aw}{callee}({n}, k=0)"));
            }
            Stmt::AwaitCall { gen, target: Some(t) } => self.line(depth, &format!("{t} = await g{gen}()")),
            Stmt::YieldFrom { gen, target: None } => self.line(depth, &format!("yield from g{gen}()")),
            Stmt::YieldFrom { gen, target: Some(t) } => self.line(depth, &format!("{t} = yield from g{gen}()")),
            Stmt::Drive { label, gen, how, then } => {
                let (base, exc) = match how {
                    Drive::Exhaust => ("all", None),
                    Drive::Close(_) => ("close", None),
                    Drive::Throw(_, t) => ("throw", Some(t)),
                    Drive::Send(_) => ("send", None),
                    Drive::AwThrow(_, op, t) => (aw_throw_base(*op), Some(t)),
                };
                let (then, exc) = match then {
                    None => ("", exc),
                    Some(Then::Close) => ("+close", exc),
                    Some(Then::Throw(t)) => ("+throw", Some(t)),
                    Some(Then::Again) => ("+again", exc),
                    Some(Then::Next) => ("+next", exc),
                };
                let exc = exc.map_or("None".to_string(), thrown);
                let k = how.k();
                let call = if self.gen_async.get(*gen).copied().unwrap_or(false) { "await adrive" } else { "drive" };
                self.line(depth, &format!("{call}('{label}', g{gen}(), '{base}{then}', {k}, {exc})"));
            }
            Stmt::Keep { name, label } => self.line(depth, &format!("{name} = e_{label}")),
            Stmt::RaiseVar(name) => self.line(depth, &format!("raise {name}")),
            Stmt::SetAttr { label, attr, value } => {
                let value = match value {
                    AttrValue::None => "None".to_string(),
                    AttrValue::Caught(other) => format!("e_{other}"),
                    AttrValue::Bool(b) => if *b { "True" } else { "False" }.to_string(),
                };
                self.line(depth, &format!("e_{label}.{} = {value}", attr.name()));
            }
            Stmt::Await(label) => self.line(depth, &format!("await Aw('{label}', True, None)")),
            Stmt::With { is_async, parens, items, body } => {
                self.line(depth, &with_head(*is_async, *parens, items));
                self.block(body, depth + 1);
            }
            Stmt::Try(t) | Stmt::TryStar(t) => {
                let star = matches!(s, Stmt::TryStar(_));
                for (step, body) in visit::child_blocks(s) {
                    match step {
                        Step::Try => {
                            self.line(depth, "try:");
                            self.block(body, depth + 1);
                        }
                        Step::Except(j) => {
                            let (head, first) = self.except(&t.handlers[j]);
                            let head = if star { head.replacen("except", "except*", 1) } else { head };
                            self.clause(depth, &head, &first, body);
                        }
                        Step::Else if body.is_empty() => {}
                        Step::Else => {
                            self.line(depth, "else:");
                            self.block(body, depth + 1);
                        }
                        Step::Finally => {
                            let label = t.finally.as_ref().map_or("", |(label, _)| label);
                            self.clause(depth, "finally:", &format!("fin('{label}')"), body);
                        }
                        _ => unreachable!("{step:?} is no block of a try"),
                    }
                }
            }
            Stmt::Raise(r) => self.line(depth, &raise(r)),
            Stmt::RaiseGroup(g) => self.line(depth, &format!("raise {}", group(g))),
            Stmt::RaiseCaught(label) => self.line(depth, &format!("raise e_{label}")),
            Stmt::BareRaise => self.line(depth, "raise"),
            Stmt::Return { label, value: v } => self.line(depth, &format!("return ret('{label}', {})", value(v))),
            Stmt::Loop { times, body } => {
                self.line(depth, &format!("for _ in range({times}):"));
                self.block(body, depth + 1);
            }
            Stmt::Break => self.line(depth, "break"),
            Stmt::Continue => self.line(depth, "continue"),
            Stmt::Assign { name, expr } => self.line(depth, &format!("{name} = {}", item_expr(expr))),
            Stmt::Stack { stack, op } => self.line(depth, &stack_op(stack, op)),
            Stmt::Step { label, var, k, is_async } => {
                let call = if *is_async { "await astep" } else { "step" };
                self.line(depth, &format!("{call}('{label}', {var}, {k})"));
            }
        }
    }
}

/// The statement a protocol method ends with: what its action says.
pub(crate) fn action_line(action: &Action) -> String {
    match action {
        Action::ReturnSelf => "return self".to_string(),
        Action::Return(v) => format!("return {}", value(v)),
        Action::Raise(r) => raise(r),
        Action::RaiseArg => "raise v".to_string(),
        Action::BareRaise => "raise".to_string(),
        Action::SuppressIf(classes) => {
            let names: Vec<&str> = classes.iter().map(|c| c.name()).collect();
            let comma = if names.len() == 1 { "," } else { "" };
            format!("return suppress_if(t, ({}{comma}))", names.join(", "))
        }
    }
}

/// The parameters of a protocol method: the ones it is called with, or with `wrong_arity` ones
/// that make the call fail before the body runs.
pub(crate) fn method_params(slot: Slot, wrong_arity: bool) -> &'static [&'static str] {
    match (slot.is_exit(), wrong_arity) {
        (false, false) | (true, true) => &["self"],
        (false, true) => &["self", "x"],
        (true, false) => &["self", "t", "v", "tb"],
    }
}

/// The first line of a defined protocol method of class `name`, which logs the call:
/// `on_enter('M0')`, `on_aexit('M0', t, v, tb)`, ...
pub(crate) fn method_log(slot: Slot, name: &str) -> String {
    let func = match slot {
        Slot::Enter => "on_enter",
        Slot::Exit => "on_exit",
        Slot::AEnter => "on_aenter",
        Slot::AExit => "on_aexit",
    };
    if slot.is_exit() {
        format!("{func}('{name}', t, v, tb)")
    } else {
        format!("{func}('{name}')")
    }
}

/// `with M0() as x, 1 as (a, b):`, `with (M0() as x, M1()):`, or `async with ...:`.
fn with_head(is_async: bool, parens: Parens, items: &[WithItem]) -> String {
    let mut text = String::from(if is_async { "async with " } else { "with " });
    if parens != Parens::No {
        text.push('(');
    }
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        text.push_str(&item_expr(&it.expr));
        if it.target != Target::None {
            write!(text, " as {}", target(&it.target)).expect("writing to a String");
        }
    }
    match parens {
        Parens::No => {}
        Parens::Yes => text.push(')'),
        Parens::TrailingComma => text.push_str(",)"),
    }
    text.push(':');
    text
}

/// What follows `as`.
pub(crate) fn target(t: &Target) -> String {
    match t {
        Target::None => String::new(),
        Target::Name(n) => n.clone(),
        Target::Paren(n) => format!("({n})"),
        Target::Store(st) => store(st),
        Target::Star(n) => format!("*{n}"),
        Target::Bad(b) => bad(*b).to_string(),
        Target::BadComma(b) => format!("{},", bad(*b)),
        Target::BadParen(b) => format!("({})", bad(*b)),
        Target::Tuple(elems) => {
            let inner: Vec<String> = elems
                .iter()
                .map(|e| match e {
                    Elem::Name(n) => n.clone(),
                    Elem::Star(n) => format!("*{n}"),
                    Elem::Store(st) => store(st),
                    Elem::Bad(b) => bad(*b).to_string(),
                })
                .collect();
            let comma = if elems.len() == 1 { "," } else { "" };
            format!("({}{comma})", inner.join(", "))
        }
    }
}

/// A target CPython refuses: `None`, `True`, `f()`, `1`.
fn bad(b: Bad) -> &'static str {
    match b {
        Bad::None => "None",
        Bad::True => "True",
        Bad::Call => "f()",
        Bad::Literal => "1",
    }
}

/// `Sink('o1', None).a`, `None['k']`.
fn store(st: &Store) -> String {
    let obj = match &st.obj {
        StoreObj::Sink { label, raises } => format!("Sink('{label}', {})", raises.map_or("None", |c| c.name())),
        StoreObj::None => "None".to_string(),
        StoreObj::Loaded { label, raises, key } => {
            format!("Sink('{label}', {})['{key}']", raises.map_or("None", |c| c.name()))
        }
    };
    match &st.key {
        Key::Attr(k) => format!("{obj}.{k}"),
        Key::Item(k) => format!("{obj}['{k}']"),
    }
}

/// `except:`, `except E1:` or `except E1 as e_h1:`.
fn except_head(h: &Handler) -> String {
    match (h.class, h.bind) {
        (None, _) => "except:".to_string(),
        (Some(c), false) => format!("except {}:", c.name()),
        (Some(c), true) => format!("except {} as e_{}:", c.name(), h.label),
    }
}

/// The parameters of a `@contextmanager` function: `self, func, *, kwds` (SEMANTICS-ADDENDUM §16).
fn params(params: &[Param]) -> String {
    let mut out: Vec<&str> = Vec::with_capacity(params.len() + 1);
    for (i, p) in params.iter().enumerate() {
        if p.kw_only && (i == 0 || !params[i - 1].kw_only) {
            out.push("*");
        }
        out.push(&p.name);
    }
    out.join(", ")
}

/// The arguments of a call of a `@contextmanager` function: `11, kwds=22`.
fn call_args(args: &[Arg]) -> String {
    let out: Vec<String> = args
        .iter()
        .map(|a| match &a.keyword {
            Some(k) => format!("{k}={}", a.value),
            None => a.value.to_string(),
        })
        .collect();
    out.join(", ")
}

/// A context expression, as a `with` item or an argument of a stack operation.
fn item_expr(expr: &ItemExpr) -> String {
    match expr {
        ItemExpr::New(m) => format!("M{m}()"),
        ItemExpr::Literal(v) => value(v),
        ItemExpr::Cm(c, args) => format!("c{c}({})", call_args(args)),
        ItemExpr::Suppress(classes) => {
            let names: Vec<&str> = classes.iter().map(|c| c.name()).collect();
            format!("suppress({})", names.join(", "))
        }
        ItemExpr::Nullcontext(v) => format!("nullcontext({})", value(v)),
        ItemExpr::Closing { label, raises } => {
            let r = raises.map_or("None", |c| c.name());
            format!("closing(Closer('{label}', {r}))")
        }
        ItemExpr::Var(n) => n.clone(),
        ItemExpr::ExitStack { is_async: false } => "ExitStack()".to_string(),
        ItemExpr::ExitStack { is_async: true } => "AsyncExitStack()".to_string(),
        ItemExpr::PopAll(n) => format!("{n}.pop_all()"),
        ItemExpr::ClosingGen { gen, is_async: false } => format!("closing(g{gen}())"),
        ItemExpr::Nested(members) => {
            let members: Vec<String> = members.iter().map(item_expr).collect();
            format!("Nested({})", members.join(", "))
        }
        ItemExpr::ClosingGen { gen, is_async: true } => format!("aclosing(g{gen}())"),
    }
}

fn stack_op(stack: &str, op: &StackOp) -> String {
    match op {
        StackOp::Enter { expr, is_async, target } => {
            let bind = target.as_ref().map_or(String::new(), |t| format!("{t} = "));
            let call = if *is_async { "await {}.enter_async_context" } else { "{}.enter_context" };
            format!("{bind}{}({})", call.replace("{}", stack), item_expr(expr))
        }
        StackOp::Push { expr, is_async } => {
            let method = if *is_async { "push_async_exit" } else { "push" };
            format!("{stack}.{method}({})", item_expr(expr))
        }
        StackOp::PushFn(f) => {
            let method = if f.is_async { "push_async_exit" } else { "push" };
            format!("{stack}.{method}({})", exit_fn(f))
        }
        StackOp::Callback { label, raises, is_async } => {
            let (method, func) = if *is_async { ("push_async_callback", "acb") } else { ("callback", "cb") };
            let r = raises.map_or("None", |c| c.name());
            format!("{stack}.{method}({func}, '{label}', {r})")
        }
        StackOp::Close { is_async: false } => format!("{stack}.close()"),
        StackOp::Close { is_async: true } => format!("await {stack}.aclose()"),
    }
}

fn exit_fn(f: &ExitFn) -> String {
    let r = match &f.result {
        ExitFnResult::Return(v) => value(v),
        ExitFnResult::Raise(c) => c.name().to_string(),
    };
    if f.is_async {
        let s = if f.suspend { "True" } else { "False" };
        format!("AXf('{}', {s}, {r})", f.label)
    } else {
        format!("Xf('{}', {r})", f.label)
    }
}

fn new_exc(e: &NewExc) -> String {
    format!("{}('{}')", e.class.name(), e.label)
}

/// `ExceptionGroup('g1', [E1('r2'), ExceptionGroup('g3', [...])])`.
fn group(g: &Group) -> String {
    let members: Vec<String> = g
        .members
        .iter()
        .map(|m| match m {
            Member::Exc(e) => new_exc(e),
            Member::Group(inner) => group(inner),
        })
        .collect();
    let class = if g.base { "BaseExceptionGroup" } else { "ExceptionGroup" };
    format!("{class}('{}', [{}])", g.label, members.join(", "))
}

/// The exception argument of `drive`: what `throw()` is given, a tuple spread into its
/// arguments.
fn thrown(t: &Thrown) -> String {
    match t {
        Thrown::New(e) => new_exc(e),
        Thrown::Caught(label) => format!("e_{label}"),
        Thrown::Class(c) => c.name().to_string(),
        Thrown::Triple(e) => format!("({}, {}, None)", e.class.name(), new_exc(e)),
        Thrown::Bad(BadThrow::NotAnException) => BAD_NOT_AN_EXCEPTION.to_string(),
        Thrown::Bad(BadThrow::SeparateValue) => BAD_SEPARATE_VALUE.to_string(),
        Thrown::Bad(BadThrow::BadTraceback) => BAD_TRACEBACK.to_string(),
    }
}

/// The arguments `throw()` refuses, as `drive` is given them ([`BadThrow`]).
pub(crate) const BAD_NOT_AN_EXCEPTION: &str = "'abc'";
/// See [`BAD_NOT_AN_EXCEPTION`].
pub(crate) const BAD_SEPARATE_VALUE: &str = "(E1('abc'), 'foo')";
/// See [`BAD_NOT_AN_EXCEPTION`].
pub(crate) const BAD_TRACEBACK: &str = "(E1, 'foo', 23)";

fn raise(r: &RaiseNew) -> String {
    match &r.cause {
        None => format!("raise {}", new_exc(&r.exc)),
        Some(Cause::None) => format!("raise {} from None", new_exc(&r.exc)),
        Some(Cause::New(c)) => format!("raise {} from {}", new_exc(&r.exc), new_exc(c)),
        Some(Cause::Caught(label)) => format!("raise {} from e_{label}", new_exc(&r.exc)),
    }
}

fn value(v: &Value) -> String {
    match v {
        Value::None => "None".to_string(),
        Value::Bool(true) => "True".to_string(),
        Value::Bool(false) => "False".to_string(),
        Value::Int(n) => n.to_string(),
        Value::Str(s) => py_repr_str(s),
        Value::Tuple(items) => {
            let inner: Vec<String> = items.iter().map(value).collect();
            let comma = if items.len() == 1 { "," } else { "" };
            format!("({}{comma})", inner.join(", "))
        }
        Value::BoolObj { label, result } => {
            let r = match result {
                BoolResult::Bool(true) => "True".to_string(),
                BoolResult::Bool(false) => "False".to_string(),
                BoolResult::NonBool(n) => n.to_string(),
                BoolResult::Raise(c) => c.name().to_string(),
            };
            format!("Bool('{label}', {r})")
        }
        Value::LenObj { label, len } => format!("Len('{label}', {len})"),
        Value::Awaitable { label, suspend, then, coroutine } => {
            let s = if *suspend { "True" } else { "False" };
            let t = match &**then {
                AwaitThen::Return(v) => value(v),
                AwaitThen::Raise(c) => c.name().to_string(),
            };
            let func = if *coroutine { "co" } else { "Aw" };
            format!("{func}('{label}', {s}, {t})")
        }
        Value::BadAwaitable => "BadAw()".to_string(),
    }
}

/// `adrive`'s base for a throw into an awaitable by hand: `'anext.throw'`, ...
fn aw_throw_base(op: AwOp) -> &'static str {
    match op {
        AwOp::Next => "anext.throw",
        AwOp::Close => "aclose.throw",
        AwOp::Throw => "athrow.throw",
    }
}
