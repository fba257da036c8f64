//! The program representation every stage shares: generators build it, the model interprets it,
//! the renderer prints it, the reducer shrinks it and the corpus stores it.
//!
//! A [`Program`] is a set of manager classes and the body of `def main():`. Everything it can say
//! is deterministic: exceptions are named by labels, objects by class names.

use std::fmt;

/// A whole generated program.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Program {
    /// Manager classes, rendered as `class M0: ...`, `class M1: ...` in this order.
    pub managers: Vec<Manager>,
    /// Generator functions `def g0(): ...`, whose bodies may `yield`; `drive` runs them.
    pub gens: Vec<Vec<Stmt>>,
    /// `@contextmanager` generator functions `def c0(): ...`.
    pub cms: Vec<CmGen>,
    /// The body of `def main():`.
    pub main: Vec<Stmt>,
    /// `async def main():`, driven by hand with `send(None)`.
    pub is_async: bool,
}

/// A context-manager class. Its Python name is `M<index>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Manager {
    /// `__init__` raises this exception after logging.
    pub init_raises: Option<NewExc>,
    /// `__enter__`.
    pub enter: Method,
    /// `__exit__`.
    pub exit: Method,
    /// `__aenter__`.
    pub aenter: Method,
    /// `__aexit__`.
    pub aexit: Method,
}

/// How a protocol method is provided.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// Not defined at all.
    Missing,
    /// Set only on the instance in `__init__` (the protocol must ignore it).
    InstanceOnly,
    /// `__enter__ = None` in the class body.
    NoneAttr,
    /// `def __exit__(self):` — wrong number of parameters; the body is never reached.
    WrongArity,
    /// A normal `def` that logs its call, then does `action`. For `__aenter__`/`__aexit__`
    /// what it returns is what `async with` tries to await.
    Defined(Action),
    /// `async def` (only `__aenter__`/`__aexit__`): logs when awaited, optionally suspends
    /// once on `await Aw('s1', True, None)`, then does `action`.
    AsyncDef {
        /// The label of the awaitable it suspends on, if it does.
        suspend: Option<String>,
        /// What it does then.
        action: Action,
    },
}

/// What a defined method does after logging its call.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// `return self`.
    ReturnSelf,
    /// `return <value>`.
    Return(Value),
    /// `raise E1('r1')` (optionally `from ...`).
    Raise(RaiseNew),
    /// `raise v`: re-raise the exception argument (in `__enter__`, or with `v` None, a TypeError).
    RaiseArg,
    /// A bare `raise`.
    BareRaise,
    /// `return suppress_if(t, (E1, KeyError))`: suppress only these classes (exit only).
    SuppressIf(Vec<ExcClass>),
}

/// A value a method returns or a `return` statement gives back.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// A small integer.
    Int(i64),
    /// A short printable-ASCII string.
    Str(String),
    /// A tuple.
    Tuple(Vec<Value>),
    /// `Bool('b1', r)`: an object whose `__bool__` logs, then returns or raises per `r`.
    BoolObj {
        /// Shown in the `__bool__` event and the message of what it raises.
        label: String,
        /// What `__bool__` does.
        result: BoolResult,
    },
    /// `Aw('a1', suspend, then)`: a hand-made awaitable whose `__await__` logs, optionally
    /// suspends once (yielding its label to the driver), then returns or raises.
    Awaitable {
        /// Its label: logged by `__await__`, yielded on suspension, message of what it raises.
        label: String,
        /// Whether it suspends once before finishing.
        suspend: bool,
        /// What awaiting it gives.
        then: Box<AwaitThen>,
    },
    /// `BadAw()`: its `__await__` returns an int, not an iterator.
    BadAwaitable,
    /// `Len('n1', n)`: an object without `__bool__` whose `__len__` logs and returns `n`.
    LenObj {
        /// Shown in the `__len__` event.
        label: String,
        /// What `__len__` returns; negative is a ValueError.
        len: i64,
    },
}

/// What awaiting an [`Value::Awaitable`] gives.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AwaitThen {
    /// The await evaluates to this value.
    Return(Value),
    /// The await raises `class(label)`.
    Raise(ExcClass),
}

/// What `Bool.__bool__` does.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BoolResult {
    /// Returns `True` or `False`.
    Bool(bool),
    /// Returns an int, which is not a bool (a TypeError).
    NonBool(i64),
    /// Raises `class(label)`.
    Raise(ExcClass),
}

/// A new exception instance, `E1('r1')`; the label is its message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NewExc {
    /// Its class.
    pub class: ExcClass,
    /// Its single argument, unique in the program.
    pub label: String,
}

/// `raise <exc> [from <cause>]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RaiseNew {
    /// The exception raised.
    pub exc: NewExc,
    /// The `from` clause.
    pub cause: Option<Cause>,
}

/// The `from` clause of a raise.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Cause {
    /// `from None`.
    None,
    /// `from E2('c1')`.
    New(NewExc),
}

/// The exception classes programs use: a small user hierarchy and builtins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExcClass {
    /// `class E1(Exception)`.
    E1,
    /// `class E2(E1)`.
    E2,
    /// `class E3(Exception)`.
    E3,
    /// `class B1(BaseException)`.
    B1,
    /// `Exception`.
    Exception,
    /// `BaseException`.
    BaseException,
    /// `ValueError`.
    ValueError,
    /// `KeyError` (whose `str()` is the repr of its argument).
    KeyError,
    /// `LookupError`, the base of `KeyError`.
    LookupError,
    /// `TypeError`.
    TypeError,
    /// `RuntimeError`.
    RuntimeError,
    /// `AttributeError`.
    AttributeError,
    /// `StopIteration`.
    StopIteration,
    /// `KeyboardInterrupt` (BaseException only).
    KeyboardInterrupt,
    /// `SystemExit` (BaseException only).
    SystemExit,
    /// `GeneratorExit` (BaseException only).
    GeneratorExit,
}

impl ExcClass {
    /// Every class, in a fixed order.
    pub const ALL: &'static [ExcClass] = &[
        ExcClass::E1,
        ExcClass::E2,
        ExcClass::E3,
        ExcClass::B1,
        ExcClass::Exception,
        ExcClass::BaseException,
        ExcClass::ValueError,
        ExcClass::KeyError,
        ExcClass::LookupError,
        ExcClass::TypeError,
        ExcClass::RuntimeError,
        ExcClass::AttributeError,
        ExcClass::StopIteration,
        ExcClass::KeyboardInterrupt,
        ExcClass::SystemExit,
        ExcClass::GeneratorExit,
    ];

    /// The Python name.
    pub fn name(self) -> &'static str {
        match self {
            ExcClass::E1 => "E1",
            ExcClass::E2 => "E2",
            ExcClass::E3 => "E3",
            ExcClass::B1 => "B1",
            ExcClass::Exception => "Exception",
            ExcClass::BaseException => "BaseException",
            ExcClass::ValueError => "ValueError",
            ExcClass::KeyError => "KeyError",
            ExcClass::LookupError => "LookupError",
            ExcClass::TypeError => "TypeError",
            ExcClass::RuntimeError => "RuntimeError",
            ExcClass::AttributeError => "AttributeError",
            ExcClass::StopIteration => "StopIteration",
            ExcClass::KeyboardInterrupt => "KeyboardInterrupt",
            ExcClass::SystemExit => "SystemExit",
            ExcClass::GeneratorExit => "GeneratorExit",
        }
    }

    /// Looks a class up by its Python name.
    pub fn from_name(name: &str) -> Option<ExcClass> {
        ExcClass::ALL.iter().copied().find(|c| c.name() == name)
    }
}

/// A statement of `main`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Stmt {
    /// `log('L1')`.
    Log(String),
    /// `show('x', x)`: log the value of a variable bound by an enclosing `with` or `except`.
    Show(String),
    /// `with M0() as x, 1 as (a, b): body`, or `async with` (only in `async def main`).
    With {
        /// `async with`.
        is_async: bool,
        /// The items, entered left to right.
        items: Vec<WithItem>,
        /// The body.
        body: Vec<Stmt>,
    },
    /// `await Aw('s1', True, None)`: suspend once (only in `async def main`).
    Await(String),
    /// `yield 'y1'` (only in generator functions).
    Yield(String),
    /// `drive('d1', g0(), 'close', 2, None)`: run generator function 0 as `how` says (not in
    /// generator functions).
    Drive {
        /// The label of this drive in the trace.
        label: String,
        /// Which generator function.
        gen: usize,
        /// How far, and how it ends.
        how: Drive,
    },
    /// `raise E1('r1') [from ...]`.
    Raise(RaiseNew),
    /// `raise e_h1`: re-raise, by name, the exception caught by an enclosing handler.
    RaiseCaught(String),
    /// A bare `raise`.
    BareRaise,
    /// `return ret('v1', <value>)`.
    Return {
        /// Logged when the value is evaluated, before any `__exit__`.
        label: String,
        /// The value returned.
        value: Value,
    },
    /// `for _ in range(n): body`.
    Loop {
        /// How many iterations, at most 5.
        times: u8,
        /// The body.
        body: Vec<Stmt>,
    },
    /// `break` (inside a loop).
    Break,
    /// `continue` (inside a loop).
    Continue,
    /// `try: ... except ...: ... else: ... finally: ...`.
    Try(Box<Try>),
}

/// A `@contextmanager` generator function, in the shape contextlib's rules are about:
///
/// ```text
/// @contextmanager
/// def c0():
///     <pre>
///     try:
///         yield <value>
///     except E1 as e_h1:     # handler, optional
///         handler('h1'); ...
///     finally:               # optional
///         fin('f2'); ...
///     <post>                 # may hold one more top-level yield ("generator didn't stop")
/// ```
///
/// With `yields: None` the body is `<pre>` then `return` and an unreachable `yield`: a generator
/// that finishes without yielding ("generator didn't yield").
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CmGen {
    /// Before the `try`; no `yield`.
    pub pre: Vec<Stmt>,
    /// What the first `yield` gives `__enter__`; `None` for a generator that never yields.
    pub yields: Option<Value>,
    /// The `except` clause around the yield; its body has no `yield`.
    pub handler: Option<Handler>,
    /// The `finally` clause around the yield; no `yield`.
    pub finally: Option<(String, Vec<Stmt>)>,
    /// After the `try`; at most one `yield`, at its top level.
    pub post: Vec<Stmt>,
}

/// How `drive` runs a generator.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Drive {
    /// `next()` until it is exhausted.
    Exhaust,
    /// `next()` k times (k >= 1), then `close()`.
    Close(u8),
    /// `next()` k times (k >= 1), then `throw(exc)`.
    Throw(u8, NewExc),
}

/// A `try` statement; `handlers` and `finally` are not both empty.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Try {
    /// The `try:` block.
    pub body: Vec<Stmt>,
    /// `except` clauses, in order.
    pub handlers: Vec<Handler>,
    /// The `else:` block (only with handlers).
    pub orelse: Vec<Stmt>,
    /// The `finally:` block, labelled.
    pub finally: Option<(String, Vec<Stmt>)>,
}

/// `except E1 as e_h1: handler('h1'); body`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Handler {
    /// The label; the bound name, if any, is `e_<label>`.
    pub label: String,
    /// `None` for a bare `except:`.
    pub class: Option<ExcClass>,
    /// Whether the exception is bound with `as e_<label>`.
    pub bind: bool,
    /// The handler body.
    pub body: Vec<Stmt>,
}

/// One item of a `with` statement.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WithItem {
    /// The context expression.
    pub expr: ItemExpr,
    /// The `as` target.
    pub target: Target,
}

/// The context expression of a `with` item.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ItemExpr {
    /// `M3()`: a new instance of manager 3.
    New(usize),
    /// A literal that is no manager at all, such as `1` or `None`.
    Literal(Value),
    /// `c0()`: a new `@contextmanager` manager from generator function `c<n>`.
    Cm(usize),
    /// `suppress(E1, KeyError)`.
    Suppress(Vec<ExcClass>),
    /// `nullcontext(3)`.
    Nullcontext(Value),
    /// `closing(Closer('k1', None))`: a thing whose `close()` logs, then raises `raises(label)`
    /// if given.
    Closing {
        /// The closer's label.
        label: String,
        /// What `close()` raises.
        raises: Option<ExcClass>,
    },
}

/// The `as` part of a `with` item.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// No `as`.
    None,
    /// `as x`.
    Name(String),
    /// `as (a, b)`: unpacking, which can fail.
    Tuple(Vec<String>),
}

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
        v.method(&format!("{at}.__enter__"), &m.enter, false, false);
        v.method(&format!("{at}.__exit__"), &m.exit, true, false);
        v.method(&format!("{at}.__aenter__"), &m.aenter, false, true);
        v.method(&format!("{at}.__aexit__"), &m.aexit, true, true);
    }
    for (i, cm) in program.cms.iter().enumerate() {
        let at = format!("c{i}");
        // A generator body: no `drive`, and yields only where checked below.
        let plain = Scope { in_gen: true, ..Scope::default() };
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
    for (i, body) in program.gens.iter().enumerate() {
        v.block(&format!("g{i}"), body, &Scope { in_gen: true, ..Scope::default() });
        if !body.iter().any(has_yield) {
            v.err(&format!("g{i}"), "a generator function needs a yield (without one it is a plain function)");
        }
    }
    v.block("main", &program.main, &Scope { is_async: program.is_async, ..Scope::default() });
    v.diags
}

#[derive(Clone, Default)]
struct Scope {
    in_loop: bool,
    in_gen: bool,
    is_async: bool,
    vars: Vec<String>,
}

struct Validator<'a> {
    diags: Vec<Diagnostic>,
    program: &'a Program,
}

impl Validator<'_> {
    fn err(&mut self, at: &str, message: impl Into<String>) {
        self.diags.push(Diagnostic { at: at.to_string(), message: message.into() });
    }

    fn label(&mut self, at: &str, label: &str) {
        let ok = !label.is_empty() && label.len() <= 16 && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            self.err(at, format!("label {label:?} must be 1-16 ASCII letters, digits or '_'"));
        }
    }

    fn name(&mut self, at: &str, name: &str) {
        let ok = name.starts_with(|c: char| c.is_ascii_lowercase())
            && name.len() <= 16
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !RESERVED.contains(&name);
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

    fn method(&mut self, at: &str, m: &Method, is_exit: bool, is_async: bool) {
        let action = match m {
            Method::Defined(action) => action,
            Method::AsyncDef { suspend, action } => {
                if !is_async {
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
                if !is_exit {
                    self.err(at, "suppress_if only makes sense in __exit__");
                }
                if classes.is_empty() {
                    self.err(at, "suppress_if needs at least one class");
                }
            }
        }
        if !is_exit && matches!(action, Action::RaiseArg) {
            self.err(at, "`raise v` needs the exception argument of __exit__");
        }
    }

    fn block(&mut self, at: &str, body: &[Stmt], scope: &Scope) {
        for (i, s) in body.iter().enumerate() {
            self.stmt(&format!("{at}[{i}]"), s, scope);
        }
    }

    fn stmt(&mut self, at: &str, s: &Stmt, scope: &Scope) {
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
                if *gen >= self.program.gens.len() {
                    self.err(at, format!("generator function g{gen} is not defined"));
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
                    self.err(at, "await outside async def main");
                }
            }
            Stmt::With { is_async, items, body } => {
                if *is_async && !scope.is_async {
                    self.err(at, "async with outside async def main");
                }
                if items.is_empty() {
                    self.err(at, "a with statement needs at least one item");
                }
                let mut inner = scope.clone();
                for (j, it) in items.iter().enumerate() {
                    let at = format!("{at}.item[{j}]");
                    match &it.expr {
                        ItemExpr::New(m) => {
                            if *m >= self.program.managers.len() {
                                self.err(&at, format!("manager M{m} is not defined"));
                            }
                        }
                        ItemExpr::Cm(c) => {
                            if *c >= self.program.cms.len() {
                                self.err(&at, format!("context manager function c{c} is not defined"));
                            }
                        }
                        ItemExpr::Suppress(_) => {}
                        ItemExpr::Nullcontext(v) => self.value(&at, v),
                        ItemExpr::Closing { label, .. } => self.label(&at, label),
                        ItemExpr::Literal(v) => {
                            // `with (1, 2):` is two items on 3.9+, not a tuple manager.
                            if matches!(v, Value::Tuple(_)) && it.target == Target::None {
                                self.err(&at, "a tuple literal with no target cannot be a with item");
                            }
                            self.value(&at, v)
                        }
                    }
                    match &it.target {
                        Target::None => {}
                        Target::Name(n) => {
                            self.name(&at, n);
                            inner.vars.push(n.clone());
                        }
                        Target::Tuple(ns) => {
                            if ns.is_empty() {
                                self.err(&at, "a tuple target needs at least one name");
                            }
                            for n in ns {
                                self.name(&at, n);
                                inner.vars.push(n.clone());
                            }
                        }
                    }
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
            }
            Stmt::Loop { times, body } => {
                if *times > 5 {
                    self.err(at, "loops run at most 5 times");
                }
                let inner = Scope { in_loop: true, ..scope.clone() };
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
                self.block(&format!("{at}.try"), &t.body, scope);
                for (j, h) in t.handlers.iter().enumerate() {
                    let hat = format!("{at}.except[{j}]");
                    self.label(&hat, &h.label);
                    if h.class.is_none() && j + 1 != t.handlers.len() {
                        self.err(&hat, "a bare except must be last");
                    }
                    if h.class.is_none() && h.bind {
                        self.err(&hat, "a bare except cannot bind a name");
                    }
                    let mut inner = scope.clone();
                    if h.bind {
                        inner.vars.push(format!("e_{}", h.label));
                    }
                    self.block(&hat, &h.body, &inner);
                }
                self.block(&format!("{at}.else"), &t.orelse, scope);
                if let Some((label, body)) = &t.finally {
                    self.label(&format!("{at}.finally"), label);
                    self.block(&format!("{at}.finally"), body, scope);
                }
            }
        }
    }
}

/// Whether a `yield` appears anywhere in `s`, reachable or not: that is what makes a function a
/// generator function.
pub fn has_yield(s: &Stmt) -> bool {
    match s {
        Stmt::Yield(_) => true,
        Stmt::With { body, .. } | Stmt::Loop { body, .. } => body.iter().any(has_yield),
        Stmt::Try(t) => {
            t.body.iter().any(has_yield)
                || t.handlers.iter().any(|h| h.body.iter().any(has_yield))
                || t.orelse.iter().any(has_yield)
                || t.finally.as_ref().is_some_and(|(_, b)| b.iter().any(has_yield))
        }
        _ => false,
    }
}

/// Names the prelude or the renderer use, which targets must not shadow.
const RESERVED: &[&str] = &[
    "log",
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
