//! The program representation every stage shares: generators build it, the model interprets it,
//! the renderer prints it, the reducer shrinks it and the corpus stores it.
//!
//! A [`Program`] is a set of manager classes and the body of `def main():`. Everything it can say
//! is deterministic: exceptions are named by labels, objects by class names.
//!
//! Beside the types:
//! - [`visit`]: the walkers every stage that walks the IR uses, with typed paths ([`visit::Path`]).
//! - [`Scope`]: what holds where a statement stands (names bound, loop, handler, function kind,
//!   CPython's count of nested blocks); validation, the reducer's repair, the walkers and the
//!   generator share it.
//! - [`validate`]: every problem of a program, as [`Diagnostic`]s with a typed [`Loc`].
//! - [`compile`]: the constructs some CPython version refuses to compile, and how deep the
//!   functions nest.

pub mod compile;
mod diagnostic;
mod scope;
mod validate;
pub mod visit;

pub use diagnostic::{Diagnostic, DiagnosticKind, Loc, TextPos};
pub use scope::{Clauses, Func, Scope, MAX_BLOCKS, REFUSED_BLOCKS};
pub use validate::{allowed_in_decorated, validate};

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
    /// Functions decorated with a manager, `@c0()` or `@M0()` above `def f0(n, k):`, defined at
    /// the start of `main` in this order (SEMANTICS-ADDENDUM §14).
    pub decos: Vec<DecoFn>,
}

impl Program {
    /// Which manager classes list `ContextDecorator` among their bases: those a decorated function
    /// uses (`@M0()`) and that do not inherit it from a base class already (SEMANTICS-ADDENDUM §14).
    pub fn context_decorators(&self) -> Vec<bool> {
        self.context_decorator_bases().0
    }

    /// Whether manager class `M<m>` derives from `ContextDecorator`, listing it or through a base.
    pub fn derives_context_decorator(&self, m: usize) -> bool {
        let (lists, inherits) = self.context_decorator_bases();
        lists.get(m).is_some_and(|l| *l || inherits[m])
    }

    /// Per manager class: whether it lists `ContextDecorator`, and whether it inherits it.
    fn context_decorator_bases(&self) -> (Vec<bool>, Vec<bool>) {
        let n = self.managers.len();
        let mut used = vec![false; n];
        for d in &self.decos {
            if let Deco::Mgr(m) = d.deco {
                if m < n {
                    used[m] = true;
                }
            }
        }
        let (mut lists, mut inherits) = (vec![false; n], vec![false; n]);
        for (i, m) in self.managers.iter().enumerate() {
            inherits[i] = m.base.is_some_and(|b| b < i && (lists[b] || inherits[b]));
            lists[i] = used[i] && !inherits[i];
        }
        (lists, inherits)
    }

    /// The method in `slot` of manager class `M<m>` or of the first of its bases that has one
    /// (`type(mgr).__mro__`, SEMANTICS-ADDENDUM §7.3), with the class that defines it; `None`
    /// where none does. A method set only on the instance is not on the class.
    pub fn resolve(&self, m: usize, slot: Slot) -> Option<(usize, &Method)> {
        let mut at = Some(m);
        while let Some(c) = at {
            let def = &self.managers[c];
            match def.method(slot) {
                Method::Missing | Method::InstanceOnly => at = def.base,
                method => return Some((c, method)),
            }
        }
        None
    }
}

/// A function decorated with a manager, defined at the start of `main` (SEMANTICS-ADDENDUM §14):
///
/// ```text
/// @c0()                        # or @M0(), M0 a subclass of ContextDecorator
/// def f0(n, k):                # `async def` under an @asynccontextmanager
///     show('n', n)
///     show('k', k)
///     if n:
///         f0(n - 1, k=k + 1)   # `await f0(...)`
///     <body>
/// ```
///
/// With `method`, the function is a method of a class `F0` defined there (`def f0(self, n, k):`,
/// recursing with `self.f0(...)`) and called on a new instance: `F0().f0(2, k=0)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DecoFn {
    /// What decorates it.
    pub deco: Deco,
    /// A method of a class `F<n>` rather than a function.
    pub method: bool,
    /// What a call runs after the recursive call; neither `yield`, `drive`, exit stacks, stepped
    /// generators, nor calls of decorated functions.
    pub body: Vec<Stmt>,
    /// The arguments of the `@contextmanager` factory, `@c0(11, kwds=22)` (SEMANTICS-ADDENDUM §16);
    /// none for `@M0()`.
    pub args: Vec<Arg>,
}

impl DecoFn {
    /// `async def`: decorated by an `@asynccontextmanager` object.
    pub fn is_async(&self, program: &Program) -> bool {
        match self.deco {
            Deco::Cm(c) => program.cms.get(c).is_some_and(|cm| cm.is_async),
            Deco::Mgr(_) => false,
        }
    }
}

/// The decorator of a [`DecoFn`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Deco {
    /// `@c0()`: a `@contextmanager` (or `@asynccontextmanager`) object, recreated for every call.
    Cm(usize),
    /// `@M0()`: an instance of manager class `M0`, which derives from `ContextDecorator` (itself
    /// or a base class), entered again on every call.
    Mgr(usize),
}

/// A generator function `def g0():`, an async generator function `async def g0():`, or (an
/// `async def` without a `yield`) a coroutine function, which `drive` runs by hand with `send`,
/// `throw` and `close` (SEMANTICS-ADDENDUM §11.5).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GenFn {
    /// `async def`: an async generator driven with `asend` / `athrow` / `aclose` (its body may
    /// `await` and use `async with`, and `return` only without a value), or without a `yield` a
    /// coroutine function.
    pub is_async: bool,
    /// The body; a generator function's holds a `yield` somewhere.
    pub body: Vec<Stmt>,
}

impl GenFn {
    /// An `async def` without a `yield`: a coroutine function.
    pub fn is_coroutine(&self) -> bool {
        self.is_async && !self.body.iter().any(has_yield)
    }

    /// An async generator function.
    pub fn is_async_gen(&self) -> bool {
        self.is_async && !self.is_coroutine()
    }
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
    /// `class M1(M0):`: the manager class it derives from, defined before it. A method it does
    /// not define (missing, or set only on the instance) is looked up on the base (§7.3).
    pub base: Option<usize>,
}

impl Manager {
    /// A manager class with none of the four protocol methods and an `__init__` that only logs.
    pub fn empty() -> Manager {
        Manager {
            init_raises: None,
            enter: Method::Missing,
            exit: Method::Missing,
            aenter: Method::Missing,
            aexit: Method::Missing,
            base: None,
        }
    }

    /// The method in `slot`.
    pub fn method(&self, slot: Slot) -> &Method {
        match slot {
            Slot::Enter => &self.enter,
            Slot::Exit => &self.exit,
            Slot::AEnter => &self.aenter,
            Slot::AExit => &self.aexit,
        }
    }

    /// The method in `slot`, to change it.
    pub fn method_mut(&mut self, slot: Slot) -> &mut Method {
        match slot {
            Slot::Enter => &mut self.enter,
            Slot::Exit => &mut self.exit,
            Slot::AEnter => &mut self.aenter,
            Slot::AExit => &mut self.aexit,
        }
    }

    /// The four methods with their slots, in the order of [`Slot::ALL`].
    pub fn methods(&self) -> [(Slot, &Method); 4] {
        [(Slot::Enter, &self.enter), (Slot::Exit, &self.exit), (Slot::AEnter, &self.aenter), (Slot::AExit, &self.aexit)]
    }

    /// The four methods with their slots, in the order of [`Slot::ALL`], to change them.
    pub fn methods_mut(&mut self) -> [(Slot, &mut Method); 4] {
        [
            (Slot::Enter, &mut self.enter),
            (Slot::Exit, &mut self.exit),
            (Slot::AEnter, &mut self.aenter),
            (Slot::AExit, &mut self.aexit),
        ]
    }
}

/// One of the four protocol methods: which one decides how it is called (to enter or to exit,
/// by `with` or by `async with`) and what it may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Slot {
    /// `__enter__`.
    Enter,
    /// `__exit__`.
    Exit,
    /// `__aenter__`.
    AEnter,
    /// `__aexit__`.
    AExit,
}

impl Slot {
    /// The four, in the order a class lists them.
    pub const ALL: [Slot; 4] = [Slot::Enter, Slot::Exit, Slot::AEnter, Slot::AExit];

    /// The Python name: `__enter__`, `__exit__`, `__aenter__`, `__aexit__`.
    pub fn name(self) -> &'static str {
        match self {
            Slot::Enter => "__enter__",
            Slot::Exit => "__exit__",
            Slot::AEnter => "__aenter__",
            Slot::AExit => "__aexit__",
        }
    }

    /// The slot of a Python name.
    pub fn from_name(name: &str) -> Option<Slot> {
        Slot::ALL.into_iter().find(|s| s.name() == name)
    }

    /// `__aenter__` or `__aexit__`: looked up by `async with`, and what it returns is awaited.
    pub fn is_async(self) -> bool {
        matches!(self, Slot::AEnter | Slot::AExit)
    }

    /// `__exit__` or `__aexit__`: called with the exception details, and may suppress.
    pub fn is_exit(self) -> bool {
        matches!(self, Slot::Exit | Slot::AExit)
    }
}

/// What the getter of a protocol method given as a property or a custom descriptor does after
/// logging its call (§7.1).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Getter {
    /// Returns a function (a nested `def`, an `async def` for `__aenter__`/`__aexit__`), which
    /// logs its call and does the action; `with` calls it without self.
    Function(Action),
    /// Returns `None`, which the call then fails on.
    None,
    /// Raises (an AttributeError too, which propagates as it is).
    Raise(RaiseNew),
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
    /// `@property`, or with `custom` the prelude's `@getter` (a descriptor class whose `__get__`
    /// calls the function): the lookup calls the getter, which logs, then does what `get` says
    /// (§7.1).
    Property {
        /// The prelude's own descriptor class rather than `property`.
        custom: bool,
        /// What the getter does.
        get: Getter,
    },
    /// `@staticmethod def __exit__(t, v, tb):`: a plain `def` without self (§7.2); its action is
    /// not `return self`.
    Static(Action),
    /// `@classmethod def __exit__(cls, t, v, tb):`: bound to the class (§7.2); its action is
    /// not `return self`.
    ClassMethod(Action),
    /// `__exit__ = Fn('M0', '__exit__', r)`: a callable object that is no descriptor, so `with`
    /// calls it without self (§7.2); it logs its call as the method would, then returns `r` or
    /// raises it.
    Callable(ExitFnResult),
}

impl Method {
    /// Whether the protocol finds it on the type through a descriptor other than a plain
    /// function (property, custom descriptor, static or class method) or finds an object that
    /// is no descriptor: what exit stacks (which look methods up on the class) do not model.
    pub fn is_descriptor_kind(&self) -> bool {
        matches!(self, Method::Property { .. } | Method::Static(_) | Method::ClassMethod(_) | Method::Callable(_))
    }
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
    /// `from e_h1`: the exception an enclosing handler caught (SEMANTICS-ADDENDUM §12.1).
    Caught(String),
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
    /// lacks, such as `aclosing` before 3.10; a name never bound, read at module level or in a
    /// class body).
    NameError,
    /// `ExceptionGroup` (3.11+): a subclass of both `BaseExceptionGroup` and `Exception`. Only
    /// caught, raised by [`Stmt::RaiseGroup`] (SEMANTICS-ADDENDUM §13).
    ExceptionGroup,
    /// `BaseExceptionGroup` (3.11+). Only caught, raised by [`Stmt::RaiseGroup`].
    BaseExceptionGroup,
    /// `UnboundLocalError`, a `NameError`: raised by the interpreter only, reading a local never
    /// bound (§8.1).
    UnboundLocalError,
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
        ExcClass::ExceptionGroup,
        ExcClass::BaseExceptionGroup,
        ExcClass::UnboundLocalError,
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
            ExcClass::ExceptionGroup => "ExceptionGroup",
            ExcClass::BaseExceptionGroup => "BaseExceptionGroup",
            ExcClass::UnboundLocalError => "UnboundLocalError",
        }
    }

    /// `ExceptionGroup` or `BaseExceptionGroup`, which a program only catches: it raises groups
    /// with [`Stmt::RaiseGroup`].
    pub fn is_group(self) -> bool {
        matches!(self, ExcClass::ExceptionGroup | ExcClass::BaseExceptionGroup)
    }

    /// A class the program defines (`E1`, `S2`), not a builtin.
    pub fn user_defined(self) -> bool {
        matches!(self, ExcClass::E1 | ExcClass::E2 | ExcClass::E3 | ExcClass::B1 | ExcClass::S1 | ExcClass::S2)
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
    /// `with M0() as x, 1 as (a, b): body`, or `async with` (in an async function; elsewhere a
    /// compile error, §8.7).
    With {
        /// `async with`.
        is_async: bool,
        /// Whether the items are written in parentheses (§8.6).
        parens: Parens,
        /// The items, entered left to right.
        items: Vec<WithItem>,
        /// The body.
        body: Vec<Stmt>,
    },
    /// `await Aw('s1', True, None)`: suspend once (only in `async def main`).
    Await(String),
    /// `yield 'y1'` (only in generator functions).
    Yield(String),
    /// `yield (1, 2)`, `yield 3`, `yield StopIteration('y1')`: a value other than a label, which
    /// comes back from `next()`, `asend()` and `athrow()` as it is (only in generator functions;
    /// SEMANTICS-ADDENDUM §10.6).
    YieldValue(Yielded),
    /// `await g1()` or `x = await g1()`: await a coroutine of a coroutine function (a later one,
    /// from another), which passes the suspensions, `throw()` and `close()` on as `yield from`
    /// does (only in coroutine functions and an async `main`; SEMANTICS-ADDENDUM §11.5).
    AwaitCall {
        /// The coroutine function.
        gen: usize,
        /// `x = `: bind what it returns.
        target: Option<String>,
    },
    /// `yield from g1()` or `x = yield from g1()`: delegate to a later (sync) generator function
    /// until it returns, passing on `next()`, `throw()` and `close()` (only in sync generator
    /// functions; SEMANTICS-ADDENDUM §11).
    YieldFrom {
        /// The generator function delegated to; a later one than the delegating function.
        gen: usize,
        /// `x = `: bind what it returns.
        target: Option<String>,
    },
    /// `drive('d1', g0(), 'close', 2, None)`: run generator function 0 as `how` says (not in
    /// generator functions); `'close+throw'` and the like do `then` afterwards.
    Drive {
        /// The label of this drive in the trace.
        label: String,
        /// Which generator function.
        gen: usize,
        /// How far, and how it ends.
        how: Drive,
        /// One more operation once `how` is done (SEMANTICS-ADDENDUM §10).
        then: Option<Then>,
    },
    /// `raise E1('r1') [from ...]`.
    Raise(RaiseNew),
    /// `raise ExceptionGroup('g1', [E1('r2'), ...])` (3.11+, SEMANTICS-ADDENDUM §13).
    RaiseGroup(Group),
    /// `try: ... except* E1 as e_h1: ... else: ... finally: ...` (3.11+, SEMANTICS-ADDENDUM
    /// §13.4): its handlers all have a class, and none holds a `return`, or a `break` or
    /// `continue` of a loop around it.
    TryStar(Box<Try>),
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
    /// `k1 = e_h1`: keep the exception an enclosing handler caught in a variable bound before
    /// (by `k1 = None`), so that it outlives the handler (SEMANTICS-ADDENDUM §12.2).
    Keep {
        /// The variable, bound before by an assignment.
        name: String,
        /// The label of the handler that binds `e_<label>`.
        label: String,
    },
    /// `raise k1`: raise what a variable holds, an exception kept earlier or `None`
    /// (SEMANTICS-ADDENDUM §12.2).
    RaiseVar(String),
    /// `e_h1.__context__ = None` and the other chaining attributes, on the exception an
    /// enclosing handler caught (SEMANTICS-ADDENDUM §12.3).
    SetAttr {
        /// The label of the handler that binds `e_<label>`.
        label: String,
        /// Which attribute.
        attr: ExcAttr,
        /// What is assigned.
        value: AttrValue,
    },
    /// `f0(2, k=0)`, `x = await f0(2, k=0)`, `F0().f0(2, k=0)`: call a decorated function, which
    /// calls itself `n` times more (only in `main`; SEMANTICS-ADDENDUM §14).
    Call {
        /// Which decorated function.
        fun: usize,
        /// Its first argument: how many recursive calls it makes, at most 3.
        n: u8,
        /// `x = `: bind what it returns.
        target: Option<String>,
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
    /// `show('d1', m1.__exit__(E1, E1('x1'), None))` or `show('d1', await m1.__aenter__())`: a
    /// protocol method called by the program itself, its result shown (SEMANTICS-ADDENDUM §15.1).
    /// `m1` is bound by `m1 = M0()` or `m1 = c0()` and by nothing else.
    Direct {
        /// The name the result is shown under.
        label: String,
        /// The variable holding the manager.
        var: String,
        /// `__aenter__` / `__aexit__`, awaited (only where `await` is).
        is_async: bool,
        /// Which method, with which arguments.
        call: DirectCall,
    },
}

/// The method a [`Stmt::Direct`] calls.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DirectCall {
    /// `__enter__()` / `__aenter__()`.
    Enter,
    /// `__exit__(t, v, tb)` / `__aexit__(t, v, tb)`.
    Exit(Triple),
}

/// The three arguments a program passes to an exit method itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Triple {
    /// `(None, None, None)`.
    Nones,
    /// `(E1, E1('x1'), None)`: a new exception, never raised, so its traceback is None.
    Exc(NewExc),
    /// `(E1, None, None)`: unnormalised; contextlib instantiates `E1()` itself.
    TypeOnly(ExcClass),
}

/// `ExceptionGroup('g1', [E1('r2'), ValueError('r3')])`, or `BaseExceptionGroup(...)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Group {
    /// `BaseExceptionGroup`, which may hold BaseExceptions (and is an `ExceptionGroup` when it
    /// holds none).
    pub base: bool,
    /// Its message.
    pub label: String,
    /// What it holds, in order; at least one.
    pub members: Vec<Member>,
}

/// One exception a group holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Member {
    /// `E1('r2')`.
    Exc(NewExc),
    /// A nested group.
    Group(Group),
}

/// What a [`Stmt::YieldValue`] yields.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Yielded {
    /// `None`, a bool, an int or a tuple of them (a string would be a label).
    Value(Value),
    /// A new exception instance, as `StopIteration('y1')`: a value, not raised.
    Exc(NewExc),
}

/// A chaining attribute of an exception that a program assigns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExcAttr {
    /// `__context__`.
    Context,
    /// `__cause__` (which also sets `__suppress_context__`).
    Cause,
    /// `__suppress_context__`.
    SuppressContext,
}

impl ExcAttr {
    /// The Python name.
    pub fn name(self) -> &'static str {
        match self {
            ExcAttr::Context => "__context__",
            ExcAttr::Cause => "__cause__",
            ExcAttr::SuppressContext => "__suppress_context__",
        }
    }
}

/// What a program assigns to a chaining attribute.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AttrValue {
    /// `None` (for `__context__` and `__cause__`).
    None,
    /// `e_h2`: the exception an enclosing handler caught (for `__context__` and `__cause__`).
    Caught(String),
    /// `True` / `False` (for `__suppress_context__`).
    Bool(bool),
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
    /// `def c0(self, func, *, kwds):`: the parameters, which the function shows first of all,
    /// `show('self', self)`, ... (SEMANTICS-ADDENDUM §16).
    pub params: Vec<Param>,
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

/// A parameter of a `@contextmanager` function (SEMANTICS-ADDENDUM §16): one of [`PARAM_NAMES`],
/// the names contextlib's own helper uses for its arguments.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Param {
    /// The name.
    pub name: String,
    /// After the `*`: given by keyword only.
    pub kw_only: bool,
}

/// The names parameters of `@contextmanager` functions take (CPython's test_keywords).
pub const PARAM_NAMES: [&str; 4] = ["self", "func", "args", "kwds"];

/// The keywords a call may give that name no parameter, each with the parameter 3.13+ suggests for
/// it when the function has one ("Did you mean 'kwds'?").
pub const BAD_KEYWORDS: [(&str, Option<&str>); 3] = [("zz", None), ("funk", Some("func")), ("kwd", Some("kwds"))];

/// An argument of a call of a `@contextmanager` function: `11` or `kwds=11`
/// (SEMANTICS-ADDENDUM §16).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Arg {
    /// `Some(name)` for a keyword argument: one of [`PARAM_NAMES`] or of [`BAD_KEYWORDS`].
    pub keyword: Option<String>,
    /// The value, a small non-negative integer.
    pub value: i64,
}

/// How `drive` runs a generator (`adrive` an async one, with `asend`, `aclose` and `athrow`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Drive {
    /// `next()` until it is exhausted.
    Exhaust,
    /// `next()` k times, then `close()`; with k = 0 the generator never started.
    Close(u8),
    /// `next()` k times, then `throw(...)`; with k = 0 the generator never started.
    Throw(u8, Thrown),
    /// `next()` k times, then `send(1)`: a value other than None, which a generator that never
    /// started refuses (SEMANTICS-ADDENDUM §10.4).
    Send(u8),
    /// `next()` k times, then `throw(...)` called on an awaitable of the async generator
    /// itself, by hand (`__anext__().throw(exc)`, `aclose().throw(exc)`, `athrow(exc).throw(exc)`),
    /// which the prelude then drives as `await` would (SEMANTICS-ADDENDUM §10.8).
    AwThrow(u8, AwOp, Thrown),
}

/// Which awaitable of an async generator [`Drive::AwThrow`] throws into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AwOp {
    /// `__anext__()` (the `asend(None)` awaitable).
    Next,
    /// `aclose()`: what comes out is read as `aclose()` reads GeneratorExit.
    Close,
    /// `athrow(exc)`: its own argument is never thrown; `throw()`'s is.
    Throw,
}

impl AwOp {
    /// The method that makes the awaitable, as `adrive`'s `how` names it.
    pub fn name(self) -> &'static str {
        match self {
            AwOp::Next => "anext",
            AwOp::Close => "aclose",
            AwOp::Throw => "athrow",
        }
    }
}

impl Drive {
    /// How many items it takes before its last operation (none for [`Drive::Exhaust`]).
    pub fn k(&self) -> u8 {
        match self {
            Drive::Exhaust => 0,
            Drive::Close(k) | Drive::Throw(k, _) | Drive::Send(k) | Drive::AwThrow(k, ..) => *k,
        }
    }

    /// What it throws, if it throws.
    pub fn thrown(&self) -> Option<&Thrown> {
        match self {
            Drive::Throw(_, t) | Drive::AwThrow(_, _, t) => Some(t),
            _ => None,
        }
    }
}

/// What `drive` does once its [`Drive`] is done, to a generator that may have finished
/// (SEMANTICS-ADDENDUM §10.2).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Then {
    /// `close()` (`aclose()`) again, or for the first time after exhaustion.
    Close,
    /// `throw(...)` (`athrow(...)`); after `Drive::Throw`, the same argument again.
    Throw(Thrown),
    /// Await the last awaitable of `adrive` once more: "cannot reuse already awaited ..."
    /// (async generators only); after [`Drive::AwThrow`], throw into it once more, whatever the
    /// first throw gave (SEMANTICS-ADDENDUM §10.8).
    Again,
    /// After [`Drive::AwThrow`]: `__anext__()` awaited until the generator ends, whatever the
    /// throw gave (what it raised is logged first): the generator goes on from where the throw
    /// left it, or raises StopAsyncIteration at once when the throw finished it
    /// (SEMANTICS-ADDENDUM §10.8). After [`Drive::Exhaust`]: once more, StopAsyncIteration again
    /// (async generators only).
    Next,
}

/// What `throw()` (`athrow()`) is given.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Thrown {
    /// `E1('r1')`: a new instance.
    New(NewExc),
    /// `e_h1`: the exception an enclosing handler caught, which the caller is handling
    /// (SEMANTICS-ADDENDUM §12.4).
    Caught(String),
    /// `E1`: a class, which `throw()` instantiates without arguments (SEMANTICS-ADDENDUM §10.3).
    Class(ExcClass),
    /// `(E1, E1('r1'), None)`: the three-argument form, deprecated from 3.12 (a warning on
    /// stderr, nothing in the trace) (SEMANTICS-ADDENDUM §10.3).
    Triple(NewExc),
    /// Arguments `throw()` refuses with a TypeError before it touches the generator
    /// (SEMANTICS-ADDENDUM §10.3).
    Bad(BadThrow),
}

/// Arguments `throw()` refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BadThrow {
    /// `'abc'`: not an exception at all.
    NotAnException,
    /// `(E1('abc'), 'foo')`: an instance and a separate value.
    SeparateValue,
    /// `(E1, 'foo', 23)`: a traceback that is not one.
    BadTraceback,
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
    /// `c0(11, kwds=22)`: a new `@contextmanager` manager from generator function `c<n>`, called
    /// with these arguments (SEMANTICS-ADDENDUM §16).
    Cm(usize, Vec<Arg>),
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
    /// `Nested(M0(), c1())`: the prelude's hand-written composite manager, which calls its
    /// members' `__enter__()` in order and gives the list of their values, and their
    /// `__exit__(...)` in reverse, each with what the one after it left (SEMANTICS-ADDENDUM §15.4).
    /// Only as an item of a plain `with`; members are `M<n>()` with plain methods, or sync `c<n>()`.
    Nested(Vec<ItemExpr>),
}

/// The `as` part of a `with` item. Binding it happens inside the protected region (§1.2.4): what
/// it raises reaches `__exit__`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// No `as`.
    None,
    /// `as x`.
    Name(String),
    /// `as (x)`: a parenthesized name, which is a name, not a tuple (§8.3).
    Paren(String),
    /// `as Sink('o1', None).a` or `as Sink('o1', None)['k']`: an attribute or subscript store
    /// (§8.2).
    Store(Store),
    /// `as (a, *b, Sink('o1', None).c)`: unpacking, which can fail; one element is written
    /// `(a,)`. More than one starred element does not compile (§8.5).
    Tuple(Vec<Elem>),
    /// `as *b`, which does not compile (§8.5).
    Star(String),
    /// `as None`, `as f()`, ...: does not compile (§8.5).
    Bad(Bad),
    /// `as None,` with the trailing comma and no parentheses: does not compile (§8.5).
    BadComma(Bad),
    /// `as (None)`: a refused target in parentheses, which is no tuple; does not compile, with
    /// the message of the bare one (§8.5).
    BadParen(Bad),
}

/// How the items of a `with` are written (§8.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Parens {
    /// `with A() as a, B():`.
    No,
    /// `with (A() as a, B()):`: the same on 3.9+; 3.8 refuses a target inside and reads the
    /// items without one as a tuple.
    Yes,
    /// `with (A() as a, B(),):`, a trailing comma too.
    TrailingComma,
}

/// A target CPython refuses to compile (§8.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bad {
    /// `None`: "cannot assign to None".
    None,
    /// `True`: "cannot assign to True".
    True,
    /// `f()`: "cannot assign to function call".
    Call,
    /// `1`: "cannot assign to literal".
    Literal,
}

/// An element of a tuple target.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Elem {
    /// `a`.
    Name(String),
    /// `*b`: takes what the other elements leave, as a list (§8.3).
    Star(String),
    /// An attribute or subscript store.
    Store(Store),
    /// `None`, `f()`, ...: does not compile (§8.5).
    Bad(Bad),
}

impl Elem {
    /// The name the element binds, if it binds one.
    pub fn name(&self) -> Option<&str> {
        match self {
            Elem::Name(n) | Elem::Star(n) => Some(n),
            Elem::Store(_) | Elem::Bad(_) => None,
        }
    }
}

impl Target {
    /// The names the target binds, in order.
    pub fn names(&self) -> Vec<&str> {
        match self {
            Target::None | Target::Store(_) | Target::Bad(_) | Target::BadComma(_) | Target::BadParen(_) => Vec::new(),
            Target::Name(n) | Target::Paren(n) | Target::Star(n) => vec![n],
            Target::Tuple(elems) => elems.iter().filter_map(Elem::name).collect(),
        }
    }
}

/// An attribute or subscript target: `Sink('o1', None).a`, `None['k']` (§8.2). The object is
/// made when the target is bound, after `__enter__` returned.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Store {
    /// What is stored into.
    pub obj: StoreObj,
    /// `.a` or `['k']`.
    pub key: Key,
}

/// The object of a [`Store`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StoreObj {
    /// `Sink('o1', None)`: its `__setattr__` and `__setitem__` log the store, then raise
    /// `raises('o1')` if given.
    Sink {
        /// Its label, in the trace.
        label: String,
        /// What a store raises.
        raises: Option<ExcClass>,
    },
    /// `None`, which refuses both.
    None,
    /// `Sink('o1', None)['j']`: an item loaded from a new sink at binding time, a sink of its own
    /// labelled `o1[j]` (nested subscripts, a subscript of a call's result: §8.2).
    Loaded {
        /// The label of the sink it is loaded from.
        label: String,
        /// What a store into the loaded sink raises.
        raises: Option<ExcClass>,
        /// The key loaded, `'j'`.
        key: String,
    },
}

/// How a [`Store`] names its slot.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// `.a`.
    Attr(String),
    /// `['k']`.
    Item(String),
}

/// Whether a program uses exception groups (3.11+): raises one, has an `except*`, or names
/// `ExceptionGroup` or `BaseExceptionGroup` where an exception is matched against a class.
pub fn uses_groups(program: &Program) -> bool {
    let groups = |classes: &[ExcClass]| classes.iter().any(|c| c.is_group());
    let handler = |h: &Handler| h.class.is_some_and(ExcClass::is_group);
    let expr = |e: &ItemExpr| matches!(e, ItemExpr::Suppress(cs) if groups(cs));
    let in_stmts = visit::all_stmts(program).any(|s| match s {
        Stmt::RaiseGroup(_) | Stmt::TryStar(_) => true,
        Stmt::Try(t) => t.handlers.iter().any(handler),
        Stmt::With { items, .. } => items.iter().any(|it| expr(&it.expr)),
        Stmt::Assign { expr: e, .. }
        | Stmt::Stack { op: StackOp::Enter { expr: e, .. } | StackOp::Push { expr: e, .. }, .. } => expr(e),
        _ => false,
    });
    let in_cms = program.cms.iter().any(|cm| cm.handler.as_ref().is_some_and(handler));
    let in_managers = program.managers.iter().any(|m| {
        m.methods().iter().any(|(_, method)| {
            matches!(method, Method::Defined(Action::SuppressIf(cs)) | Method::AsyncDef { action: Action::SuppressIf(cs), .. } if groups(cs))
        })
    });
    in_stmts || in_cms || in_managers
}

/// Whether a `yield` appears anywhere in `s`, reachable or not: that is what makes a function a
/// generator function.
pub fn has_yield(s: &Stmt) -> bool {
    visit::stmts(std::slice::from_ref(s))
        .any(|s| matches!(s, Stmt::Yield(_) | Stmt::YieldValue(_) | Stmt::YieldFrom { .. }))
}

/// Whether the body of a generator function delegates with `yield from` anywhere.
pub fn delegates(body: &[Stmt]) -> bool {
    visit::stmts(body).any(|s| matches!(s, Stmt::YieldFrom { .. }))
}

#[cfg(test)]
mod tests;
