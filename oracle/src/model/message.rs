//! The message catalogue: the exact text of every exception the interpreter itself makes
//! (SEMANTICS.md Appendix A), per profile. No other file of the model writes a message; where
//! the text depends on the version, the function takes the profile's [`Quirks`].

use crate::ir::compile::Refused;
use crate::ir::{Bad, ExcClass, Slot};
use crate::profile::Quirks;

use super::rules::Rule;

/// The error for a failed lookup of the protocol on an object of type `ty`. `first_missing` is
/// the slot of the first lookup (in the profile's order) that failed, which says the protocol
/// too; `other_protocol` says the object has the other protocol's two methods (3.14 then
/// suggests the other statement).
pub(crate) fn protocol_error(
    quirks: &Quirks,
    ty: &str,
    first_missing: Slot,
    other_protocol: bool,
) -> (ExcClass, String) {
    let is_async = first_missing.is_async();
    let dunder = first_missing.name();
    if !quirks.protocol_error_is_type_error {
        return (ExcClass::AttributeError, dunder.to_string());
    }
    let base = format!("'{ty}' {}", unsupported_protocol(is_async));
    let mut text = if first_missing.is_exit() || quirks.protocol_error_names_missing_enter {
        format!("{base} (missed {dunder} method)")
    } else {
        base
    };
    // gh-128398: 3.14 suggests the other statement.
    if quirks.protocol_error_suggests_other_statement && other_protocol {
        text.push_str(if is_async {
            " but it supports the context manager protocol. Did you mean to use 'with'?"
        } else {
            " but it supports the asynchronous context manager protocol. Did you mean to use 'async with'?"
        });
    }
    (ExcClass::TypeError, text)
}

/// What 3.11+'s protocol error says of the object, after its type name.
fn unsupported_protocol(is_async: bool) -> String {
    let kind = if is_async { "asynchronous context manager" } else { "context manager" };
    format!("object does not support the {kind} protocol")
}

/// How a protocol error names the type `name` defined in `module`: `tp_name` up to 3.13, and
/// from 3.14 the fully qualified name (`%T`), which leaves out the module only for `builtins`
/// and `__main__`.
pub(crate) fn protocol_type_name(quirks: &Quirks, module: &str, name: String) -> String {
    match module {
        "builtins" | "__main__" => name,
        module if quirks.protocol_error_qualifies_type_name => format!("{module}.{name}"),
        _ => name,
    }
}

/// `__aenter__`/`__aexit__` (`slot`) returned something without `__await__` (§2.3).
pub(crate) fn not_awaitable(slot: Slot, ty: &str) -> String {
    format!("'async with' received an object from {} that does not implement __await__: {ty}", slot.name())
}

/// `__await__` returned something that is not an iterator.
pub(crate) fn await_non_iterator(ty: &str) -> String {
    format!("__await__() returned non-iterator of type '{ty}'")
}

/// An `await` expression on something without `__await__`. 3.14 reworded it (seen on its
/// WebAssembly build; the older text on 3.8–3.13).
pub(crate) fn await_not_awaitable(quirks: &Quirks, ty: &str) -> String {
    if quirks.await_error_is_reworded {
        format!("'{ty}' object can't be awaited")
    } else {
        format!("object {ty} can't be used in 'await' expression")
    }
}

/// Calling a method attribute that is `None`.
pub(crate) fn none_not_callable() -> String {
    "'NoneType' object is not callable".to_string()
}

/// A protocol method of class `class` defined with the wrong arity, called: `def __exit__(self)`
/// with the three exception arguments, or `def __enter__(self, x)` with none.
pub(crate) fn wrong_arity(quirks: &Quirks, class: &str, slot: Slot) -> String {
    let func = func_name(quirks, class, slot.name());
    if slot.is_exit() {
        format!("{func} takes 1 positional argument but 4 were given")
    } else {
        format!("{func} missing 1 required positional argument: 'x'")
    }
}

fn func_name(quirks: &Quirks, class: &str, method: &str) -> String {
    if quirks.call_error_names_qualname {
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
pub(crate) fn unpack_count(quirks: &Quirks, expected: usize, got: usize, exact_seq: bool) -> String {
    if got < expected {
        return format!("not enough values to unpack (expected {expected}, got {got})");
    }
    if quirks.unpack_error_names_count && exact_seq {
        return format!("too many values to unpack (expected {expected}, got {got})");
    }
    format!("too many values to unpack (expected {expected})")
}

/// Unpacking `got` values into a target of `fixed` names and one starred name (§8.3).
pub(crate) fn unpack_count_starred(fixed: usize, got: usize) -> String {
    format!("not enough values to unpack (expected at least {fixed}, got {got})")
}

/// Reading a local variable that holds nothing (§8.1).
pub(crate) fn unbound_local(quirks: &Quirks, name: &str) -> String {
    if quirks.unbound_local_error_is_reworded {
        format!("cannot access local variable '{name}' where it is not associated with a value")
    } else {
        format!("local variable '{name}' referenced before assignment")
    }
}

/// Storing attribute `attr` on an object of type `ty` that has no `__dict__` (§8.2, §6 row 28).
pub(crate) fn no_attribute_to_set(quirks: &Quirks, ty: &str, attr: &str) -> String {
    if quirks.attribute_error_names_missing_dict {
        format!("'{ty}' object has no attribute '{attr}' and no __dict__ for setting new attributes")
    } else {
        format!("'{ty}' object has no attribute '{attr}'")
    }
}

/// Storing an item into an object of type `ty` that has no `__setitem__` (§8.2).
pub(crate) fn no_item_assignment(ty: &str) -> String {
    format!("'{ty}' object does not support item assignment")
}

/// Unpacking an object that is not iterable.
pub(crate) fn unpack_non_iterable(ty: &str) -> String {
    format!("cannot unpack non-iterable {ty} object")
}

/// A name the program uses that the profile's Python does not define (`aclosing` before 3.10).
pub(crate) fn name_not_defined(name: &str) -> String {
    format!("name '{name}' is not defined")
}

/// Calling an object whose type has no `__call__`.
pub(crate) fn not_callable(ty: &str) -> String {
    format!("'{ty}' object is not callable")
}

/// An exit stack calls a generator manager `ty` that `push` registered as a plain callable with
/// the three exception details: a `ContextDecorator` (`AsyncContextDecorator` from 3.10) takes
/// one argument; 3.8 and 3.9's async generator managers are not callable at all.
pub(crate) fn decorator_called_with_exc_details(quirks: &Quirks, ty: &str, is_async: bool) -> String {
    let func = match (is_async, quirks.contextlib_async_helpers, quirks.call_error_names_qualname) {
        (true, false, _) => return not_callable(ty),
        (true, true, true) => "AsyncContextDecorator.__call__",
        (true, true, false) => "__call__",
        (false, _, true) => "ContextDecorator.__call__",
        (false, _, false) => "__call__",
    };
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

/// `ExitStack.enter_context` / `enter_async_context` on an object of type `ty`, defined in
/// `module`, lacking the protocol (3.11+): contextlib names the type `module.qualname`.
pub(crate) fn enter_context_unsupported(module: &str, ty: &str, is_async: bool) -> String {
    let kind = if is_async { "asynchronous context manager" } else { "context manager" };
    format!("'{module}.{ty}' object does not support the {kind} protocol")
}

/// Entering a `@contextmanager` object a second time fails at `del self.args`.
pub(crate) fn cm_reentered(quirks: &Quirks, ty: &str) -> String {
    if quirks.cm_reentry_error_is_long {
        format!("'{ty}' object has no attribute 'args'")
    } else {
        "args".to_string()
    }
}

/// A generator manager whose generator finished without yielding.
pub(crate) fn didnt_yield() -> String {
    "generator didn't yield".to_string()
}

/// A generator manager whose generator yielded again when its exit resumed it, with `next()`,
/// `throw()` (`after_throw`) or `athrow()` (`after_throw` and `is_async`).
pub(crate) fn didnt_stop(after_throw: bool, is_async: bool) -> String {
    match (after_throw, is_async) {
        (false, _) => "generator didn't stop",
        (true, false) => "generator didn't stop after throw()",
        (true, true) => "generator didn't stop after athrow()",
    }
    .to_string()
}

/// The RuntimeError PEP 479 makes of a StopIteration (or, for async generators, a
/// StopAsyncIteration) leaving a frame of this kind.
pub(crate) fn pep479(code: Code, class: ExcClass) -> String {
    let what = match class {
        ExcClass::StopAsyncIteration => "StopAsyncIteration",
        _ => "StopIteration",
    };
    format!("{} raised {what}", code.noun())
}

/// The kind of code whose frame an exception leaves, for PEP 479.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Code {
    /// A generator's: StopIteration becomes RuntimeError.
    Generator,
    /// A coroutine's: StopIteration becomes RuntimeError.
    Coroutine,
    /// An async generator's: StopIteration and StopAsyncIteration become RuntimeError.
    AsyncGenerator,
}

impl Code {
    /// What messages call it: "generator", "coroutine", "async generator".
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Code::Generator => "generator",
            Code::Coroutine => "coroutine",
            Code::AsyncGenerator => "async generator",
        }
    }

    /// A generator function's code, async or not.
    pub(crate) fn of_generator(is_async: bool) -> Code {
        if is_async {
            Code::AsyncGenerator
        } else {
            Code::Generator
        }
    }
}

/// `throw()` / `athrow()` refusing its arguments.
pub(crate) fn throw_bad_args(bad: crate::ir::BadThrow) -> String {
    match bad {
        crate::ir::BadThrow::NotAnException => {
            "exceptions must be classes or instances deriving from BaseException, not str"
        }
        crate::ir::BadThrow::SeparateValue => "instance exception may not have a separate value",
        crate::ir::BadThrow::BadTraceback => "throw() third argument must be a traceback object",
    }
    .to_string()
}

/// `send()` / `asend()` of a value other than None to a generator (or coroutine) that never started.
pub(crate) fn send_just_started(code: Code) -> String {
    format!("can't send non-None value to a just-started {}", code.noun())
}

/// An `asend()` (`aclose()`/`athrow()` with `close_or_throw`) awaitable awaited again.
pub(crate) fn cannot_reuse(close_or_throw: bool) -> String {
    let what = if close_or_throw { "aclose()/athrow()" } else { "__anext__()/asend()" };
    format!("cannot reuse already awaited {what}")
}

/// The `str()` of an exception the interpreter instantiates from its class with no arguments
/// (`throw(E1)`): empty, KeyError's included.
pub(crate) fn instantiated() -> String {
    String::new()
}

/// The `str()` of an exception group: its message and how many exceptions it holds.
pub(crate) fn group_str(message: &str, n: usize) -> String {
    let s = if n == 1 { "" } else { "s" };
    format!("{message} ({n} sub-exception{s})")
}

/// `ExceptionGroup(...)` holding an exception that is not an Exception.
pub(crate) fn cannot_nest_base() -> String {
    "Cannot nest BaseExceptions in an ExceptionGroup".to_string()
}

/// A name the profile's Python does not define, used by a program about exception groups.
pub(crate) fn group_names_missing() -> &'static str {
    "exception groups (ExceptionGroup, except*) are new in 3.11"
}

/// `close()` / `aclose()` of a generator (or a coroutine) that yielded (suspended) instead of
/// finishing.
pub(crate) fn ignored_generator_exit(code: Code) -> String {
    format!("{} ignored GeneratorExit", code.noun())
}

/// The `str()` of an exception the program raises as `class(label)`: the label, but a KeyError
/// prints the repr of its argument (labels need no escaping).
pub(crate) fn raised_by_program(class: ExcClass, label: &str) -> String {
    match class {
        ExcClass::KeyError => format!("'{label}'"),
        _ => label.to_string(),
    }
}

/// The SyntaxError message of a construct CPython refuses to compile (SEMANTICS-ADDENDUM
/// §8.5–§8.7); `None` where this profile compiles it.
pub(crate) fn refused(quirks: &Quirks, r: Refused) -> Option<String> {
    let peg = quirks.peg_parser;
    let bad = |b: Bad| match b {
        Bad::None => "cannot assign to None",
        Bad::True => "cannot assign to True",
        Bad::Call => "cannot assign to function call",
        Bad::Literal => "cannot assign to literal",
    };
    let text = match r {
        Refused::Target(b) => bad(b),
        Refused::TrailingComma(b) if peg => bad(b),
        Refused::StarAlone if peg => "starred assignment target must be in a list or tuple",
        Refused::Stars if peg => "multiple starred expressions in assignment",
        Refused::Stars => "two starred expressions in assignment",
        Refused::ParenTargets if peg => return None,
        Refused::TrailingComma(_) | Refused::StarAlone | Refused::ParenTargets => "invalid syntax",
        Refused::AsyncWith => "'async with' outside async function",
        Refused::TooDeep => "too many statically nested blocks",
    };
    Some(text.to_string())
}

/// The rule behind an exception an interpreter raised, when its type and message are ones only
/// that rule of the model raises, and the message template: an interpreter that raises one where
/// the model raises nothing from that template applied the rule where CPython does not, and
/// triage names the rule (PyPy refusing to await an `athrow()` again shows as "cannot reuse"
/// wherever the generator went on in CPython). Only messages no other rule and no program writes
/// are here. The template tells a wrong variant of the model's own message ("generator raised
/// StopIteration" in a coroutine) from an exception the model does not raise at all.
pub fn rule_raising(ty: &str, message: &str) -> Option<(Rule, &'static str)> {
    use crate::ir::BadThrow;
    let is = |t: &str, m: String| ty == t && message == m;
    // Raised by async-gen-awaitable-throw-reused too, whose family (triage's `awaitable-reused`)
    // this names.
    if is("RuntimeError", cannot_reuse(false)) || is("RuntimeError", cannot_reuse(true)) {
        return Some((Rule::AsyncGenAwaitableReused, "cannot_reuse"));
    }
    let bad = [BadThrow::NotAnException, BadThrow::SeparateValue, BadThrow::BadTraceback];
    if bad.into_iter().any(|b| is("TypeError", throw_bad_args(b))) {
        return Some((Rule::GenThrowBadArgs, "throw_bad_args"));
    }
    let codes = [Code::Generator, Code::Coroutine, Code::AsyncGenerator];
    if codes.into_iter().any(|c| is("TypeError", send_just_started(c))) {
        return Some((Rule::GenSendJustStarted, "send_just_started"));
    }
    // The protocol error of 3.11+ (its type name varies; the wording does not).
    if ty == "TypeError" {
        for (is_async, rule) in [(true, Rule::AsyncLacksExit), (false, Rule::LacksExit)] {
            if message.contains(&unsupported_protocol(is_async)) {
                return Some((rule, "protocol_error"));
            }
        }
    }
    // PEP 479's conversion where CPython has none (a StopIteration thrown into a generator that
    // never started is raised as it is, its frame never ran).
    for (code, rule) in [
        (Code::Generator, Rule::GeneratorStopIteration),
        (Code::Coroutine, Rule::CoroutineStopIteration),
        (Code::AsyncGenerator, Rule::AsyncGeneratorStopIteration),
    ] {
        let classes = [ExcClass::StopIteration, ExcClass::StopAsyncIteration];
        if classes.into_iter().any(|c| is("RuntimeError", pep479(code, c))) {
            return Some((rule, "pep479"));
        }
    }
    None
}

/// How a call of Python function `func` (named as the error names it) fails to bind its arguments
/// (SEMANTICS-ADDENDUM §16.2); CPython's `initialize_locals` reports the first it meets of these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum BadCall<'a> {
    /// A keyword that names no parameter, with the parameter 3.13+ suggests instead.
    Unexpected(&'a str, Option<&'a str>),
    /// A keyword for a parameter a positional argument already filled.
    Multiple(&'a str),
    /// `takes` positional parameters, `given` positional arguments, `kw_only` keyword-only
    /// arguments given.
    TooMany { takes: usize, given: usize, kw_only: usize },
    /// Positional (with `false`, keyword-only) parameters left without an argument.
    Missing(bool, Vec<&'a str>),
}

/// The TypeError of a call that cannot bind its arguments.
pub(crate) fn bad_call(quirks: &Quirks, func: &str, bad: &BadCall<'_>) -> String {
    let s = |n: usize| if n == 1 { "" } else { "s" };
    match bad {
        BadCall::Unexpected(name, near) => {
            let hint = match near {
                Some(p) if quirks.unexpected_keyword_suggests => format!(". Did you mean '{p}'?"),
                _ => String::new(),
            };
            format!("{func}() got an unexpected keyword argument '{name}'{hint}")
        }
        BadCall::Multiple(name) => format!("{func}() got multiple values for argument '{name}'"),
        BadCall::TooMany { takes, given, kw_only } => {
            let kw = if *kw_only > 0 {
                format!(" positional argument{} (and {kw_only} keyword-only argument{})", s(*given), s(*kw_only))
            } else {
                String::new()
            };
            let were = if *given == 1 && *kw_only == 0 { "was" } else { "were" };
            format!("{func}() takes {takes} positional argument{} but {given}{kw} {were} given", s(*takes))
        }
        BadCall::Missing(positional, names) => {
            let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
            let list = match quoted.as_slice() {
                [one] => one.clone(),
                [a, b] => format!("{a} and {b}"),
                [init @ .., last] => format!("{}, and {last}", init.join(", ")),
                [] => String::new(),
            };
            let kind = if *positional { "positional" } else { "keyword-only" };
            format!("{func}() missing {} required {kind} argument{}: {list}", names.len(), s(names.len()))
        }
    }
}
