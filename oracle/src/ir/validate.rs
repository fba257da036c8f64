//! `validate`: everything the renderer and the model assume of a program, checked, with every
//! problem reported.

use std::fmt;

use super::{
    has_yield, Action, AwaitThen, Cause, Drive, ExitFnResult, ItemExpr, Method, NewExc, Program, RaiseNew, Slot,
    StackOp, Stmt, Target, Value, WithItem,
};

/// A problem `validate` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where: a path such as `main[2].with.body[0]` or `M1.__exit__`.
    pub at: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

/// Checks everything the renderer and the model assume; reports every problem, never stops early.
pub fn validate(program: &Program) -> Vec<Diagnostic> {
    let mut v = Validator { diags: Vec::new(), program };
    for (i, m) in program.managers.iter().enumerate() {
        let at = format!("M{i}");
        if let Some(e) = &m.init_raises {
            v.new_exc(&format!("{at}.__init__"), e);
        }
        for (slot, method) in m.methods() {
            v.method(&format!("{at}.{}", slot.name()), method, slot);
        }
    }
    for (i, cm) in program.cms.iter().enumerate() {
        let at = format!("c{i}");
        // A generator body: no `drive`, and yields only where checked below.
        let plain = Scope { in_gen: true, is_async: cm.is_async, async_gen: cm.is_async, ..Scope::default() };
        let yields_in = |b: &[Stmt]| b.iter().any(has_yield);
        if yields_in(&cm.pre)
            || cm.handler.as_ref().is_some_and(|h| yields_in(&h.body))
            || cm.finally.as_ref().is_some_and(|(_, b)| yields_in(b))
        {
            v.err(&at, "only post may yield again");
        }
        v.block(&format!("{at}.pre"), &cm.pre, &plain);
        if let Some(y) = &cm.yields {
            v.value(&at, y);
        } else if cm.handler.is_some() || cm.finally.is_some() || !cm.post.is_empty() {
            v.err(&at, "a generator that never yields has nothing after its pre statements");
        }
        if let Some(h) = &cm.handler {
            v.label(&at, &h.label);
            if h.class.is_none() && h.bind {
                v.err(&at, "a bare except cannot bind a name");
            }
            let mut inner = plain.clone();
            if h.bind {
                inner.vars.push(format!("e_{}", h.label));
            }
            v.block(&format!("{at}.except"), &h.body, &inner);
        }
        if let Some((label, body)) = &cm.finally {
            v.label(&at, label);
            v.block(&format!("{at}.finally"), body, &plain);
        }
        // One more yield is allowed at the top of post: the generator that does not stop.
        v.block(&format!("{at}.post"), &cm.post, &plain);
        let nested = cm.post.iter().filter(|s| !matches!(s, Stmt::Yield(_))).any(has_yield);
        if nested || cm.post.iter().filter(|s| matches!(s, Stmt::Yield(_))).count() > 1 {
            v.err(&at, "post holds at most one yield, at its top level");
        }
    }
    for (i, g) in program.gens.iter().enumerate() {
        let scope = Scope { in_gen: true, is_async: g.is_async, async_gen: g.is_async, ..Scope::default() };
        v.block(&format!("g{i}"), &g.body, &scope);
        if !g.body.iter().any(has_yield) {
            v.err(&format!("g{i}"), "a generator function needs a yield (without one it is a plain function)");
        }
    }
    v.block("main", &program.main, &Scope { is_async: program.is_async, ..Scope::default() });
    v.diags
}

#[derive(Clone, Default)]
struct Scope {
    in_loop: bool,
    /// In a generator function (plain, async or contextlib's), where `drive` and `step` are not.
    in_gen: bool,
    /// Where `await` and `async with` are allowed.
    is_async: bool,
    /// In an async generator, where `return` takes no value.
    async_gen: bool,
    /// Names bound here: `with` targets, handler names, assignments.
    vars: Vec<String>,
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
    /// Binds `name` to something that is not an exit stack (shadowing any stack of that name).
    fn bind(&mut self, name: &str) {
        self.vars.push(name.to_string());
        self.stacks.retain(|(n, _)| n != name);
    }

    fn bind_stack(&mut self, name: &str, is_async: bool) {
        self.bind(name);
        self.stacks.push((name.to_string(), is_async));
    }

    fn stack(&self, name: &str) -> Option<bool> {
        self.stacks.iter().rev().find(|(n, _)| n == name).map(|(_, a)| *a)
    }

    /// The scope of a nested block.
    fn nested(&self) -> Scope {
        Scope { step: None, ..self.clone() }
    }
}

struct Validator<'a> {
    diags: Vec<Diagnostic>,
    program: &'a Program,
}

impl Validator<'_> {
    fn err(&mut self, at: &str, message: impl Into<String>) {
        self.diags.push(Diagnostic { at: at.to_string(), message: message.into() });
    }

    /// A name about to be bound: well formed, and not one the enclosing blocks pinned.
    fn binding(&mut self, at: &str, name: &str, scope: &Scope) {
        self.name(at, name);
        if scope.pinned.iter().any(|p| p == name) {
            self.err(at, format!("`{name}` holds an exit stack or a stepped generator here and cannot be rebound"));
        }
    }

    fn label(&mut self, at: &str, label: &str) {
        let ok = !label.is_empty() && label.len() <= 16 && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            self.err(at, format!("label {label:?} must be 1-16 ASCII letters, digits or '_'"));
        }
    }

    fn name(&mut self, at: &str, name: &str) {
        let numbered =
            |p: char| name.strip_prefix(p).is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
        let ok = name.starts_with(|c: char| c.is_ascii_lowercase())
            && name.len() <= 16
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !RESERVED.contains(&name)
            && !name.starts_with("e_")
            && !numbered('g')
            && !numbered('c');
        if !ok {
            self.err(
                at,
                format!("variable name {name:?} must be a short lowercase identifier not used by the prelude"),
            );
        }
    }

    fn new_exc(&mut self, at: &str, e: &NewExc) {
        self.label(at, &e.label);
    }

    fn raise(&mut self, at: &str, r: &RaiseNew) {
        self.new_exc(at, &r.exc);
        if let Some(Cause::New(c)) = &r.cause {
            self.new_exc(at, c);
        }
    }

    fn value(&mut self, at: &str, value: &Value) {
        match value {
            Value::None | Value::Bool(_) | Value::Int(_) => {}
            Value::Str(s) => {
                if !s.chars().all(|c| c.is_ascii_graphic() || c == ' ') || s.len() > 32 {
                    self.err(at, format!("string {s:?} must be at most 32 printable ASCII characters"));
                }
            }
            Value::Tuple(items) => {
                if items.len() > 8 {
                    self.err(at, "tuples hold at most 8 items");
                }
                for it in items {
                    self.value(at, it);
                }
            }
            Value::BoolObj { label, .. } => self.label(at, label),
            Value::Awaitable { label, then, .. } => {
                self.label(at, label);
                if let AwaitThen::Return(v) = &**then {
                    self.value(at, v);
                }
            }
            Value::BadAwaitable => {}
            Value::LenObj { label, .. } => self.label(at, label),
        }
    }

    fn method(&mut self, at: &str, m: &Method, slot: Slot) {
        let action = match m {
            Method::Defined(action) => action,
            Method::AsyncDef { suspend, action } => {
                if !slot.is_async() {
                    self.err(at, "only __aenter__ and __aexit__ can be async def");
                }
                if let Some(l) = suspend {
                    self.label(at, l);
                }
                action
            }
            Method::Missing | Method::InstanceOnly | Method::NoneAttr | Method::WrongArity => return,
        };
        match action {
            Action::ReturnSelf | Action::BareRaise | Action::RaiseArg => {}
            Action::Return(value) => self.value(at, value),
            Action::Raise(r) => self.raise(at, r),
            Action::SuppressIf(classes) => {
                if !slot.is_exit() {
                    self.err(at, "suppress_if only makes sense in __exit__");
                }
                if classes.is_empty() {
                    self.err(at, "suppress_if needs at least one class");
                }
            }
        }
        if !slot.is_exit() && matches!(action, Action::RaiseArg) {
            self.err(at, "`raise v` needs the exception argument of __exit__");
        }
    }

    /// A block; assignments bind their names for the statements after them.
    fn block(&mut self, at: &str, body: &[Stmt], scope: &Scope) {
        let mut scope = scope.clone();
        for (i, s) in body.iter().enumerate() {
            self.stmt(&format!("{at}[{i}]"), s, &mut scope);
        }
    }

    /// A context expression, of a `with` item or a stack operation.
    fn item_expr(&mut self, at: &str, expr: &ItemExpr, scope: &Scope) {
        match expr {
            ItemExpr::New(m) => {
                if *m >= self.program.managers.len() {
                    self.err(at, format!("manager M{m} is not defined"));
                }
            }
            ItemExpr::Cm(c) => {
                if *c >= self.program.cms.len() {
                    self.err(at, format!("context manager function c{c} is not defined"));
                }
            }
            ItemExpr::Suppress(_) | ItemExpr::ExitStack { .. } => {}
            ItemExpr::Nullcontext(v) => self.value(at, v),
            ItemExpr::Closing { label, .. } => self.label(at, label),
            ItemExpr::Literal(v) => self.value(at, v),
            ItemExpr::Var(n) => {
                if !scope.vars.contains(n) {
                    self.err(at, format!("`{n}` is not bound here"));
                }
            }
            ItemExpr::PopAll(n) => {
                if scope.stack(n).is_none() {
                    self.err(at, format!("`{n}` holds no exit stack here"));
                }
            }
            ItemExpr::ClosingGen { gen, is_async } => match self.program.gens.get(*gen) {
                None => self.err(at, format!("generator function g{gen} is not defined")),
                Some(g) if g.is_async != *is_async => {
                    self.err(at, "closing takes a generator, aclosing an async generator")
                }
                Some(_) => {}
            },
        }
    }

    /// What an expression binds to a name: an exit stack (and of which kind) or something else.
    fn binds_stack(expr: &ItemExpr, scope: &Scope) -> Option<bool> {
        match expr {
            ItemExpr::ExitStack { is_async } => Some(*is_async),
            ItemExpr::PopAll(n) | ItemExpr::Var(n) => scope.stack(n),
            _ => None,
        }
    }

    fn stack_op(&mut self, at: &str, stack: &str, op: &StackOp, scope: &mut Scope) {
        let Some(async_stack) = scope.stack(stack) else {
            self.err(at, format!("`{stack}` holds no exit stack here"));
            return;
        };
        let needs_async_stack = |v: &mut Self, what: &str| {
            if !async_stack {
                v.err(at, format!("{what} is a method of AsyncExitStack only"));
            }
        };
        match op {
            StackOp::Enter { expr, is_async, target } => {
                self.item_expr(at, expr, scope);
                if *is_async {
                    needs_async_stack(self, "enter_async_context");
                    if !scope.is_async {
                        self.err(at, "await outside an async function");
                    }
                }
                if let Some(n) = target {
                    self.binding(at, n, scope);
                    scope.bind(n);
                }
            }
            StackOp::Push { expr, is_async } => {
                self.item_expr(at, expr, scope);
                if *is_async {
                    needs_async_stack(self, "push_async_exit");
                }
            }
            StackOp::PushFn(f) => {
                self.label(at, &f.label);
                if f.is_async {
                    needs_async_stack(self, "push_async_exit");
                } else if f.suspend {
                    self.err(at, "only an async exit function can suspend");
                }
                if let ExitFnResult::Return(v) = &f.result {
                    let ok = matches!(
                        v,
                        Value::None | Value::Bool(_) | Value::Int(_) | Value::BoolObj { .. } | Value::LenObj { .. }
                    );
                    if !ok {
                        self.err(at, "an exit function returns None, a bool, an int, Bool(...) or Len(...)");
                    }
                    self.value(at, v);
                }
            }
            StackOp::Callback { label, is_async, .. } => {
                self.label(at, label);
                if *is_async {
                    needs_async_stack(self, "push_async_callback");
                }
            }
            StackOp::Close { is_async } => {
                if *is_async != async_stack {
                    self.err(at, "ExitStack has close(), AsyncExitStack aclose()");
                }
                if *is_async && !scope.is_async {
                    self.err(at, "await outside an async function");
                }
            }
        }
    }

    fn stmt(&mut self, at: &str, s: &Stmt, scope: &mut Scope) {
        let nested = scope.nested();
        match s {
            Stmt::Log(l) => self.label(at, l),
            Stmt::Show(var) => {
                if !scope.vars.contains(var) {
                    self.err(at, format!("`{var}` is not bound here"));
                }
            }
            Stmt::Yield(label) => {
                self.label(at, label);
                if !scope.in_gen {
                    self.err(at, "yield outside a generator function");
                }
            }
            Stmt::Drive { label, gen, how } => {
                self.label(at, label);
                if scope.in_gen {
                    self.err(at, "drive inside a generator function");
                }
                match self.program.gens.get(*gen) {
                    None => self.err(at, format!("generator function g{gen} is not defined")),
                    Some(g) if g.is_async && !scope.is_async => {
                        self.err(at, "an async generator is driven by `await adrive(...)`, in async code")
                    }
                    Some(_) => {}
                }
                match how {
                    Drive::Exhaust => {}
                    Drive::Close(k) | Drive::Throw(k, _) => {
                        if *k == 0 || *k > 5 {
                            self.err(at, "close/throw after 1 to 5 items");
                        }
                    }
                }
                if let Drive::Throw(_, e) = how {
                    self.new_exc(at, e);
                }
            }
            Stmt::Await(label) => {
                self.label(at, label);
                if !scope.is_async {
                    self.err(at, "await outside an async function");
                }
            }
            Stmt::With { is_async, items, body } => {
                if *is_async && !scope.is_async {
                    self.err(at, "async with outside an async function");
                }
                if items.is_empty() {
                    self.err(at, "a with statement needs at least one item");
                }
                let mut inner = nested;
                for (j, it) in items.iter().enumerate() {
                    let at = format!("{at}.item[{j}]");
                    // `with (1, 2):` is two items on 3.9+, not a tuple manager.
                    if matches!(it.expr, ItemExpr::Literal(Value::Tuple(_))) && it.target == Target::None {
                        self.err(&at, "a tuple literal with no target cannot be a with item");
                    }
                    self.item_expr(&at, &it.expr, &inner);
                    let stack = Self::binds_stack(&it.expr, &inner);
                    match &it.target {
                        Target::None => {}
                        Target::Name(n) => {
                            self.binding(&at, n, &inner);
                            match stack {
                                Some(a) => {
                                    inner.bind_stack(n, a);
                                    inner.pinned.push(n.clone());
                                }
                                None => inner.bind(n),
                            }
                        }
                        Target::Tuple(ns) => {
                            if ns.is_empty() {
                                self.err(&at, "a tuple target needs at least one name");
                            }
                            for n in ns {
                                self.binding(&at, n, &inner);
                                inner.bind(n);
                            }
                        }
                    }
                }
                if let Some(WithItem { expr: ItemExpr::ClosingGen { is_async, .. }, target: Target::Name(n) }) =
                    items.last()
                {
                    inner.step = Some((n.clone(), *is_async));
                    inner.pinned.push(n.clone());
                }
                self.block(&format!("{at}.with"), body, &inner);
            }
            Stmt::Raise(r) => self.raise(at, r),
            Stmt::RaiseCaught(label) => {
                let var = format!("e_{label}");
                if !scope.vars.contains(&var) {
                    self.err(at, format!("`raise {var}` outside the handler that binds it"));
                }
            }
            Stmt::BareRaise => {}
            Stmt::Return { label, value } => {
                self.label(at, label);
                self.value(at, value);
                if scope.async_gen {
                    self.err(at, "an async generator cannot return a value");
                }
            }
            Stmt::Loop { times, body } => {
                if *times > 5 {
                    self.err(at, "loops run at most 5 times");
                }
                let inner = Scope { in_loop: true, ..nested };
                self.block(&format!("{at}.loop"), body, &inner);
            }
            Stmt::Break | Stmt::Continue => {
                if !scope.in_loop {
                    self.err(at, "break/continue outside a loop");
                }
            }
            Stmt::Try(t) => {
                if t.handlers.is_empty() && t.finally.is_none() {
                    self.err(at, "a try needs an except or a finally clause");
                }
                if t.handlers.is_empty() && !t.orelse.is_empty() {
                    self.err(at, "else without except");
                }
                self.block(&format!("{at}.try"), &t.body, &nested);
                for (j, h) in t.handlers.iter().enumerate() {
                    let hat = format!("{at}.except[{j}]");
                    self.label(&hat, &h.label);
                    if h.class.is_none() && j + 1 != t.handlers.len() {
                        self.err(&hat, "a bare except must be last");
                    }
                    if h.class.is_none() && h.bind {
                        self.err(&hat, "a bare except cannot bind a name");
                    }
                    let mut inner = nested.clone();
                    if h.bind {
                        inner.bind(&format!("e_{}", h.label));
                    }
                    self.block(&hat, &h.body, &inner);
                }
                self.block(&format!("{at}.else"), &t.orelse, &nested);
                if let Some((label, body)) = &t.finally {
                    self.label(&format!("{at}.finally"), label);
                    self.block(&format!("{at}.finally"), body, &nested);
                }
            }
            Stmt::Assign { name, expr } => {
                self.binding(at, name, scope);
                if matches!(expr, ItemExpr::ClosingGen { .. }) {
                    self.err(at, "a closing(g0()) is only stepped inside its own with");
                }
                self.item_expr(at, expr, scope);
                match Self::binds_stack(expr, scope) {
                    Some(a) => {
                        scope.bind_stack(name, a);
                        scope.pinned.push(name.clone());
                    }
                    None => scope.bind(name),
                }
            }
            Stmt::Stack { stack, op } => self.stack_op(at, stack, op, scope),
            Stmt::Step { label, var, k, is_async } => {
                self.label(at, label);
                if *k == 0 || *k > 5 {
                    self.err(at, "a step advances 1 to 5 items");
                }
                if scope.in_gen {
                    self.err(at, "step inside a generator function");
                }
                if scope.step.as_ref() != Some(&(var.clone(), *is_async)) {
                    let which = if *is_async { "async with aclosing(g<n>()) as" } else { "with closing(g<n>()) as" };
                    self.err(at, format!("a step is a top-level statement of the body of `{which} {var}:`"));
                }
                if *is_async && !scope.is_async {
                    self.err(at, "await outside an async function");
                }
            }
        }
    }
}

/// Names the prelude or the renderer use, which targets must not shadow, and Python's keywords
/// (soft ones included), which no name can be.
const RESERVED: &[&str] = &[
    "and",
    "as",
    "assert",
    "async",
    "await",
    "break",
    "case",
    "class",
    "continue",
    "def",
    "del",
    "elif",
    "else",
    "except",
    "finally",
    "for",
    "from",
    "global",
    "if",
    "import",
    "in",
    "is",
    "lambda",
    "match",
    "nonlocal",
    "not",
    "or",
    "pass",
    "raise",
    "return",
    "try",
    "type",
    "while",
    "with",
    "yield",
    "log",
    "drive",
    "adrive",
    "step",
    "astep",
    "co",
    "cb",
    "acb",
    "closing",
    "aclosing",
    "suppress",
    "nullcontext",
    "contextmanager",
    "asynccontextmanager",
    "show",
    "ret",
    "handler",
    "fin",
    "inst",
    "sys",
    "main",
    "on_init",
    "on_enter",
    "on_exit",
    "suppress_if",
    "self",
    "t",
    "v",
    "tb",
    "print",
    "range",
    "len",
    "type",
    "str",
    "int",
];
