//! The worker wire protocol, version [`PROTO_VERSION`]: request framing, the handshake, and the
//! strict decoding of an answer into a [`Trace`].
//!
//! These types mirror what `worker.py` and the prelude send, not the model's internals: the
//! protocol can change (and bump its version) without touching `crate::trace`, and the reverse.
//! Anything that does not match the shapes below exactly is a protocol violation.
//!
//! Every decoder here takes untrusted bytes from an interpreter under test and never panics on
//! any input (the `proto` fuzz target checks that).

use std::fmt;

use serde::Deserialize;
use serde_json::Value;

use super::InterpreterInfo;
use crate::capability::{Capabilities, Capability};
use crate::trace::{Event, ExcDetail, ExcRef, Outcome, Trace};

/// The protocol version this runner speaks; the handshake must announce the same.
pub const PROTO_VERSION: u64 = 1;

/// The exit status with which the driver says "out of memory": a `MemoryError` reached it, or
/// showed in the trace of a program.
pub const OUT_OF_MEMORY_EXIT: i32 = 86;

/// Frames one request: the decimal byte length, a newline, then the UTF-8 bytes.
pub fn frame(source: &str) -> Vec<u8> {
    let mut res = Vec::with_capacity(source.len() + 8);
    frame_into(&mut res, source);
    res
}

/// Appends the frame of `source` to `out`.
pub fn frame_into(out: &mut Vec<u8>, source: &str) {
    use std::io::Write;
    let _ = writeln!(out, "{}", source.len());
    out.extend_from_slice(source.as_bytes());
}

/// How a request for a compiled program starts: the worker then imports a module instead of
/// compiling source (see [`import_request`]).
pub const IMPORT_PREFIX: &str = "#withstand:import ";

/// The request that runs a compiled program: import `module` (a dotted name) from the directory
/// `path` and run its `main`, driven as a coroutine when `is_async`. The module imports the
/// prelude as `withstand_prelude`, which the worker provides. An import that fails is answered
/// as the outcome `["compile", "import failed: <type>: <message>"]`.
pub fn import_request(path: &str, module: &str, is_async: bool) -> String {
    let req = serde_json::json!({ "path": path, "module": module, "async": is_async });
    format!("{IMPORT_PREFIX}{req}")
}

/// What the worker says before the message of a compiled module that did not import.
pub const IMPORT_FAILED: &str = "import failed: ";

/// Appends the frame of `source` for the batch driver's stdin (`batch.py` with `_STREAM`): the
/// length in characters, a newline, then the UTF-8 bytes. Characters, because that is what a
/// text stdin's `read(n)` counts on every implementation.
pub fn frame_chars_into(out: &mut Vec<u8>, source: &str) {
    use std::io::Write;
    let _ = writeln!(out, "{}", source.chars().count());
    out.extend_from_slice(source.as_bytes());
}

/// The first line a worker sends: `{"proto": 1, "implementation": "cpython", ...}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Handshake {
    /// Protocol version, checked against [`PROTO_VERSION`] before the rest is read.
    #[allow(dead_code)]
    pub proto: u64,
    /// `sys.implementation.name`.
    pub implementation: String,
    /// `sys.version_info[:3]`.
    pub version: (u32, u32, u32),
    /// `sys.version`.
    pub version_string: String,
}

/// Why a handshake line was refused.
#[derive(Debug)]
pub enum HandshakeError {
    /// The line is not a withstand handshake at all (a different program answered).
    NotAWorker,
    /// A withstand worker, but of another protocol version.
    Version(Value),
    /// The right version with the wrong fields.
    Malformed(String),
}

/// Decodes the handshake line.
pub fn parse_handshake(line: &str) -> Result<Handshake, HandshakeError> {
    let value: Value = serde_json::from_str(line).map_err(|_| HandshakeError::NotAWorker)?;
    let Some(proto) = value.get("proto") else {
        return Err(HandshakeError::NotAWorker);
    };
    if proto.as_u64() != Some(PROTO_VERSION) {
        return Err(HandshakeError::Version(proto.clone()));
    }
    serde_json::from_value(value).map_err(|e| HandshakeError::Malformed(e.to_string()))
}

/// The answer to the prelude: `{"ok": true, "capabilities": {...}}` or `{"error": "<traceback>"}`.
#[derive(Debug)]
pub enum PreludeReply {
    /// The prelude loaded, and its probe found these capabilities (`None`: no report, as from a
    /// driver before capabilities were probed; such an interpreter is taken to have them all).
    Ok(Option<Capabilities>),
    /// The prelude raised; the traceback text.
    Error(String),
}

/// Decodes the prelude answer; `Err` holds why the line is not one.
pub fn parse_prelude_reply(line: &str) -> Result<PreludeReply, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let Value::Object(obj) = value else {
        return Err("expected an object".to_owned());
    };
    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    match keys.as_slice() {
        ["error"] => match &obj["error"] {
            Value::String(traceback) => Ok(PreludeReply::Error(traceback.clone())),
            other => Err(format!("expected a traceback, found {}", shown(other))),
        },
        ["ok"] | ["capabilities", "ok"] | ["ok", "capabilities"] => {
            if obj["ok"] != Value::Bool(true) {
                return Err(format!("`ok` is {}", shown(&obj["ok"])));
            }
            obj.get("capabilities").map(parse_capabilities).transpose().map(PreludeReply::Ok)
        }
        _ => Err(format!("unknown keys {keys:?}")),
    }
}

/// Decodes the prelude's capability report, `{"contextlib.ExitStack": true, ...}`: a boolean
/// for every [`Capability`] (names the runner does not know are ignored, so that a newer
/// prelude may report more).
pub fn parse_capabilities(v: &Value) -> Result<Capabilities, String> {
    let Value::Object(obj) = v else {
        return Err(format!("expected a capability report, found {}", shown(v)));
    };
    let mut res = Capabilities::NONE;
    for c in Capability::ALL {
        match obj.get(c.name()) {
            Some(Value::Bool(true)) => res = res.with(*c),
            Some(Value::Bool(false)) => {}
            Some(other) => return Err(format!("capability {:?} is {}, not a boolean", c.name(), shown(other))),
            None => return Err(format!("the capability report lacks {:?}", c.name())),
        }
    }
    Ok(res)
}

fn shown(v: &Value) -> String {
    let mut s = v.to_string();
    truncate(&mut s, 80);
    s
}

/// What the batch driver says once the prelude has loaded: `{"implementation": "micropython",
/// "version": [3, 4, 0], "version_string": "...", "capabilities": {...}}`.
pub fn parse_batch_hello(line: &str) -> Result<InterpreterInfo, String> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Hello {
        implementation: String,
        version: (u32, u32, u32),
        version_string: String,
        capabilities: Value,
    }
    let hello: Hello = serde_json::from_str(line).map_err(|e| e.to_string())?;
    Ok(InterpreterInfo {
        implementation: hello.implementation,
        version: hello.version,
        version_string: hello.version_string,
        capabilities: parse_capabilities(&hello.capabilities)?,
    })
}

/// Why an answer line is not a valid trace.
#[derive(Debug, PartialEq, Eq)]
pub enum Violation {
    /// Not the shape of a trace: what was expected and what was found.
    Malformed(String),
    /// A well-formed trace with more events than the limit: how many it has.
    TooManyEvents(usize),
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::Malformed(why) => f.write_str(why),
            Violation::TooManyEvents(n) => write!(f, "{n} events"),
        }
    }
}

type Res<T> = Result<T, Violation>;

fn bad<T>(what: &str, v: &Value) -> Res<T> {
    let mut shown = v.to_string();
    truncate(&mut shown, 120);
    Err(Violation::Malformed(format!("expected {what}, found {shown}")))
}

/// Cuts `s` to at most `max` bytes (on a character boundary), marking the cut with `...`.
pub fn truncate(s: &mut String, max: usize) {
    if s.len() <= max {
        return;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s.push_str("...");
}

/// Decodes one answer to a program: `{"events": [...], "outcome": [...]}`, with at most
/// `max_events` events.
pub fn parse_run_reply(line: &[u8], max_events: usize) -> Res<Trace> {
    let value: Value = match serde_json::from_slice(line) {
        Ok(it) => it,
        Err(e) => return Err(Violation::Malformed(format!("not JSON: {e}"))),
    };
    let Value::Object(mut obj) = value else {
        return bad("an object", &value);
    };
    if let Some(err) = obj.get("error") {
        return Err(Violation::Malformed(format!("the worker failed: {}", err.as_str().unwrap_or("?"))));
    }
    if obj.len() != 2 {
        let keys: Vec<&String> = obj.keys().collect();
        return Err(Violation::Malformed(format!("expected keys events and outcome, found {keys:?}")));
    }
    let (Some(events), Some(outcome)) = (obj.remove("events"), obj.remove("outcome")) else {
        return Err(Violation::Malformed("expected keys events and outcome".to_owned()));
    };
    let Value::Array(events) = events else {
        return bad("an event list", &events);
    };
    if events.len() > max_events {
        return Err(Violation::TooManyEvents(events.len()));
    }
    let events = events.iter().map(event).collect::<Res<Vec<_>>>()?;
    let outcome = self::outcome(&outcome)?;
    Ok(Trace { events, outcome })
}

fn tuple<'a>(v: &'a Value, what: &str) -> Res<&'a [Value]> {
    match v {
        Value::Array(items) => Ok(items),
        _ => bad(what, v),
    }
}

fn string(v: &Value) -> Res<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        _ => bad("a string", v),
    }
}

fn boolean(v: &Value) -> Res<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        _ => bad("a boolean", v),
    }
}

/// `null` or `[type_name, message, id]`.
fn exc_ref(v: &Value) -> Res<Option<ExcRef>> {
    if v.is_null() {
        return Ok(None);
    }
    let [ty, msg, id] = tuple(v, "an exception reference")? else {
        return bad("an exception reference [type, message, id]", v);
    };
    let Some(id) = id.as_u64().and_then(|id| u32::try_from(id).ok()).filter(|&id| 0 < id) else {
        return bad("a positive exception number", id);
    };
    Ok(Some(ExcRef { ty: string(ty)?, msg: Some(string(msg)?), id }))
}

/// `[ref, context_ref, cause_ref, suppress_context]`, where `ref` is not null, and for an
/// exception group a fifth item: the non-empty list of the refs of what it holds.
fn detail(v: &Value) -> Res<ExcDetail> {
    let (exc, context, cause, suppress, leaves) = match tuple(v, "an exception detail")? {
        [exc, context, cause, suppress] => (exc, context, cause, suppress, Vec::new()),
        [exc, context, cause, suppress, leaves] => {
            let leaves = tuple(leaves, "the exceptions of a group")?;
            if leaves.is_empty() {
                return bad("the non-empty list of the exceptions of a group", v);
            }
            let refs = leaves
                .iter()
                .map(|l| exc_ref(l)?.map_or_else(|| bad("an exception", l), Ok))
                .collect::<Res<Vec<_>>>()?;
            (exc, context, cause, suppress, refs)
        }
        _ => return bad("an exception detail [exc, context, cause, suppress_context(, exceptions)]", v),
    };
    let Some(exc) = exc_ref(exc)? else {
        return bad("an exception", exc);
    };
    Ok(ExcDetail {
        exc,
        context: exc_ref(context)?,
        cause: exc_ref(cause)?,
        suppress_context: boolean(suppress)?,
        leaves,
    })
}

fn event(v: &Value) -> Res<Event> {
    let items = tuple(v, "an event")?;
    let Some((Value::String(kind), args)) = items.split_first() else {
        return bad("an event [kind, ...]", v);
    };
    let res = match (kind.as_str(), args) {
        ("init", [mgr]) => Event::Init { mgr: string(mgr)? },
        ("enter" | "aenter", [mgr, info]) => {
            Event::Enter { mgr: string(mgr)?, is_async: kind == "aenter", info: exc_ref(info)? }
        }
        ("exit" | "aexit", [mgr, exc, consistent, info]) => Event::Exit {
            mgr: string(mgr)?,
            is_async: kind == "aexit",
            exc: exc_ref(exc)?,
            consistent: boolean(consistent)?,
            info: exc_ref(info)?,
        },
        ("call" | "acall", [label, exc, consistent, info]) => Event::Call {
            label: string(label)?,
            is_async: kind == "acall",
            exc: exc_ref(exc)?,
            consistent: boolean(consistent)?,
            info: exc_ref(info)?,
        },
        ("callback" | "acallback", [label, info]) => {
            Event::Callback { label: string(label)?, is_async: kind == "acallback", info: exc_ref(info)? }
        }
        ("await", [label]) => Event::Await { label: string(label)? },
        ("close", [label]) => Event::Close { label: string(label)? },
        ("gen-yield", [label, value]) => Event::GenYield { label: string(label)?, value: string(value)? },
        ("gen-end", [label]) => Event::GenEnd { label: string(label)? },
        ("gen-closed", [label]) => Event::GenClosed { label: string(label)?, value: None },
        ("gen-closed", [label, value]) => Event::GenClosed { label: string(label)?, value: Some(string(value)?) },
        ("gen-cleanup", [label, exc]) => {
            let Some(exc) = exc_ref(exc)? else { return bad("an exception", exc) };
            Event::GenCleanup { label: string(label)?, exc }
        }
        ("suspend", [label]) => Event::Suspend { label: string(label)? },
        ("inst", [mgr, method]) => Event::InstanceMethod { mgr: string(mgr)?, method: string(method)? },
        ("get", [mgr, method]) => Event::Get { mgr: string(mgr)?, method: string(method)? },
        ("bool", [label]) => Event::Bool { label: string(label)? },
        ("len", [label]) => Event::Len { label: string(label)? },
        ("log", [label, info]) => Event::Log { label: string(label)?, info: exc_ref(info)? },
        ("var", [name, value]) => Event::Var { name: string(name)?, value: string(value)? },
        ("store", [label, key, value]) => {
            Event::Store { label: string(label)?, key: string(key)?, value: string(value)? }
        }
        ("ret", [label]) => Event::Ret { label: string(label)? },
        ("handler", [label, exc]) => Event::Handler { label: string(label)?, exc: detail(exc)? },
        ("finally", [label, info]) => Event::Finally { label: string(label)?, info: exc_ref(info)? },
        ("leaked", [info]) => {
            let Some(info) = exc_ref(info)? else { return bad("an exception", info) };
            Event::Leaked { info }
        }
        _ => return bad("a known event", v),
    };
    Ok(res)
}

fn outcome(v: &Value) -> Res<Outcome> {
    let items = tuple(v, "an outcome")?;
    let res = match items {
        [Value::String(kind), Value::String(value)] if kind == "return" => Outcome::Returned(value.clone()),
        [Value::String(kind), Value::String(msg)] if kind == "compile" => Outcome::CompileError(msg.clone()),
        [Value::String(kind), Value::Array(chain)] if kind == "raise" && !chain.is_empty() => {
            Outcome::Raised(chain.iter().map(detail).collect::<Res<Vec<_>>>()?)
        }
        _ => return bad("an outcome", v),
    };
    Ok(res)
}
