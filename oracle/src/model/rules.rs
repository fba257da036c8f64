//! The rules of SEMANTICS.md the model implements, named after their sections, so that
//! `withstand stats` can show which ones generated programs reach.

/// One rule of the protocol. The model records a rule each time a program exercises it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// §1.2.1: the context expression raises; no lookup, enter or exit for that item.
    ExprRaises,
    /// §1.2.3: `__enter__` raises; `__exit__` is not called.
    EnterRaises,
    /// §1.2.4: binding the target fails inside the protected region; `__exit__` gets the error.
    TargetUnpackFails,
    /// §1.2.4: `as (a, b)` unpacks the value of `__enter__`.
    TargetUnpacks,
    /// §1.2/§1.4: `as x` binds the value `__enter__` returned, not the manager.
    TargetBindsEnterValue,
    /// §1.3: methods set only on the instance are ignored by the lookup.
    InstanceAttrIgnored,
    /// §1.3: `__enter__ = None` fails with "'NoneType' object is not callable" at entry.
    EnterIsNone,
    /// §1.3: `__exit__ = None` fails at exit time, after the body ran.
    ExitIsNone,
    /// §1.3: a method with the wrong arity fails as an ordinary call (qualname in 3.10+).
    WrongArity,
    /// §1.4: the body falls off the end; `__exit__(None, None, None)`, result ignored.
    ExitAfterNormalBody,
    /// §1.4: `return` evaluates its value, then calls `__exit__(None, None, None)`.
    ExitAfterReturn,
    /// §1.4: `break` / `continue` call `__exit__(None, None, None)`, then jump.
    ExitAfterBreakContinue,
    /// §1.4: an exception reaches `__exit__` as the very object, with `sys.exc_info()` set to it.
    ExitGetsException,
    /// §1.4: on a normal-path exit `sys.exc_info()` is the exception handled around the `with`.
    ExitSeesOuterHandled,
    /// §1.4: a `return` in a `finally` inside the body swallows the exception.
    FinallyReturnSwallows,
    /// §1.5: a truthy `__exit__` result suppresses the exception.
    ExitSuppresses,
    /// §1.5: a falsy `__exit__` result re-raises the same object.
    ExitFalsyReraises,
    /// §1.5: the result's `__bool__` runs exactly once, on the exceptional path only.
    ExitResultBool,
    /// §1.5: `__len__` decides the truth of a result that has no `__bool__`.
    ExitResultLen,
    /// §1.5: `__bool__` raising replaces the exception, with the original as context.
    BoolRaises,
    /// §1.5: `__bool__` returning a non-bool gives a TypeError.
    BoolReturnsNonBool,
    /// §1.5: a negative `__len__` gives a ValueError.
    LenNegative,
    /// §1.6: `__exit__` raising on the exceptional path: context is the original.
    ExitRaisesOnException,
    /// §1.6: `__exit__` raising on a normal path replaces the return / break / continue.
    ExitRaisesOnNormalPath,
    /// §1.6: `raise v` or bare `raise` in `__exit__` re-raises the same object, chain unchanged.
    ExitReraisesSame,
    /// §1.6: a bare `raise` with nothing being handled: "No active exception to reraise".
    BareRaiseNothingHandled,
    /// §1.6: `raise None` (`raise v` on a normal path): "exceptions must derive from BaseException".
    RaiseNone,
    /// §1.6: `raise X from Y` sets `__cause__` and `__suppress_context__`.
    RaiseFrom,
    /// §1.6: `raise X from None`.
    RaiseFromNone,
    /// §1.6: implicit chaining: an exception raised while another is handled gets it as context.
    ImplicitChaining,
    /// §1.6: setting a context breaks the cycle it would create.
    ContextCycleBroken,
    /// §1.7: items are entered left to right, each fully before the next expression runs.
    MultiItemOrder,
    /// §1.7: a later item failing exits the earlier items with that exception.
    LaterItemFails,
    /// §1.7: an inner exit suppressing means the outer exit sees `(None, None, None)`.
    InnerSuppressesOuterSeesNone,
    /// §1.7: an inner exit raising passes its exception to the outer exit.
    InnerExitRaisesOuterSees,
    /// §2.1: an object with neither `__enter__` nor `__exit__`.
    LacksBoth,
    /// §2.1: an object with `__exit__` but no `__enter__`.
    LacksEnter,
    /// §2.1: an object with `__enter__` but no `__exit__`.
    LacksExit,
    /// §2.1: a value that is no manager at all (`with 1:`, `with None:`).
    NotAManager,
    /// §2.4: unpacking into the target: too many, not enough, or a non-iterable.
    UnpackMessage,
    /// §2.2: an object with neither `__aenter__` nor `__aexit__` in `async with`.
    AsyncLacksBoth,
    /// §2.2: an object with `__aexit__` but no `__aenter__`.
    AsyncLacksEnter,
    /// §2.2: an object with `__aenter__` but no `__aexit__`.
    AsyncLacksExit,
    /// §2.1/§2.2: a manager of the other protocol used with `with` / `async with`.
    WrongStatementForManager,
    /// §2.3: a plain `def __aenter__`/`__aexit__`: its return value is what gets awaited.
    AsyncPlainDef,
    /// §3: an `async def` method's coroutine is awaited; the target gets the awaited result.
    AsyncDefAwaited,
    /// §3: a hand-made awaitable returned by the method is awaited.
    AsyncAwaitableAwaited,
    /// §3: a suspension inside enter, exit or the body reaches the driver.
    AsyncSuspends,
    /// §2.3: `__await__` returning a non-iterator: TypeError.
    AwaitNonIterator,
    /// §2.3: `__aenter__` returned a non-awaitable: TypeError, `__aexit__` not called.
    AsyncEnterNotAwaitable,
    /// §2.3: `__aexit__` returned a non-awaitable: TypeError on every exit route.
    AsyncExitNotAwaitable,
    /// §1.8: StopIteration leaving a coroutine frame becomes RuntimeError (PEP 479).
    CoroutineStopIteration,
    /// §1.8: StopIteration leaving a generator frame becomes RuntimeError (PEP 479).
    GeneratorStopIteration,
    /// §1.8: a generator with `with` inside runs to exhaustion; exits run as it finishes.
    GenExhausted,
    /// §1.8: `close()` on a generator suspended in a `with`: `__exit__` gets GeneratorExit.
    GenClose,
    /// §1.8: the generator yields after GeneratorExit: "generator ignored GeneratorExit".
    GenCloseIgnored,
    /// §1.8: `__exit__` (or the body) raises during `close()`: `close()` raises it.
    GenCloseRaises,
    /// §1.8: `throw(E)` on a generator suspended in a `with`: `__exit__` gets E.
    GenThrow,
    /// §1.8: the generator returns after `throw()`: StopIteration in the caller.
    GenThrowReturns,
    /// §1.8: an exception thrown into a generator suspended while handling one is chained to it.
    GenThrowChained,
    /// §4: a contextlib manager (`@contextmanager`, `suppress`, `nullcontext`, `closing`) in a `with`.
    ContextlibManager,
    /// §4.1: `__enter__` runs the generator to its yield and returns the yielded value.
    CmEnterYields,
    /// §4.1: the generator raises before yielding: `__enter__` raises it (PEP 479 applies).
    CmEnterRaises,
    /// §4.1: the generator finishes without yielding: RuntimeError "generator didn't yield" from None.
    CmDidntYield,
    /// §4.1: the generator yields again on the normal path: "generator didn't stop", then close().
    CmDidntStop,
    /// §4.1: the generator yields again after throw(): "generator didn't stop after throw()".
    CmDidntStopAfterThrow,
    /// §4.1: the generator catches the thrown exception and finishes: suppressed.
    CmSuppresses,
    /// §4.1: the generator re-raises (or lets through) the thrown exception: the original propagates.
    CmReraisesSame,
    /// §4.1: the generator raises a different exception: it replaces the original.
    CmRaisesOther,
    /// §4.1: a StopIteration from the body, wrapped by PEP 479 in the generator, is unwrapped.
    CmUnwrapsStopIteration,
    /// §4.4: `suppress(*classes)` suppresses the listed classes and their subclasses only.
    SuppressClasses,
    /// §4.4: `suppress()` with no classes suppresses nothing.
    SuppressNothing,
    /// §4.5: `nullcontext(v)` binds v (sync, and async from 3.10).
    Nullcontext,
    /// §4.5: `closing(thing)` calls `thing.close()` on every path.
    ClosingCloses,
    /// §4.5: an exception from `close()` replaces the body exception, chained to it.
    ClosingRaises,
    /// §3: a plain `def` method returns a coroutine object, which is awaited (PEP 479 as a coroutine).
    AsyncCoroutineAwaited,
    /// §2.3: an `await` expression (contextlib's) on a non-awaitable: "object X can't be used in 'await' expression".
    AwaitNotAwaitable,
    /// §1.8: StopIteration or StopAsyncIteration leaving an async generator frame becomes RuntimeError.
    AsyncGeneratorStopIteration,
    /// §3: an async generator with `async with` inside, driven by `asend` to exhaustion.
    AsyncGenExhausted,
    /// §3: `aclose()` on an async generator suspended in a `with`: GeneratorExit reaches the exit.
    AsyncGenClose,
    /// §1.8: the async generator yields after GeneratorExit: "async generator ignored GeneratorExit".
    AsyncGenCloseIgnored,
    /// §3: the exit (or the body) raises during `aclose()`: `aclose()` raises it.
    AsyncGenCloseRaises,
    /// §3: `athrow(E)` on an async generator suspended in a `with`: the exit gets E.
    AsyncGenThrow,
    /// §3: the async generator finishes after `athrow()`: StopAsyncIteration in the caller.
    AsyncGenThrowReturns,
    /// §3: the thrown exception is suppressed and the async generator yields: `athrow()` returns the value.
    AsyncGenThrowYields,
    /// §4.2: `__aenter__` runs the async generator to its yield and returns the yielded value.
    AcmEnterYields,
    /// §4.2: the async generator finishes without yielding: "generator didn't yield" from None.
    AcmDidntYield,
    /// §4.2: the async generator yields again on the normal path: "generator didn't stop", then aclose().
    AcmDidntStop,
    /// §4.2: it yields again after athrow(): "generator didn't stop after athrow()".
    AcmDidntStopAfterAthrow,
    /// §4.2: the async generator catches the thrown exception and finishes: suppressed.
    AcmSuppresses,
    /// §4.2: the async generator re-raises (or lets through) the thrown exception: the original propagates.
    AcmReraisesSame,
    /// §4.2: the async generator raises a different exception: it replaces the original.
    AcmRaisesOther,
    /// §4.2: a Stop(Async)Iteration from the body, wrapped by PEP 479 in the generator, is unwrapped.
    AcmUnwrapsStopIteration,
    /// §4.1/§4.2: entering a generator manager a second time fails at `del self.args` (AttributeError).
    CmReentered,
    /// §4.1/§4.3: the exit of a generator manager that was never entered (pushed on a stack):
    /// `throw()` raises at the generator's start, `next()` runs it to its first yield.
    CmExitUnentered,
    /// §4.3: `enter_context` enters the manager and pushes its exit (after entering succeeds).
    StackEnterContext,
    /// §4.3: `enter_async_context` awaits `__aenter__` and pushes `__aexit__`.
    StackEnterAsyncContext,
    /// §4.3: `enter_context` on an object lacking the protocol: TypeError from None (3.11+), nothing pushed.
    StackEnterUnsupported,
    /// §4.3: an exit attribute that is None cannot be bound: "first argument must be callable".
    StackExitIsNone,
    /// §4.3: `push` / `push_async_exit` of a manager registers its exit method; enter is not called.
    StackPushExit,
    /// §4.3: `push` of an object without an exit method registers the object itself as the callable.
    StackPushCallable,
    /// §4.3: `callback` / `push_async_callback` registers a call that never suppresses.
    StackCallback,
    /// §4.3: `close()` / `aclose()` runs the callbacks at once.
    StackClose,
    /// §4.3: `pop_all()` moves the callbacks to a new stack; the old one exits with none.
    StackPopAll,
    /// §4.3: callbacks run last in, first out.
    StackLifo,
    /// §4.3: a truthy callback suppresses; the callbacks after it see (None, None, None).
    StackCallbackSuppresses,
    /// §4.3: a callback raising replaces the exception; later callbacks see the new one.
    StackCallbackRaises,
    /// §4.3: `_fix_exception_context` points the raised chain at the previous exception, as nesting would.
    StackContextFixed,
    /// §4.3: where nesting would keep the frame's handled exception as context, the stack drops it.
    StackInExceptContextLost,

    /// §4.5: `closing(gen)` closes the generator on exit: GeneratorExit at its yield.
    ClosingGen,
    /// §4.5: `aclosing(agen)` awaits `aclose()` on exit.
    AclosingGen,
}

impl Rule {
    /// Every rule, in SEMANTICS.md order.
    pub const ALL: &'static [Rule] = &[
        Rule::ExprRaises,
        Rule::EnterRaises,
        Rule::TargetUnpackFails,
        Rule::TargetUnpacks,
        Rule::TargetBindsEnterValue,
        Rule::InstanceAttrIgnored,
        Rule::EnterIsNone,
        Rule::ExitIsNone,
        Rule::WrongArity,
        Rule::ExitAfterNormalBody,
        Rule::ExitAfterReturn,
        Rule::ExitAfterBreakContinue,
        Rule::ExitGetsException,
        Rule::ExitSeesOuterHandled,
        Rule::FinallyReturnSwallows,
        Rule::ExitSuppresses,
        Rule::ExitFalsyReraises,
        Rule::ExitResultBool,
        Rule::ExitResultLen,
        Rule::BoolRaises,
        Rule::BoolReturnsNonBool,
        Rule::LenNegative,
        Rule::ExitRaisesOnException,
        Rule::ExitRaisesOnNormalPath,
        Rule::ExitReraisesSame,
        Rule::BareRaiseNothingHandled,
        Rule::RaiseNone,
        Rule::RaiseFrom,
        Rule::RaiseFromNone,
        Rule::ImplicitChaining,
        Rule::ContextCycleBroken,
        Rule::MultiItemOrder,
        Rule::LaterItemFails,
        Rule::InnerSuppressesOuterSeesNone,
        Rule::InnerExitRaisesOuterSees,
        Rule::CoroutineStopIteration,
        Rule::GeneratorStopIteration,
        Rule::GenExhausted,
        Rule::GenClose,
        Rule::GenCloseIgnored,
        Rule::GenCloseRaises,
        Rule::GenThrow,
        Rule::GenThrowReturns,
        Rule::GenThrowChained,
        Rule::AsyncGeneratorStopIteration,
        Rule::AsyncGenCloseIgnored,
        Rule::LacksBoth,
        Rule::LacksEnter,
        Rule::LacksExit,
        Rule::NotAManager,
        Rule::AsyncLacksBoth,
        Rule::AsyncLacksEnter,
        Rule::AsyncLacksExit,
        Rule::WrongStatementForManager,
        Rule::AsyncPlainDef,
        Rule::AwaitNonIterator,
        Rule::AsyncEnterNotAwaitable,
        Rule::AsyncExitNotAwaitable,
        Rule::AwaitNotAwaitable,
        Rule::UnpackMessage,
        Rule::AsyncDefAwaited,
        Rule::AsyncAwaitableAwaited,
        Rule::AsyncSuspends,
        Rule::AsyncCoroutineAwaited,
        Rule::AsyncGenExhausted,
        Rule::AsyncGenClose,
        Rule::AsyncGenCloseRaises,
        Rule::AsyncGenThrow,
        Rule::AsyncGenThrowReturns,
        Rule::AsyncGenThrowYields,
        Rule::ContextlibManager,
        Rule::CmEnterYields,
        Rule::CmEnterRaises,
        Rule::CmDidntYield,
        Rule::CmDidntStop,
        Rule::CmDidntStopAfterThrow,
        Rule::CmSuppresses,
        Rule::CmReraisesSame,
        Rule::CmRaisesOther,
        Rule::CmUnwrapsStopIteration,
        Rule::CmReentered,
        Rule::CmExitUnentered,
        Rule::AcmEnterYields,
        Rule::AcmDidntYield,
        Rule::AcmDidntStop,
        Rule::AcmDidntStopAfterAthrow,
        Rule::AcmSuppresses,
        Rule::AcmReraisesSame,
        Rule::AcmRaisesOther,
        Rule::AcmUnwrapsStopIteration,
        Rule::StackEnterContext,
        Rule::StackEnterAsyncContext,
        Rule::StackEnterUnsupported,
        Rule::StackExitIsNone,
        Rule::StackPushExit,
        Rule::StackPushCallable,
        Rule::StackCallback,
        Rule::StackClose,
        Rule::StackPopAll,
        Rule::StackLifo,
        Rule::StackCallbackSuppresses,
        Rule::StackCallbackRaises,
        Rule::StackContextFixed,
        Rule::StackInExceptContextLost,
        Rule::SuppressClasses,
        Rule::SuppressNothing,
        Rule::Nullcontext,
        Rule::ClosingCloses,
        Rule::ClosingRaises,
        Rule::ClosingGen,
        Rule::AclosingGen,
    ];

    /// The SEMANTICS.md section the rule comes from.
    pub fn section(self) -> &'static str {
        match self {
            Rule::ExprRaises => "1.2.1",
            Rule::EnterRaises => "1.2.3",
            Rule::TargetUnpackFails | Rule::TargetUnpacks => "1.2.4",
            Rule::TargetBindsEnterValue => "1.2.4",
            Rule::InstanceAttrIgnored | Rule::EnterIsNone | Rule::ExitIsNone | Rule::WrongArity => "1.3",
            Rule::ExitAfterNormalBody
            | Rule::ExitAfterReturn
            | Rule::ExitAfterBreakContinue
            | Rule::ExitGetsException
            | Rule::ExitSeesOuterHandled
            | Rule::FinallyReturnSwallows => "1.4",
            Rule::ExitSuppresses
            | Rule::ExitFalsyReraises
            | Rule::ExitResultBool
            | Rule::ExitResultLen
            | Rule::BoolRaises
            | Rule::BoolReturnsNonBool
            | Rule::LenNegative => "1.5",
            Rule::ExitRaisesOnException
            | Rule::ExitRaisesOnNormalPath
            | Rule::ExitReraisesSame
            | Rule::BareRaiseNothingHandled
            | Rule::RaiseNone
            | Rule::RaiseFrom
            | Rule::RaiseFromNone
            | Rule::ImplicitChaining
            | Rule::ContextCycleBroken => "1.6",
            Rule::MultiItemOrder
            | Rule::LaterItemFails
            | Rule::InnerSuppressesOuterSeesNone
            | Rule::InnerExitRaisesOuterSees => "1.7",
            Rule::LacksBoth | Rule::LacksEnter | Rule::LacksExit | Rule::NotAManager => "2.1",
            Rule::UnpackMessage => "2.4",
            Rule::AsyncLacksBoth => "2.2",
            Rule::AsyncLacksEnter => "2.2",
            Rule::AsyncLacksExit => "2.2",
            Rule::WrongStatementForManager => "2.2",
            Rule::AsyncPlainDef => "2.3",
            Rule::AsyncDefAwaited => "3",
            Rule::AsyncAwaitableAwaited => "3",
            Rule::AsyncSuspends => "3",
            Rule::AwaitNonIterator => "2.3",
            Rule::AsyncEnterNotAwaitable => "2.3",
            Rule::AsyncExitNotAwaitable => "2.3",
            Rule::CoroutineStopIteration => "1.8",
            Rule::GeneratorStopIteration => "1.8",
            Rule::GenExhausted => "1.8",
            Rule::GenClose => "1.8",
            Rule::GenCloseIgnored => "1.8",
            Rule::GenCloseRaises => "1.8",
            Rule::GenThrow => "1.8",
            Rule::GenThrowReturns => "1.8",
            Rule::GenThrowChained => "1.8",
            Rule::ContextlibManager => "4",
            Rule::CmEnterYields => "4.1",
            Rule::CmEnterRaises => "4.1",
            Rule::CmDidntYield => "4.1",
            Rule::CmDidntStop => "4.1",
            Rule::CmDidntStopAfterThrow => "4.1",
            Rule::CmSuppresses => "4.1",
            Rule::CmReraisesSame => "4.1",
            Rule::CmRaisesOther => "4.1",
            Rule::CmUnwrapsStopIteration => "4.1",
            Rule::SuppressClasses => "4.4",
            Rule::SuppressNothing => "4.4",
            Rule::Nullcontext => "4.5",
            Rule::ClosingCloses => "4.5",
            Rule::ClosingRaises => "4.5",
            Rule::AsyncCoroutineAwaited => "3",
            Rule::AwaitNotAwaitable => "2.3",
            Rule::AsyncGeneratorStopIteration => "1.8",
            Rule::AsyncGenExhausted => "3",
            Rule::AsyncGenClose => "3",
            Rule::AsyncGenCloseIgnored => "1.8",
            Rule::AsyncGenCloseRaises => "3",
            Rule::AsyncGenThrow => "3",
            Rule::AsyncGenThrowReturns => "3",
            Rule::AsyncGenThrowYields => "3",
            Rule::AcmEnterYields => "4.2",
            Rule::AcmDidntYield => "4.2",
            Rule::AcmDidntStop => "4.2",
            Rule::AcmDidntStopAfterAthrow => "4.2",
            Rule::AcmSuppresses => "4.2",
            Rule::AcmReraisesSame => "4.2",
            Rule::AcmRaisesOther => "4.2",
            Rule::AcmUnwrapsStopIteration => "4.2",
            Rule::CmReentered => "4.1",
            Rule::CmExitUnentered => "4.1",
            Rule::StackEnterContext => "4.3",
            Rule::StackEnterAsyncContext => "4.3",
            Rule::StackEnterUnsupported => "4.3",
            Rule::StackExitIsNone => "4.3",
            Rule::StackPushExit => "4.3",
            Rule::StackPushCallable => "4.3",
            Rule::StackCallback => "4.3",
            Rule::StackClose => "4.3",
            Rule::StackPopAll => "4.3",
            Rule::StackLifo => "4.3",
            Rule::StackCallbackSuppresses => "4.3",
            Rule::StackCallbackRaises => "4.3",
            Rule::StackContextFixed => "4.3",
            Rule::StackInExceptContextLost => "4.3",

            Rule::ClosingGen => "4.5",
            Rule::AclosingGen => "4.5",
        }
    }

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

    fn index(self) -> usize {
        Rule::ALL.iter().position(|r| *r == self).expect("every rule is in Rule::ALL")
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
