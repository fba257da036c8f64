//! The exact texts of the exceptions the interpreter itself raises (SEMANTICS.md Appendix A),
//! per profile. Every version-dependent string lives here.

use crate::ir::ExcClass;
use crate::profile::Profile;

/// A protocol lookup that failed: which method was missing, and what the other lookup found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Missing {
    /// `__enter__` (or `__aenter__`) is missing.
    Enter,
    /// `__exit__` (or `__aexit__`) is missing.
    Exit,
}

/// The error for a failed lookup of the protocol on an object of type `ty`. `first_missing` is
/// the first lookup (in the profile's order) that failed; `other_protocol` says the object has
/// the other protocol's two methods (3.14 then suggests the other statement).
pub(crate) fn protocol_error(
    profile: Profile,
    ty: &str,
    first_missing: Missing,
    is_async: bool,
    other_protocol: bool,
) -> (ExcClass, String) {
    let a = if is_async { "a" } else { "" };
    let dunder = match first_missing {
        Missing::Enter => format!("__{a}enter__"),
        Missing::Exit => format!("__{a}exit__"),
    };
    if !profile.at_least(11) {
        return (ExcClass::AttributeError, dunder);
    }
    let kind = if is_async { "asynchronous context manager" } else { "context manager" };
    let base = format!("'{ty}' object does not support the {kind} protocol");
    let mut text = match (first_missing, profile.at_least(14)) {
        (Missing::Exit, _) | (Missing::Enter, true) => format!("{base} (missed {dunder} method)"),
        (Missing::Enter, false) => base,
    };
    // gh-128398: 3.14 suggests the other statement.
    if profile.at_least(14) && other_protocol {
        text.push_str(if is_async {
            " but it supports the context manager protocol. Did you mean to use 'with'?"
        } else {
            " but it supports the asynchronous context manager protocol. Did you mean to use 'async with'?"
        });
    }
    (ExcClass::TypeError, text)
}

/// `__aenter__`/`__aexit__` returned something without `__await__` (§2.3).
pub(crate) fn not_awaitable(which: &str, ty: &str) -> String {
    format!("'async with' received an object from {which} that does not implement __await__: {ty}")
}

/// `__await__` returned something that is not an iterator.
pub(crate) fn await_non_iterator(ty: &str) -> String {
    format!("__await__() returned non-iterator of type '{ty}'")
}

/// Calling a method attribute that is `None`.
pub(crate) fn none_not_callable() -> String {
    "'NoneType' object is not callable".to_string()
}

/// `def __exit__(self)` called with the three exception arguments.
pub(crate) fn exit_takes_one(profile: Profile, class: &str, dunder: &str) -> String {
    format!("{} takes 1 positional argument but 4 were given", func_name(profile, class, dunder))
}

/// `def __enter__(self, x)` called with no argument.
pub(crate) fn enter_missing_arg(profile: Profile, class: &str, dunder: &str) -> String {
    format!("{} missing 1 required positional argument: 'x'", func_name(profile, class, dunder))
}

fn func_name(profile: Profile, class: &str, method: &str) -> String {
    // bpo-40679: 3.10 started naming functions by their qualname in call errors.
    if profile.at_least(10) {
        format!("{class}.{method}()")
    } else {
        format!("{method}()")
    }
}

/// A bare `raise` with nothing being handled.
pub(crate) fn no_active_exception() -> String {
    "No active exception to reraise".to_string()
}

/// `raise None`.
pub(crate) fn must_derive() -> String {
    "exceptions must derive from BaseException".to_string()
}

/// `__bool__` returned something that is not a bool.
pub(crate) fn bool_returned(ty: &str) -> String {
    format!("__bool__ should return bool, returned {ty}")
}

/// `__len__` returned a negative number.
pub(crate) fn len_negative() -> String {
    "__len__() should return >= 0".to_string()
}

/// Unpacking `got` values (from a tuple or a str when `exact_seq`) into `expected` targets.
pub(crate) fn unpack_count(profile: Profile, expected: usize, got: usize, exact_seq: bool) -> String {
    if got < expected {
        return format!("not enough values to unpack (expected {expected}, got {got})");
    }
    // gh-122239: 3.14 also names the count for exact list, tuple and dict sources.
    if profile.at_least(14) && exact_seq {
        return format!("too many values to unpack (expected {expected}, got {got})");
    }
    format!("too many values to unpack (expected {expected})")
}

/// Unpacking an object that is not iterable.
pub(crate) fn unpack_non_iterable(ty: &str) -> String {
    format!("cannot unpack non-iterable {ty} object")
}

/// An `await` expression on something without `__await__`. 3.14 reworded it (seen on its
/// WebAssembly build; the older text on 3.8–3.13).
pub(crate) fn await_not_awaitable(profile: Profile, ty: &str) -> String {
    if profile.at_least(14) {
        format!("'{ty}' object can't be awaited")
    } else {
        format!("object {ty} can't be used in 'await' expression")
    }
}

/// Calling an object whose type has no `__call__`.
pub(crate) fn not_callable(ty: &str) -> String {
    format!("'{ty}' object is not callable")
}

/// Calling `ContextDecorator.__call__(self, func)` with the three exception details; 3.10+
/// name the function by its qualname.
pub(crate) fn decorator_call(func: &str) -> String {
    format!("{func}() takes 2 positional arguments but 4 were given")
}

/// `types.MethodType(None, obj)`: how ExitStack fails to bind an exit attribute that is `None`.
pub(crate) fn method_type_not_callable() -> String {
    "first argument must be callable".to_string()
}

/// Attribute access on a class that lacks the attribute: `type(cm).__exit__` in contextlib.
pub(crate) fn type_has_no_attribute(ty: &str, attr: &str) -> String {
    format!("type object '{ty}' has no attribute '{attr}'")
}

/// `ExitStack.enter_context` / `enter_async_context` on an object lacking the protocol (3.11+);
/// `qualified` is `module.qualname`.
pub(crate) fn enter_context_unsupported(qualified: &str, is_async: bool) -> String {
    let kind = if is_async { "asynchronous context manager" } else { "context manager" };
    format!("'{qualified}' object does not support the {kind} protocol")
}

/// Entering a `@contextmanager` object a second time fails at `del self.args` (bpo-43857 gave
/// the long form in 3.11).
pub(crate) fn cm_reentered(profile: Profile, ty: &str) -> String {
    if profile.at_least(11) {
        format!("'{ty}' object has no attribute 'args'")
    } else {
        "args".to_string()
    }
}

/// The RuntimeError PEP 479 makes of a StopIteration (or, for async generators, a
/// StopAsyncIteration) leaving a frame of this kind.
pub(crate) fn pep479(frame: Frame, class: ExcClass) -> String {
    let what = match class {
        ExcClass::StopAsyncIteration => "StopAsyncIteration",
        _ => "StopIteration",
    };
    let frame = match frame {
        Frame::Generator => "generator",
        Frame::Coroutine => "coroutine",
        Frame::AsyncGenerator => "async generator",
    };
    format!("{frame} raised {what}")
}

/// The kind of frame an exception leaves, for PEP 479.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Frame {
    /// A generator's: StopIteration becomes RuntimeError.
    Generator,
    /// A coroutine's: StopIteration becomes RuntimeError.
    Coroutine,
    /// An async generator's: StopIteration and StopAsyncIteration become RuntimeError.
    AsyncGenerator,
}

impl Frame {
    /// A generator function's frame, async or not.
    pub(crate) fn of_generator(is_async: bool) -> Frame {
        if is_async {
            Frame::AsyncGenerator
        } else {
            Frame::Generator
        }
    }
}

/// `close()` / `aclose()` of a generator that yielded instead of finishing.
pub(crate) fn ignored_generator_exit(is_async: bool) -> String {
    if is_async {
        "async generator ignored GeneratorExit".to_string()
    } else {
        "generator ignored GeneratorExit".to_string()
    }
}
