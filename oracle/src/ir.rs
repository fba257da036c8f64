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
    /// Generator functions `def g0(): ...` (or `async def g0(): ...`), whose bodies `yield`;
    /// `drive` / `adrive` runs them, `closing` / `aclosing` steps them.
    pub gens: Vec<GenFn>,
    /// `@contextmanager` (or `@asynccontextmanager`) generator functions `def c0(): ...`.
    pub cms: Vec<CmGen>,
    /// The body of `def main():`.
    pub main: Vec<Stmt>,
    /// `async def main():`, driven by hand with `send(None)`.
    pub is_async: bool,
}

/// A generator function `def g0():`, or an async generator function `async def g0():`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GenFn {
    /// `async def`: driven with `asend` / `athrow` / `aclose`; its body may `await` and use
    /// `async with`, and `return` only without a value.
    pub is_async: bool,
    /// The body; it holds a `yield` somewhere.
    pub body: Vec<Stmt>,
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
    /// suspends once (yielding its label to the driver), then returns or raises. With
    /// `coroutine`, `co('a1', suspend, then)`: a coroutine object doing the same (so a
    /// StopIteration it raises meets the coroutine's PEP 479 boundary, not a generator's).
    Awaitable {
        /// Its label: logged when awaiting starts, yielded on suspension, message of what it raises.
        label: String,
        /// Whether it suspends once before finishing.
        suspend: bool,
        /// What awaiting it gives.
        then: Box<AwaitThen>,
        /// A coroutine object (`co(...)`) rather than an `Aw` instance.
        coroutine: bool,
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
    /// `StopAsyncIteration`.
    StopAsyncIteration,
    /// `class S1(StopIteration)`.
    S1,
    /// `class S2(StopAsyncIteration)`.
    S2,
    /// `NameError`: never raised by a program, only by the interpreter (a name an old version
    /// lacks, such as `aclosing` before 3.10).
    NameError,
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
        ExcClass::StopAsyncIteration,
        ExcClass::S1,
        ExcClass::S2,
        ExcClass::NameError,
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
            ExcClass::StopAsyncIteration => "StopAsyncIteration",
            ExcClass::S1 => "S1",
            ExcClass::S2 => "S2",
            ExcClass::NameError => "NameError",
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
    /// `m1 = c0()`: bind a manager object to a name, so that it can be entered again
    /// (`with m1:`), which a `@contextmanager` object refuses.
    Assign {
        /// The variable.
        name: String,
        /// What is bound.
        expr: ItemExpr,
    },
    /// `st.enter_context(M0())` and the other `ExitStack` / `AsyncExitStack` operations, on a
    /// stack bound by an enclosing `with ExitStack() as st:` (or `async with AsyncExitStack()`).
    Stack {
        /// The variable holding the stack.
        stack: String,
        /// What is done to it.
        op: StackOp,
    },
    /// `step('d1', a, 2)` / `await astep('d1', a, 2)`: advance the generator bound by
    /// `with closing(g0()) as a:` (`async with aclosing(g0()) as a:`) by up to k items, leaving
    /// it suspended for `closing` to close. Only at the top level of that `with`'s body.
    Step {
        /// The label of this step in the trace.
        label: String,
        /// The variable holding the generator.
        var: String,
        /// How many items, 1 to 5.
        k: u8,
        /// `await astep` on an async generator.
        is_async: bool,
    },
}

/// An operation on an `ExitStack` (or `AsyncExitStack`) held in a variable.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StackOp {
    /// `st.enter_context(M0())`, or `x = await st.enter_async_context(M0())` with `is_async`
    /// and a target: enter the manager and push its exit.
    Enter {
        /// The manager.
        expr: ItemExpr,
        /// `enter_async_context`.
        is_async: bool,
        /// `x = ...`: bind what entering returned.
        target: Option<String>,
    },
    /// `st.push(M0())` / `st.push_async_exit(M0())`: push the type's exit method bound to the
    /// object without entering it, or the object itself as a callable when its type has none.
    Push {
        /// The object pushed.
        expr: ItemExpr,
        /// `push_async_exit`.
        is_async: bool,
    },
    /// `st.push(Xf('x1', True))` / `st.push_async_exit(AXf('x1', False, True))`: push a
    /// callable taking the exception details, which logs the call and returns or raises.
    PushFn(ExitFn),
    /// `st.callback(cb, 'k1', None)` / `st.push_async_callback(acb, 'k1', E1)`: push a
    /// callback that logs, then raises `raises('k1')` if given; it never suppresses.
    Callback {
        /// Its label.
        label: String,
        /// What it raises.
        raises: Option<ExcClass>,
        /// `push_async_callback`.
        is_async: bool,
    },
    /// `st.close()` / `await st.aclose()`: run the callbacks now.
    Close {
        /// `aclose`.
        is_async: bool,
    },
}

/// A callable pushed as an exit function: `Xf('x1', r)`, or `AXf('x1', suspend, r)` whose
/// `async def __call__` may suspend once first.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExitFn {
    /// Its label, in the trace.
    pub label: String,
    /// `AXf`, pushed with `push_async_exit`.
    pub is_async: bool,
    /// Whether the async one suspends once before returning.
    pub suspend: bool,
    /// What a call does after logging.
    pub result: ExitFnResult,
}

/// What an [`ExitFn`] does once called.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExitFnResult {
    /// Returns this value; truthy suppresses. `None`, `Bool`, `Int`, `BoolObj` or `LenObj`.
    Return(Value),
    /// Raises `class(label)`.
    Raise(ExcClass),
}

/// A `@contextmanager` (or, with `is_async`, `@asynccontextmanager async def`) generator
/// function, in the shape contextlib's rules are about:
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
    /// `@asynccontextmanager async def c0():`; its blocks may `await` and use `async with`.
    pub is_async: bool,
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
    /// `m1`: a variable bound earlier (by `m1 = c0()`, or a `with` target), entered again.
    Var(String),
    /// `ExitStack()`, or `AsyncExitStack()` with `is_async`.
    ExitStack {
        /// `AsyncExitStack`.
        is_async: bool,
    },
    /// `st.pop_all()`: a new stack of the same type holding the callbacks of `st`, which is
    /// left empty.
    PopAll(String),
    /// `closing(g0())`, or `aclosing(g0())` of an async generator with `is_async`: the
    /// generator is closed (`close()` / `await aclose()`) on exit; `step` advances it.
    ClosingGen {
        /// Which generator function.
        gen: usize,
        /// `aclosing` of an async generator.
        is_async: bool,
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
