//! The rules of SEMANTICS.md the model implements, named after their sections, so that
//! `withstand stats` can show which ones generated programs reach and triage can name the rule
//! behind a divergence.
//!
//! The rules are declared once, in [`rules!`]'s one table: the enum, [`Rule::ALL`] (in
//! SEMANTICS.md order, which is the order of the table), [`Rule::section`] and the doc comment of
//! each rule all come from it, and a rule's index is its discriminant.

/// Declares the rules: `/// what the rule says` then `Name = "section"`, in SEMANTICS.md order.
macro_rules! rules {
    ($($(#[doc = $doc:literal])+ $rule:ident = $section:literal,)+) => {
        /// One rule of the protocol. The model records a rule each time a program exercises it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule {
            $(
                #[doc = concat!("§", $section, ":")]
                $(#[doc = $doc])+
                $rule,
            )+
        }

        impl Rule {
            /// Every rule, in SEMANTICS.md order.
            pub const ALL: &'static [Rule] = &[$(Rule::$rule),+];

            /// The SEMANTICS.md section the rule comes from.
            pub fn section(self) -> &'static str {
                match self {
                    $(Rule::$rule => $section,)+
                }
            }
        }
    };
}

rules! {
    /// The context expression raises; no lookup, enter or exit for that item.
    ExprRaises = "1.2.1",
    /// `__enter__` raises; `__exit__` is not called.
    EnterRaises = "1.2.3",
    /// Binding the target fails inside the protected region; `__exit__` gets the error.
    TargetUnpackFails = "1.2.4",
    /// `as (a, b)` unpacks the value of `__enter__`.
    TargetUnpacks = "1.2.4",
    /// `as x` binds the value `__enter__` returned, not the manager (also §1.4).
    TargetBindsEnterValue = "1.2.4",
    /// Methods set only on the instance are ignored by the lookup.
    InstanceAttrIgnored = "1.3",
    /// `__enter__ = None` fails with "'NoneType' object is not callable" at entry.
    EnterIsNone = "1.3",
    /// `__exit__ = None` fails at exit time, after the body ran.
    ExitIsNone = "1.3",
    /// A method with the wrong arity fails as an ordinary call (qualname in 3.10+).
    WrongArity = "1.3",
    /// The body falls off the end; `__exit__(None, None, None)`, result ignored.
    ExitAfterNormalBody = "1.4",
    /// `return` evaluates its value, then calls `__exit__(None, None, None)`.
    ExitAfterReturn = "1.4",
    /// `break` / `continue` call `__exit__(None, None, None)`, then jump.
    ExitAfterBreakContinue = "1.4",
    /// An exception reaches `__exit__` as the very object, with `sys.exc_info()` set to it.
    ExitGetsException = "1.4",
    /// On a normal-path exit `sys.exc_info()` is the exception handled around the `with`.
    ExitSeesOuterHandled = "1.4",
    /// A `return` in a `finally` inside the body swallows the exception.
    FinallyReturnSwallows = "1.4",
    /// A truthy `__exit__` result suppresses the exception.
    ExitSuppresses = "1.5",
    /// A falsy `__exit__` result re-raises the same object.
    ExitFalsyReraises = "1.5",
    /// The result's `__bool__` runs exactly once, on the exceptional path only.
    ExitResultBool = "1.5",
    /// `__len__` decides the truth of a result that has no `__bool__`.
    ExitResultLen = "1.5",
    /// `__bool__` raising replaces the exception, with the original as context.
    BoolRaises = "1.5",
    /// `__bool__` returning a non-bool gives a TypeError.
    BoolReturnsNonBool = "1.5",
    /// A negative `__len__` gives a ValueError.
    LenNegative = "1.5",
    /// `__exit__` raising on the exceptional path: context is the original.
    ExitRaisesOnException = "1.6",
    /// `__exit__` raising on a normal path replaces the return / break / continue.
    ExitRaisesOnNormalPath = "1.6",
    /// `raise v` or bare `raise` in `__exit__` re-raises the same object, chain unchanged.
    ExitReraisesSame = "1.6",
    /// A bare `raise` with nothing being handled: "No active exception to reraise".
    BareRaiseNothingHandled = "1.6",
    /// `raise None` (`raise v` on a normal path): "exceptions must derive from BaseException".
    RaiseNone = "1.6",
    /// `raise X from Y` sets `__cause__` and `__suppress_context__`.
    RaiseFrom = "1.6",
    /// `raise X from None`.
    RaiseFromNone = "1.6",
    /// Implicit chaining: an exception raised while another is handled gets it as context.
    ImplicitChaining = "1.6",
    /// Setting a context breaks the cycle it would create.
    ContextCycleBroken = "1.6",
    /// Items are entered left to right, each fully before the next expression runs.
    MultiItemOrder = "1.7",
    /// A later item failing exits the earlier items with that exception.
    LaterItemFails = "1.7",
    /// An inner exit suppressing means the outer exit sees `(None, None, None)`.
    InnerSuppressesOuterSeesNone = "1.7",
    /// An inner exit raising passes its exception to the outer exit.
    InnerExitRaisesOuterSees = "1.7",
    /// StopIteration leaving a coroutine frame becomes RuntimeError (PEP 479).
    CoroutineStopIteration = "1.8",
    /// StopIteration leaving a generator frame becomes RuntimeError (PEP 479).
    GeneratorStopIteration = "1.8",
    /// A generator with `with` inside runs to exhaustion; exits run as it finishes.
    GenExhausted = "1.8",
    /// `close()` on a generator suspended in a `with`: `__exit__` gets GeneratorExit.
    GenClose = "1.8",
    /// The generator yields after GeneratorExit: "generator ignored GeneratorExit".
    GenCloseIgnored = "1.8",
    /// `__exit__` (or the body) raises during `close()`: `close()` raises it.
    GenCloseRaises = "1.8",
    /// `throw(E)` on a generator suspended in a `with`: `__exit__` gets E.
    GenThrow = "1.8",
    /// The generator returns after `throw()`: StopIteration in the caller.
    GenThrowReturns = "1.8",
    /// An exception thrown into a generator suspended while handling one is chained to it.
    GenThrowChained = "1.8",
    /// StopIteration or StopAsyncIteration leaving an async generator frame becomes RuntimeError.
    AsyncGeneratorStopIteration = "1.8",
    /// The async generator yields after GeneratorExit: "async generator ignored GeneratorExit".
    AsyncGenCloseIgnored = "1.8",
    /// An object with neither `__enter__` nor `__exit__`.
    LacksBoth = "2.1",
    /// An object with `__exit__` but no `__enter__`.
    LacksEnter = "2.1",
    /// An object with `__enter__` but no `__exit__`.
    LacksExit = "2.1",
    /// A value that is no manager at all (`with 1:`, `with None:`).
    NotAManager = "2.1",
    /// An object with neither `__aenter__` nor `__aexit__` in `async with`.
    AsyncLacksBoth = "2.2",
    /// An object with `__aexit__` but no `__aenter__`.
    AsyncLacksEnter = "2.2",
    /// An object with `__aenter__` but no `__aexit__`.
    AsyncLacksExit = "2.2",
    /// A manager of the other protocol used with `with` / `async with` (also §2.1).
    WrongStatementForManager = "2.2",
    /// A plain `def __aenter__`/`__aexit__`: its return value is what gets awaited.
    AsyncPlainDef = "2.3",
    /// `__await__` returning a non-iterator: TypeError.
    AwaitNonIterator = "2.3",
    /// `__aenter__` returned a non-awaitable: TypeError, `__aexit__` not called.
    AsyncEnterNotAwaitable = "2.3",
    /// `__aexit__` returned a non-awaitable: TypeError on every exit route.
    AsyncExitNotAwaitable = "2.3",
    /// An `await` expression (contextlib's) on a non-awaitable: "object X can't be used in 'await' expression".
    AwaitNotAwaitable = "2.3",
    /// Unpacking into the target: too many, not enough, or a non-iterable.
    UnpackMessage = "2.4",
    /// An `async def` method's coroutine is awaited; the target gets the awaited result.
    AsyncDefAwaited = "3",
    /// A hand-made awaitable returned by the method is awaited.
    AsyncAwaitableAwaited = "3",
    /// A suspension inside enter, exit or the body reaches the driver.
    AsyncSuspends = "3",
    /// A plain `def` method returns a coroutine object, which is awaited (PEP 479 as a coroutine).
    AsyncCoroutineAwaited = "3",
    /// An async generator with `async with` inside, driven by `asend` to exhaustion.
    AsyncGenExhausted = "3",
    /// `aclose()` on an async generator suspended in a `with`: GeneratorExit reaches the exit.
    AsyncGenClose = "3",
    /// The exit (or the body) raises during `aclose()`: `aclose()` raises it.
    AsyncGenCloseRaises = "3",
    /// `athrow(E)` on an async generator suspended in a `with`: the exit gets E.
    AsyncGenThrow = "3",
    /// The async generator finishes after `athrow()`: StopAsyncIteration in the caller.
    AsyncGenThrowReturns = "3",
    /// The thrown exception is suppressed and the async generator yields: `athrow()` returns the value.
    AsyncGenThrowYields = "3",
    /// A contextlib manager (`@contextmanager`, `suppress`, `nullcontext`, `closing`) in a `with`.
    ContextlibManager = "4",
    /// `__enter__` runs the generator to its yield and returns the yielded value.
    CmEnterYields = "4.1",
    /// The generator raises before yielding: `__enter__` raises it (PEP 479 applies).
    CmEnterRaises = "4.1",
    /// The generator finishes without yielding: RuntimeError "generator didn't yield" from None.
    CmDidntYield = "4.1",
    /// The generator yields again on the normal path: "generator didn't stop", then close().
    CmDidntStop = "4.1",
    /// The generator yields again after throw(): "generator didn't stop after throw()".
    CmDidntStopAfterThrow = "4.1",
    /// The generator catches the thrown exception and finishes: suppressed.
    CmSuppresses = "4.1",
    /// The generator re-raises (or lets through) the thrown exception: the original propagates.
    CmReraisesSame = "4.1",
    /// The generator raises a different exception: it replaces the original.
    CmRaisesOther = "4.1",
    /// A StopIteration from the body, wrapped by PEP 479 in the generator, is unwrapped.
    CmUnwrapsStopIteration = "4.1",
    /// Entering a generator manager a second time fails at `del self.args` (AttributeError) (also §4.2).
    CmReentered = "4.1",
    /// The exit of a generator manager that was never entered (pushed on a stack): `throw()` raises at the
    /// generator's start, `next()` runs it to its first yield (also §4.3).
    CmExitUnentered = "4.1",
    /// `__aenter__` runs the async generator to its yield and returns the yielded value.
    AcmEnterYields = "4.2",
    /// The async generator finishes without yielding: "generator didn't yield" from None.
    AcmDidntYield = "4.2",
    /// The async generator yields again on the normal path: "generator didn't stop", then aclose().
    AcmDidntStop = "4.2",
    /// It yields again after athrow(): "generator didn't stop after athrow()".
    AcmDidntStopAfterAthrow = "4.2",
    /// The async generator catches the thrown exception and finishes: suppressed.
    AcmSuppresses = "4.2",
    /// The async generator re-raises (or lets through) the thrown exception: the original propagates.
    AcmReraisesSame = "4.2",
    /// The async generator raises a different exception: it replaces the original.
    AcmRaisesOther = "4.2",
    /// A Stop(Async)Iteration from the body, wrapped by PEP 479 in the generator, is unwrapped.
    AcmUnwrapsStopIteration = "4.2",
    /// `enter_context` enters the manager and pushes its exit (after entering succeeds).
    StackEnterContext = "4.3",
    /// `enter_async_context` awaits `__aenter__` and pushes `__aexit__`.
    StackEnterAsyncContext = "4.3",
    /// `enter_context` on an object lacking the protocol: TypeError from None (3.11+), nothing pushed.
    StackEnterUnsupported = "4.3",
    /// An exit attribute that is None cannot be bound: "first argument must be callable".
    StackExitIsNone = "4.3",
    /// `push` / `push_async_exit` of a manager registers its exit method; enter is not called.
    StackPushExit = "4.3",
    /// `push` of an object without an exit method registers the object itself as the callable.
    StackPushCallable = "4.3",
    /// `callback` / `push_async_callback` registers a call that never suppresses.
    StackCallback = "4.3",
    /// `close()` / `aclose()` runs the callbacks at once.
    StackClose = "4.3",
    /// `pop_all()` moves the callbacks to a new stack; the old one exits with none.
    StackPopAll = "4.3",
    /// Callbacks run last in, first out.
    StackLifo = "4.3",
    /// A truthy callback suppresses; the callbacks after it see (None, None, None).
    StackCallbackSuppresses = "4.3",
    /// A callback raising replaces the exception; later callbacks see the new one.
    StackCallbackRaises = "4.3",
    /// `_fix_exception_context` points the raised chain at the previous exception, as nesting would.
    StackContextFixed = "4.3",
    /// Where nesting would keep the frame's handled exception as context, the stack drops it.
    StackInExceptContextLost = "4.3",
    /// `suppress(*classes)` suppresses the listed classes and their subclasses only.
    SuppressClasses = "4.4",
    /// `suppress()` with no classes suppresses nothing.
    SuppressNothing = "4.4",
    /// `nullcontext(v)` binds v (sync, and async from 3.10).
    Nullcontext = "4.5",
    /// `closing(thing)` calls `thing.close()` on every path.
    ClosingCloses = "4.5",
    /// An exception from `close()` replaces the body exception, chained to it.
    ClosingRaises = "4.5",
    /// `closing(gen)` closes the generator on exit: GeneratorExit at its yield.
    ClosingGen = "4.5",
    /// `aclosing(agen)` awaits `aclose()` on exit.
    AclosingGen = "4.5",
    /// A protocol method given by a property or a descriptor: its getter runs at lookup, in the profile's
    /// lookup order, before `__enter__` is called.
    DescriptorGet = "7.1",
    /// The getter raises: that exception propagates as it is (an AttributeError too); no later lookup.
    DescriptorGetRaises = "7.1",
    /// The getter returns None: found, and the call fails as for `__enter__ = None`.
    DescriptorGetsNone = "7.1",
    /// A static or class method is called without the instance (a class method with the class).
    StaticOrClassMethod = "7.2",
    /// A callable object that is no descriptor, stored as the method, is called without self.
    CallableNotDescriptor = "7.2",
    /// A method found on a base class: it runs on the instance, and names the class that defines it.
    InheritedMethod = "7.3",
    /// A name a `with` target bound is still bound after the `with`, and reads as what it bound.
    TargetReadAfterBlock = "8.1",
    /// Reading a target that was never bound: UnboundLocalError in a function, NameError elsewhere.
    TargetNeverBound = "8.1",
    /// `as obj.attr` calls `type(obj).__setattr__` inside the protected region, after `__enter__`.
    TargetAttribute = "8.2",
    /// `as obj[k]` calls `type(obj).__setitem__` inside the protected region.
    TargetSubscript = "8.2",
    /// `as Sink('o1', None)['j']['k']` (nested subscripts of a call's result): the item is loaded with
    /// `__getitem__` at binding time, then stored into.
    TargetSubscriptNested = "8.2",
    /// A store into the target raises: `__exit__` gets the error, as with a failed unpacking.
    TargetStoreRaises = "8.2",
    /// `as None.a` / `as None['k']`: AttributeError (no `__dict__`, 3.13+) or TypeError.
    TargetStoreRefused = "8.2",
    /// `as (a, *b)`: the starred name takes the rest as a list; too few values name "at least".
    TargetStarred = "8.3",
    /// `as (x)` is the name `x`, not a one-element tuple.
    TargetParenthesizedName = "8.3",
    /// A target CPython refuses (`as None`, `as f()`, `as *b`, `as (*a, *b)`): a SyntaxError, nothing runs.
    CompileRefusedTarget = "8.5",
    /// Parenthesized items with a target among them: the items on 3.9+, "invalid syntax" on 3.8.
    ParenthesizedTargets = "8.6",
    /// Parenthesized items without targets (several, or a trailing comma): the items on 3.9+, one tuple
    /// (no manager) on 3.8.
    ParenthesizedNoTargets = "8.6",
    /// `async with` outside an `async def`: "'async with' outside async function".
    CompileAsyncWithOutsideAsync = "8.7",
    /// Blocks nested deeper than every version compiles: "too many statically nested blocks".
    CompileTooDeep = "8.7",
    // ---- SEMANTICS-ADDENDUM.md: generator API corners, delegation, chaining primitives, groups ----
    /// `close()` / `aclose()` of a generator that never started runs none of its code.
    GenCloseUnstarted = "10.1",
    /// `throw()` / `athrow()` into a generator that never started raises at its start: inside its
    /// frame before 3.12 (PEP 479 applies), as it is from 3.12.
    GenThrowUnstarted = "10.1",
    /// `close()` returns what the generator returns after catching GeneratorExit (3.13+; None before).
    GenCloseReturnsValue = "10.2",
    /// `close()` / `aclose()` of a finished generator does nothing and returns None.
    GenCloseFinished = "10.2",
    /// `throw()` into a finished generator raises the exception as it is.
    GenThrowFinished = "10.2",
    /// `athrow()` on a finished async generator: its awaitable finishes at once with None, its
    /// arguments unchecked (the awaitable's own check of a closed generator, not `throw()`'s).
    AsyncGenAthrowFinished = "10.2",
    /// `throw(E1)`: the class is instantiated without arguments.
    GenThrowClass = "10.3",
    /// `throw(E1, E1('r1'), None)`: the three-argument form throws the instance.
    GenThrowTriple = "10.3",
    /// `throw()` refuses what is not an exception, a separate value, a bad traceback: TypeError.
    GenThrowBadArgs = "10.3",
    /// `send()` / `asend()` of a value other than None to a generator that never started: TypeError.
    GenSendJustStarted = "10.4",
    /// An `asend()` / `athrow()` / `aclose()` awaitable awaited again: "cannot reuse already awaited".
    AsyncGenAwaitableReused = "10.5",
    /// An `athrow()` awaitable that passed a suspension of the generator on is not closed by its
    /// result: awaited again, it resumes the generator as `asend(None)` does.
    AsyncGenAthrowReusable = "10.5",
    /// A value other than a label yielded (a tuple, an int, a StopIteration instance) comes back from
    /// `next()`, `asend()` and `athrow()` as it is (PyPy #4660).
    GenYieldsValue = "10.6",
    /// `yield from g1()`: `next()` reaches the delegated generator; what it returns is the value.
    YieldFromDelegates = "11.1",
    /// `throw()` reaches the delegated generator at its yield; what comes out is thrown into the
    /// delegating one at its `yield from`, chained to what that one handles (3.9+).
    YieldFromThrow = "11.2",
    /// What comes out is the exception the delegating generator handles: no context of itself
    /// (bpo-40696).
    YieldFromThrowHandled = "11.2",
    /// `close()` closes the delegated generator first, then throws a new GeneratorExit (or what
    /// that close raised) into the delegating one.
    YieldFromClose = "11.3",
    /// `throw(GeneratorExit(...))` into a delegating generator closes the delegated one, then
    /// throws that very GeneratorExit into the delegating one.
    YieldFromThrowGeneratorExit = "11.3",
    /// A coroutine driven by hand (`send`, `throw`, `close`): its suspensions reach the driver, and
    /// what it throws is raised at the await, through the awaitable's iterator (PEP 479 there).
    CoroutineDrivenByHand = "11.5",
    /// `await g1()` of a coroutine delegates to it as `yield from` does: suspensions, `throw()`,
    /// `close()`; what it returns is the value.
    AwaitDelegates = "11.5",
    /// `throw()` arguments refused by the awaitable's iterator a coroutine is suspended in: the
    /// TypeError is raised at the coroutine's `await`, as any exception that iterator raises.
    CoroutineThrowRefused = "11.5",
    /// A generator (or coroutine) that handles no exception of its own sees what its caller
    /// handles: an exception it raises is chained to that (its exception state is linked above
    /// the caller's while it runs), also past its own `except` block.
    GenSeesCallersHandled = "11.4",
    /// A generator resumed by `throw()` or `close()` through `yield from` runs with the handled
    /// exceptions of the generators delegating to it out of `sys.exc_info()` and implicit chaining.
    YieldFromUnlinked = "11.4",
    /// `raise X from e_h1`: the cause is the caught exception, which is also the context.
    RaiseFromCaught = "12.1",
    /// A generator manager lets a RuntimeError raised `from` the thrown StopIteration through as
    /// that StopIteration (also §4.1).
    CmUnwrapsRaisedFrom = "12.1",
    /// `raise k1` of a kept exception with nothing handled: its old context stays.
    RaiseStoredKeepsContext = "12.2",
    /// `raise k1` of a kept exception while another is handled: its context is replaced.
    RaiseStoredRechained = "12.2",
    /// `e.__context__ = ...` sets the context, with no cycle check.
    SetContext = "12.3",
    /// `e.__cause__ = ...` sets the cause and `__suppress_context__`.
    SetCause = "12.3",
    /// `e.__suppress_context__ = ...`.
    SetSuppressContext = "12.3",
    /// `_fix_exception_context` leaves a context set to None alone (3.9+; 3.8 re-chains it) (also §4.3).
    StackKeepsExplicitNoneContext = "12.3",
    /// `throw(e)` of the exception the caller is handling: no self-chaining in the generator.
    ThrowHandled = "12.4",
    /// `raise ExceptionGroup('g1', [...])`: what it holds is made first; its `str()` counts them.
    GroupRaised = "13.1",
    /// `BaseExceptionGroup(...)` of Exceptions only is an `ExceptionGroup`.
    GroupBaseBecomesException = "13.1",
    /// `ExceptionGroup(...)` holding a BaseException: TypeError "Cannot nest BaseExceptions in an ExceptionGroup".
    GroupCannotNestBase = "13.1",
    /// A group reaches `__exit__` as any exception does: the very object.
    GroupReachesExit = "13.2",
    /// A plain `except` catches a group by its class (ExceptionGroup, Exception, ...), never by what it holds.
    GroupCaughtByExcept = "13.3",
    /// `except*` splits: each handler gets the part that matches its class (a new group copying the
    /// original's message, context and cause, suppress_context set; the group itself when it matches whole).
    ExceptStarSplits = "13.4",
    /// An `except*` clause matching nothing of a group: the next clauses get split's rest, a copy (3.12+);
    /// on 3.11 the group itself.
    ExceptStarUnmatchedCopied = "13.4",
    /// `except*` of a naked exception: the handler gets `ExceptionGroup('', [e])`; unhandled, `e` propagates.
    ExceptStarWrapsNaked = "13.4",
    /// What `except*` handlers re-raise, and the rest none handled, propagate as one new group of the
    /// original's shape.
    ExceptStarReraises = "13.4",
    /// What `except*` handlers raise anew propagates alone, or with the rest in `ExceptionGroup('', [...])`.
    ExceptStarRaisesNew = "13.4",
    /// `suppress` given a group its classes do not match as a class splits it (3.12+; BaseExceptionGroup
    /// 3.12.1+): suppressed when all match, else the rest (a new group) is raised, its context the original.
    /// Before, the group propagates.
    SuppressSplitsGroup = "13.5",
    /// A call of a function decorated by a `@contextmanager` object runs in a new manager
    /// (`_recreate_cm()`): a new generator for every call.
    DecoCmRecreated = "14.1",
    /// A call of a function decorated by a `ContextDecorator` instance enters that same instance again.
    DecoInstanceReused = "14.1",
    /// A decorated function calls itself: the managers of the calls nest, the inner one exits first.
    DecoRecursionNests = "14.1",
    /// What the decorated function returns passes back through the exit to its caller.
    DecoReturnsValue = "14.2",
    /// The exit suppresses what the decorated function raised: the call returns None.
    DecoSuppressedReturnsNone = "14.2",
    /// An `async def` decorated by an `@asynccontextmanager` object: awaiting the call runs it in
    /// `async with` a new manager (3.10+).
    DecoAsync = "14.3",
    /// An `@asynccontextmanager` object decorates an `async def` (3.10+); before 3.10 it is not
    /// callable: TypeError "'_AsyncGeneratorContextManager' object is not callable" there.
    DecoAsyncCallable = "14.3",
    /// `throw()` called by hand on an `__anext__()` / `athrow()` awaitable throws its argument in as
    /// `athrow()` would (the awaitable's own argument is never thrown); what the generator yields comes
    /// out of `throw()` as StopIteration(value), a tuple not unpacked.
    AsyncGenAwaitableThrow = "10.8",
    /// `aclose().throw(exc)` throws exc in and reads what comes out as `aclose()` reads GeneratorExit:
    /// GeneratorExit, StopAsyncIteration or a return is the generator closed, a yield "async generator
    /// ignored GeneratorExit", any other exception propagates.
    AsyncGenAcloseThrow = "10.8",
    /// `throw()` into the same awaitable again: "cannot reuse already awaited ..." once it is closed;
    /// an `__anext__()` awaitable is closed by its first throw, an `aclose()` / `athrow()` one from 3.13
    /// (but for an `athrow()` one that passed a suspension on).
    AsyncGenAwaitableThrowReused = "10.8",
    /// 3.8–3.12: an `aclose()` / `athrow()` awaitable is not closed by `throw()`: a second one goes to
    /// the generator again (raised as it is by a finished one, thrown in at a suspended one's yield).
    AsyncGenAwaitableThrowAgain = "10.8",
    /// `__anext__()` after a throw into an awaitable by hand (`'+next'`) resumes the generator where
    /// the throw left it: at the yield it gave, or, when the throw was refused or `aclose()` read a
    /// yield as "ignored GeneratorExit", at the yield it is suspended at; a generator that never
    /// started and refused the argument starts.
    AsyncGenAwaitableThrowNext = "10.8",
    /// The throw by hand finished the generator (it raised, returned, was closed, or never started
    /// and was thrown into): `__anext__()` after it raises StopAsyncIteration at once.
    AsyncGenAwaitableThrowNextFinished = "10.8",
    // ---- SEMANTICS-ADDENDUM §15: direct protocol calls ----
    /// `m1.__enter__()` (`await m1.__aenter__()`) called by the program: the method of the instance's class
    /// runs as `with` runs it, and what it returns is a value, shown as it is.
    DirectEnter = "15.1",
    /// `m1.__exit__(t, v, tb)` (`await m1.__aexit__(...)`) called by the program with the arguments it
    /// chooses: no exception is handled for it, and its result is a value, never tested for truth.
    DirectExit = "15.1",
    /// A class's exit method called with `(E1, None, None)`: it gets the type without a value.
    DirectExitUnnormalised = "15.1",
    /// A generator manager's `__exit__(E1, None, None)`: contextlib makes `E1()` and throws that in.
    DirectExitMakesValue = "15.2",
    /// `Nested(...).__enter__` calls its members' `__enter__()` in order and gives the list of their
    /// values (what `as` binds or unpacks).
    NestedEnters = "15.4",
    /// `Nested(...).__exit__` calls its members' `__exit__` in reverse, each with the exception the
    /// ones after it left (none once one returned true), and re-raises a new one or suppresses.
    NestedExits = "15.4",
    /// A member's `__enter__` or `__exit__` (or the truth of its result) raises inside Nested: the members
    /// entered before it get that exception, while what is handled stays the exception `with` passed.
    NestedMemberRaises = "15.4",
    // ---- SEMANTICS-ADDENDUM §16: arguments of @contextmanager functions ----
    /// `c0(11, kwds=22)`: the factory passes its arguments on to the generator function, keywords
    /// named `self`, `func`, `args` and `kwds` included; the generator sees them when it starts.
    CmFactoryArgs = "16.1",
    /// Arguments the generator function cannot bind: TypeError from the factory call, before any
    /// manager exists ("unexpected keyword argument", "multiple values", "takes N positional
    /// arguments", "missing N required ... arguments", in CPython's order; 3.13+ suggests a keyword).
    CmFactoryBadArgs = "16.2",
}

impl Rule {
    /// A short kebab-case name, stable for reports and corpus file names.
    pub fn name(self) -> String {
        let dbg = format!("{self:?}");
        let mut res = String::new();
        for (i, c) in dbg.chars().enumerate() {
            if c.is_ascii_uppercase() {
                if i > 0 {
                    res.push('-');
                }
                res.push(c.to_ascii_lowercase());
            } else {
                res.push(c);
            }
        }
        res
    }

    /// The rule's place in [`Rule::ALL`]: the table declares the enum in that order.
    fn index(self) -> usize {
        self as usize
    }
}

/// How often each rule fired.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    counts: Vec<u64>,
}

impl Coverage {
    /// Records one firing.
    pub fn hit(&mut self, rule: Rule) {
        if self.counts.is_empty() {
            self.counts = vec![0; Rule::ALL.len()];
        }
        self.counts[rule.index()] += 1;
    }

    /// How often `rule` fired.
    pub fn count(&self, rule: Rule) -> u64 {
        self.counts.get(rule.index()).copied().unwrap_or(0)
    }

    /// Adds another coverage to this one.
    pub fn merge(&mut self, other: &Coverage) {
        for r in Rule::ALL {
            let n = other.count(*r);
            if n > 0 {
                if self.counts.is_empty() {
                    self.counts = vec![0; Rule::ALL.len()];
                }
                self.counts[r.index()] += n;
            }
        }
    }

    /// Whether the rule fired at least once.
    pub fn fired(&self, rule: Rule) -> bool {
        self.count(rule) > 0
    }
}

#[cfg(test)]
mod tests {
    use super::Rule;

    #[test]
    fn every_rule_is_listed_once_at_its_index() {
        for (i, rule) in Rule::ALL.iter().enumerate() {
            assert_eq!(rule.index(), i, "{rule:?}");
        }
    }

    #[test]
    fn names_are_kebab_case_and_sections_are_numbers() {
        assert_eq!(Rule::ExprRaises.name(), "expr-raises");
        assert_eq!(Rule::ExprRaises.section(), "1.2.1");
        assert_eq!(Rule::AclosingGen.section(), "4.5");
        assert!(Rule::ALL.iter().all(|r| r.section().split('.').all(|n| n.parse::<u32>().is_ok())));
    }
}
