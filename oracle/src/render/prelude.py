# withstand prelude: the instrumentation every generated program uses.
# Events are plain lists so that the worker can send them as JSON and a person can read them.
# It also runs on small implementations (MicroPython): what they lack is probed by _capabilities()
# at the end, no program uses what is missing, and the helpers below do without it.
import sys

try:
    from contextlib import AsyncExitStack, ExitStack, asynccontextmanager, closing, contextmanager, nullcontext, suppress
except ImportError:  # no contextlib, or not all of it: what there is

    def _some_contextlib():
        try:
            import contextlib
        except ImportError:
            return
        g = globals()
        for name in ("AsyncExitStack", "ExitStack", "asynccontextmanager", "closing", "contextmanager"):
            if hasattr(contextlib, name):
                g[name] = getattr(contextlib, name)
        for name in ("nullcontext", "suppress"):
            if hasattr(contextlib, name):
                g[name] = getattr(contextlib, name)

    _some_contextlib()

try:
    from contextlib import aclosing
except ImportError:  # before 3.10
    pass

try:
    from contextlib import ContextDecorator
except ImportError:  # an implementation without it
    pass

_T = []  # the events, in order
_S = []  # exception objects in the order they were first observed (never id() or addresses)
_G = []  # (label, generator) stepped by step/astep, finished by _finish if left suspended


def _reset():
    del _T[:]
    del _S[:]
    del _G[:]


def _ref(e):
    if e is None:
        return None
    for i, x in enumerate(_S):
        if x is e:
            return [type(e).__name__, _str(e), i + 1]
    _S.append(e)
    return [type(e).__name__, _str(e), len(_S)]


def _str(e):
    try:
        return str(e)
    except BaseException:
        return "<str() failed>"


try:
    _BEG = BaseExceptionGroup
except NameError:  # before 3.11
    _BEG = ()


def _detail(e):
    d = [_ref(e), _ref(e.__context__), _ref(e.__cause__), bool(e.__suppress_context__)]
    if isinstance(e, _BEG):
        d.append([_ref(x) for x in e.exceptions])
    return d


def _info():
    return _ref(sys.exc_info()[1])


def _has_chains():
    e = ValueError()
    return hasattr(e, "__context__") and hasattr(e, "__cause__") and hasattr(e, "__suppress_context__")


if not _has_chains():  # not all of the chaining to show (MicroPython: none)

    def _detail(e):
        return [
            _ref(e),
            _ref(getattr(e, "__context__", None)),
            _ref(getattr(e, "__cause__", None)),
            bool(getattr(e, "__suppress_context__", False)),
        ]


if not hasattr(sys, "exc_info"):  # except clauses pass what they handle to handler()

    def _info():
        return None


def _show(v):
    if isinstance(v, tuple):
        inner = ", ".join(_show(x) for x in v)
        return "(" + inner + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, list):
        return "[" + ", ".join(_show(x) for x in v) + "]"
    if v is None or isinstance(v, (bool, int, str)):
        return repr(v)
    label = getattr(v, "_label", None)
    if isinstance(label, str):
        return "<" + type(v).__name__ + " " + label + ">"
    return "<" + type(v).__name__ + ">"


class E1(Exception):
    pass


class E2(E1):
    pass


class E3(Exception):
    pass


class B1(BaseException):
    pass


class S1(StopIteration):
    pass


class S2(StopAsyncIteration):
    pass


class Bool:
    """A result object whose truth test logs; `r` is what __bool__ returns, or a class it raises."""

    def __init__(self, label, r):
        self._label = label
        self.r = r

    def __bool__(self):
        _T.append(["bool", self._label])
        if isinstance(self.r, type):
            raise self.r(self._label)
        return self.r


class Closer:
    """A thing for closing(): close() logs, then raises `exc(label)` if `exc` is a class."""

    def __init__(self, label, exc):
        self._label = label
        self.exc = exc

    def close(self):
        _T.append(["close", self._label])
        if self.exc is not None:
            raise self.exc(self._label)


class Len:
    """A result object without __bool__ whose __len__ logs and returns `n`."""

    def __init__(self, label, n):
        self._label = label
        self.n = n

    def __len__(self):
        _T.append(["len", self._label])
        return self.n


class Sink:
    """A target object for `as Sink('o1', None).a` and `as Sink('o1', None)['k']`: a store logs,
    then raises `exc(label)` if `exc` is a class."""

    def __init__(self, label, exc):
        object.__setattr__(self, "_label", label)
        object.__setattr__(self, "_exc", exc)

    def _store(self, key, value):
        _T.append(["store", self._label, key, _show(value)])
        if self._exc is not None:
            raise self._exc(self._label)

    def __setattr__(self, name, value):
        self._store("." + name, value)

    def __setitem__(self, key, value):
        self._store("[" + repr(key) + "]", value)

    def __getitem__(self, key):
        # `Sink('o1', None)['j']['k']`: the item loaded is a sink of its own, named by its path
        # without quotes (`o1[j]`: an exception's message with a quote would be repr'd by KeyError).
        return Sink(self._label + "[" + key + "]", self._exc)


class Nested:
    """A composite manager written by hand, as test_with's: enters its members in order and gives
    the list of their values (when one fails, exits those entered with its exception, which goes
    on even if they suppress it); exits them
    in reverse, each with the exception the ones after it left (none once one returned true), then
    suppresses it or raises the new one."""

    def __init__(self, *managers):
        self.managers = managers
        self.entered = []

    def __enter__(self):
        values = []
        try:
            for m in self.managers:
                values.append(m.__enter__())
                self.entered.append(m)
        except BaseException as e:
            self.__exit__(type(e), e, getattr(e, "__traceback__", None))
            raise
        return values

    def __exit__(self, t, v, tb):
        exc = v
        while self.entered:
            m = self.entered.pop()
            try:
                if exc is None:
                    done = m.__exit__(None, None, None)
                else:
                    done = m.__exit__(type(exc), exc, getattr(exc, "__traceback__", None))
                if done:
                    exc = None
            except BaseException as e:
                exc = e
        if exc is None:
            return v is not None
        if exc is v:
            return False
        raise exc


class descriptor:
    """A descriptor class of its own, not property: `__get__` calls the function with the
    instance (and with None when looked up on the class)."""

    def __init__(self, f):
        self.f = f

    def __get__(self, obj, cls):
        return self.f(obj)


class Fn:
    """A callable object stored in a class as a protocol method: no descriptor, so `with` calls
    it without self. Logs its call as the method would, then returns `r`, or raises
    `r(method)` when `r` is an exception class."""

    def __init__(self, mgr, method, r):
        self.mgr = mgr
        self.method = method
        self.r = r

    def __call__(self, *args):
        kind = self.method.strip("_")
        if kind.endswith("exit"):
            _exit_event(kind, self.mgr, *args)
        else:
            _T.append([kind, self.mgr, _info()])
        if isinstance(self.r, type):
            raise self.r(self.method)
        return self.r


def on_get(mgr, method):
    _T.append(["get", mgr, method])


def on_init(mgr):
    _T.append(["init", mgr])


def on_enter(mgr):
    _T.append(["enter", mgr, _info()])


def _exit_event(kind, mgr, t, v, tb):
    if v is None:
        ok = t is None and tb is None
    else:
        ok = t is type(v) and tb is getattr(v, "__traceback__", None)
    _T.append([kind, mgr, _ref(v), ok, _info()])


def on_exit(mgr, t, v, tb):
    _exit_event("exit", mgr, t, v, tb)


def on_aenter(mgr):
    _T.append(["aenter", mgr, _info()])


def on_aexit(mgr, t, v, tb):
    _exit_event("aexit", mgr, t, v, tb)


class Aw:
    """A hand-made awaitable: logs when awaited, optionally suspends once (yielding its label
    to the driver), then returns `then`, or raises it when it is an exception class."""

    def __init__(self, label, suspend, then):
        self._label = label
        self.suspend = suspend
        self.then = then

    def __await__(self):
        _T.append(["await", self._label])
        return self._run()

    def _run(self):
        if self.suspend:
            yield self._label
        if isinstance(self.then, type):
            raise self.then(self._label)
        return self.then


class _Suspend:
    def __init__(self, label):
        self._label = label

    def __await__(self):
        yield self._label


async def co(label, suspend, then):
    """A coroutine that does what Aw does: logs when it starts running (when awaited),
    optionally suspends once, then returns `then` or raises it when it is an exception class."""
    _T.append(["await", label])
    if suspend:
        await _Suspend(label)
    if isinstance(then, type):
        raise then(label)
    return then


class BadAw:
    """Has __await__, but it returns a non-iterator."""

    def __await__(self):
        return 1


def _await_works():
    class A:
        def __await__(self):
            return iter(())

    async def c():
        await A()

    try:
        c().send(None)
    except StopIteration:
        return True
    except TypeError:
        return False
    return False


_AWAIT = _await_works()
if not _AWAIT:  # `await` takes iterators, not __await__ (MicroPython): await these as such (BadAw stays
    # what it is, an object `await` refuses)
    Aw.__iter__ = Aw.__await__
    _Suspend.__iter__ = _Suspend.__await__


class Xf:
    """An exit function for ExitStack.push: logs its call, then returns `r`, or raises it
    when it is an exception class."""

    def __init__(self, label, r):
        self._label = label
        self.r = r

    def __call__(self, t, v, tb):
        _exit_event("call", self._label, t, v, tb)
        if isinstance(self.r, type):
            raise self.r(self._label)
        return self.r


class AXf:
    """An async exit function for AsyncExitStack.push_async_exit: logs its call, optionally
    suspends once, then returns `r` or raises it."""

    def __init__(self, label, suspend, r):
        self._label = label
        self.suspend = suspend
        self.r = r

    async def __call__(self, t, v, tb):
        _exit_event("acall", self._label, t, v, tb)
        if self.suspend:
            await Aw(self._label, True, None)
        if isinstance(self.r, type):
            raise self.r(self._label)
        return self.r


def cb(label, exc):
    """A callback for ExitStack.callback: logs, then raises `exc(label)` if `exc` is given."""
    _T.append(["callback", label, _info()])
    if exc is not None:
        raise exc(label)


async def acb(label, exc):
    """A callback for AsyncExitStack.push_async_callback."""
    _T.append(["acallback", label, _info()])
    if exc is not None:
        raise exc(label)


def inst(mgr, method):
    def called(*args):
        _T.append(["inst", mgr, method])
        return True

    return called


def log(label):
    _T.append(["log", label, _info()])


def show(name, v):
    _T.append(["var", name, _show(v)])


def ret(label, v):
    _T.append(["ret", label])
    return v


def handler(label, e=None):
    # `e` is given only where the implementation has no sys.exc_info (render::Dialect).
    if e is None:
        e = sys.exc_info()[1]
    _T.append(["handler", label, _detail(e)])


def fin(label):
    _T.append(["finally", label, _info()])


def suppress_if(t, classes):
    return t is not None and issubclass(t, classes)


def _chain(e):
    out = []
    seen = []

    def visit(x):
        if x is None or any(y is x for y in seen):
            return
        seen.append(x)
        out.append(_detail(x))
        visit(getattr(x, "__context__", None))
        visit(getattr(x, "__cause__", None))
        if isinstance(x, _BEG):
            for y in x.exceptions:
                visit(y)

    visit(e)
    return out


def _yshow(v):
    return v if isinstance(v, str) else _show(v)


def _throw(gen, exc):
    # A tuple is spread into throw()'s arguments: the three-argument form and refused ones.
    return gen.throw(*exc) if type(exc) is tuple else gen.throw(exc)


# Whether a generator is finished is read from its frame (gi_frame, ag_frame; cr_frame for a
# coroutine run by drive) where it has one. Compiled generators may have none (Cython's async
# generators have no ag_frame, mypyc's generators no gi_frame), nor has MicroPython: then the
# drivers go by what they saw, `st[0]` (false once an operation ended the generator), and by
# close(), which leaves a generator suspended only when it ignored GeneratorExit. On CPython every
# generator has its frame, and nothing below changes a trace.


def _alive(gen, st):
    if hasattr(gen, "asend"):
        name = "ag_frame"
    elif hasattr(gen, "cr_frame"):
        name = "cr_frame"
    else:
        name = "gi_frame"
    f = getattr(gen, name, _alive)
    if f is _alive:
        return st[0]
    return f is not None


def _ignored(e):
    # The RuntimeError of close() or aclose() on a generator that yielded instead of exiting.
    return isinstance(e, RuntimeError) and str(e).endswith("ignored GeneratorExit")


def _closed(label, r):
    _T.append(["gen-closed", label] if r is None else ["gen-closed", label, _show(r)])


def drive(label, gen, how, k, exc):
    """Runs a generator (or a coroutine, by hand): to exhaustion ('all'), or k items then close(),
    throw(exc) or send(1); 'base+then' then closes it, throws exc into it. Then, in the finally,
    closes it until it is finished, so that nothing is left to the GC."""
    base, _, then = how.partition("+")
    try:
        n = 0
        while base == "all" or n < k:
            try:
                v = gen.send(None)
            except StopIteration:
                _T.append(["gen-end", label])
                if base != "all":
                    return
                break
            n += 1
            _T.append(["gen-yield", label, _yshow(v)])
        if base == "close":
            _closed(label, gen.close())
        elif base == "throw":
            v = _throw(gen, exc)
            _T.append(["gen-yield", label, _yshow(v)])
        elif base == "send":
            v = gen.send(1)
            _T.append(["gen-yield", label, _yshow(v)])
        if then == "close":
            _closed(label, gen.close())
        elif then == "throw":
            v = _throw(gen, exc)
            _T.append(["gen-yield", label, _yshow(v)])
    finally:
        _close(label, gen)


def _close(label, gen):
    """Closes a generator (or a coroutine) until it is finished, logging what each close() raises."""
    st = [True]
    while _alive(gen, st):
        try:
            gen.close()
            st[0] = False
        except BaseException as e:
            _T.append(["gen-cleanup", label, _ref(e)])
            st[0] = _ignored(e)


def _athrow(gen, exc):
    return gen.athrow(*exc) if type(exc) is tuple else gen.athrow(exc)


async def adrive(label, gen, how, k, exc):
    """drive for an async generator, with asend(None), aclose(), athrow(exc) and asend(1); '+again'
    awaits the last awaitable once more. 'anext.throw' ('aclose.throw', 'athrow.throw') throws exc
    into that awaitable by hand; '+again' then logs what that raised and throws into it again,
    '+next' logs it and awaits __anext__() until the end ('all+next': once more, on the exhausted generator). Once aclose() was called, athrow() and aclose() only
    raise StopAsyncIteration while the generator is suspended, so a generator that ignored
    GeneratorExit is finished by resuming it."""
    base, _, then = how.partition("+")
    closed = False
    last = None
    st = [True]

    async def awaited(aw, closing=False):
        # What an awaitable gives, keeping st: an exception ends the generator, but for aclose()'s
        # RuntimeError of a generator that ignored GeneratorExit; a completed aclose() ends it too.
        try:
            v = await aw
        except BaseException as e:
            st[0] = closing and _ignored(e)
            raise
        if closing:
            st[0] = False
        return v

    try:
        n = 0
        while base == "all" or n < k:
            last = gen.asend(None)
            try:
                v = await awaited(last)
            except StopAsyncIteration:
                _T.append(["gen-end", label])
                if base != "all":
                    return
                break
            n += 1
            _T.append(["gen-yield", label, _yshow(v)])
        if base == "close":
            closed = True
            last = gen.aclose()
            await awaited(last, True)
            _T.append(["gen-closed", label])
        elif base == "throw":
            last = _athrow(gen, exc)
            v = await awaited(last)
            _T.append(["gen-yield", label, _yshow(v)])
        elif base == "send":
            last = gen.asend(1)
            v = await awaited(last)
            _T.append(["gen-yield", label, _yshow(v)])
        elif base.endswith(".throw"):
            op = base[:-6]
            last = gen.__anext__() if op == "anext" else gen.aclose() if op == "aclose" else _athrow(gen, exc)
            closing = op == "aclose"
            try:
                await _thrown_into(label, last, exc, closing, awaited)
            except BaseException as e:
                if then != "again" and then != "next":
                    raise
                # What the first throw raised is logged, and the same awaitable is thrown into
                # again ('+next': __anext__() awaited), outside this handler.
                _T.append(["gen-cleanup", label, _ref(e)])
            if then == "again":
                await _thrown_into(label, last, exc, closing, awaited)
            elif then == "next":
                await _anexts(label, gen, awaited)
            return
        if then == "close":
            closed = True
            last = gen.aclose()
            await awaited(last, True)
            _T.append(["gen-closed", label])
        elif then == "throw":
            last = _athrow(gen, exc)
            v = await awaited(last)
            _T.append(["gen-yield", label, _yshow(v)])
        elif then == "again":
            await awaited(last)
        elif then == "next":
            await _anexts(label, gen, awaited)
    finally:
        await _afinish(label, gen, closed, st)


async def _anexts(label, gen, awaited):
    # __anext__() awaited until StopAsyncIteration.
    while True:
        try:
            v = await awaited(gen.__anext__())
        except StopAsyncIteration:
            _T.append(["gen-end", label])
            return
        _T.append(["gen-yield", label, _yshow(v)])


class _Thrown:
    """Awaits an awaitable the way `await` does, but starts it with its own throw(exc) instead of
    send(None): what it yields (the generator's suspensions) goes on to the driver, and its
    StopIteration ends the await with its value."""

    def __init__(self, aw, exc):
        self._aw = aw
        self._exc = exc

    def __await__(self):
        try:
            v = _throw(self._aw, self._exc)
            while True:
                yield v
                v = self._aw.send(None)
        except StopIteration as e:
            return e.value


async def _thrown_into(label, aw, exc, closing, awaited):
    """throw(exc) into an awaitable of adrive's generator, by hand: an aclose() awaitable's end
    is the generator closed, another's the value it carries."""
    v = await awaited(_Thrown(aw, exc), closing)
    _T.append(["gen-closed", label] if closing else ["gen-yield", label, _yshow(v)])


async def _afinish(label, gen, closed, st):
    while _alive(gen, st):
        try:
            if closed:
                try:
                    v = await gen.asend(None)
                except StopAsyncIteration:
                    _T.append(["gen-end", label])
                    return
                _T.append(["gen-yield", label, _yshow(v)])
            else:
                closed = True
                st[0] = False
                await gen.aclose()
        except BaseException as e:
            _T.append(["gen-cleanup", label, _ref(e)])
            st[0] = _ignored(e)


def _track(label, gen):
    for _, g in _G:
        if g is gen:
            return
    _G.append((label, gen))


def step(label, gen, k):
    """Advances a generator by up to k items and leaves it suspended (for closing() to close)."""
    _track(label, gen)
    for _ in range(k):
        try:
            v = next(gen)
        except StopIteration:
            _T.append(["gen-end", label])
            return
        _T.append(["gen-yield", label, _yshow(v)])


async def astep(label, gen, k):
    """step for an async generator (for aclosing() to close)."""
    _track(label, gen)
    for _ in range(k):
        try:
            v = await gen.asend(None)
        except StopAsyncIteration:
            _T.append(["gen-end", label])
            return
        _T.append(["gen-yield", label, _yshow(v)])


def _finish():
    # A stepped generator that ignored GeneratorExit when closing() closed it is still suspended:
    # finish it here rather than leave it to the garbage collector. An async one was aclose()d.
    # Without ag_frame, whether aclosing() left an async generator suspended cannot be told:
    # it is taken as finished (it is, unless it ignored GeneratorExit).
    for label, gen in _G:
        if hasattr(gen, "asend"):
            _drive(_afinish(label, gen, True, [False]))
        else:
            _close(label, gen)


def _drive(coro):
    # No event loop: the coroutine is driven by hand and every suspension is an event.
    while True:
        try:
            v = coro.send(None)
        except StopIteration as e:
            return e.value
        _T.append(["suspend", v if isinstance(v, str) else repr(v)])


def _outcome(main, is_async=None):
    # `is_async` says whether main is `async def`; by default main's result tells (a compiled
    # coroutine may have a type of another name).
    try:
        v = main()
        if type(v).__name__ in ("coroutine", "generator") if is_async is None else is_async:
            # (MicroPython's coroutines are generators; no main returns one otherwise.)
            v = _drive(v)
    except BaseException as e:
        out = ["raise", _chain(e)]
    else:
        out = ["return", _show(v)]
    _finish()
    _leaked()
    return out


def _leaked():
    # A correct Python has no exception in hand once main is over. One that has (a compiled
    # handler that did not restore the exception state it found) shows it to every program run
    # after in this process: report it as this program's last event, then clear it where the C
    # API is at hand (CPython, the interpreter compilers build for).
    e = _info()
    if e is None:
        return
    _T.append(["leaked", e])
    try:
        import ctypes

        ctypes.pythonapi.PyErr_SetExcInfo(None, None, None)
    except BaseException:
        pass


def _report(main, is_async=None):
    out = _outcome(main, is_async)
    for ev in _T:
        print(*ev)
    print(*out)


def _has_async_generators():
    ns = {}
    try:
        exec("async def g():\n    yield 1\n", ns)
    except SyntaxError:
        return False
    g = ns["g"]()
    return hasattr(g, "asend") and hasattr(g, "athrow") and hasattr(g, "aclose")


def _has_nesting_limit():
    # A function 22 blocks deep, which every CPython refuses (SEMANTICS-ADDENDUM §8.7).
    src = "def f():\n" + "".join("    " * (i + 1) + "with x:\n" for i in range(22)) + "    " * 23 + "pass\n"
    try:
        exec(src, {})
    except SyntaxError:
        return True
    return False


def _capabilities():
    """What this implementation has of what the programs use, by presence (oracle::capability):
    a name for each capability, and whether it is there."""
    try:
        import contextlib
    except ImportError:
        contextlib = None
    res = {}
    for name in (
        "contextmanager",
        "asynccontextmanager",
        "ExitStack",
        "AsyncExitStack",
        "suppress",
        "nullcontext",
        "closing",
        "aclosing",
        "ContextDecorator",
    ):
        res["contextlib." + name] = contextlib is not None and hasattr(contextlib, name)
    res["async-generators"] = _has_async_generators()
    res["__await__"] = _AWAIT
    try:
        raise E1("probe")
    except E1 as e:
        for name in ("__context__", "__cause__", "__suppress_context__", "__traceback__"):
            res[name] = hasattr(e, name)
    res["sys.exc_info"] = hasattr(sys, "exc_info")
    try:
        ExceptionGroup  # noqa: B018
        res["ExceptionGroup"] = True
    except NameError:
        res["ExceptionGroup"] = False
    try:
        import types

        res["types.MethodType"] = hasattr(types, "MethodType")
    except ImportError:
        res["types.MethodType"] = False
    res["__qualname__"] = hasattr(Bool, "__qualname__") and hasattr(Bool.__bool__, "__qualname__")
    res["nesting-limit"] = _has_nesting_limit()
    return res
