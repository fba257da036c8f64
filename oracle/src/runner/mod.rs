//! Interpreter workers: the only part of the oracle that starts processes.
//!
//! A [`Worker`] runs programs on one interpreter through one of two transports ([`Transport`]):
//!
//! - **the persistent worker**: one interpreter running the embedded driver script `worker.py`.
//!   Programs are sent as framed requests on the interpreter's stdin; each answer is one JSON
//!   line on a private channel (the interpreter's original stdout, which the driver takes away
//!   from the program before anything runs). The wire format lives in [`proto`].
//! - **one process per batch of programs** (`batch.rs`), for interpreters that cannot host the
//!   worker (MicroPython has no `os.dup`): the programs run as one standalone script
//!   (`batch.py`), each in a fresh namespace, and their answers (the worker's, as JSON) come on
//!   stdout behind a marker. A process that dies or hangs mid-batch costs only the program in
//!   flight: that one is a finding, the rest of the batch runs again in a new process.
//!
//! With [`Transport::Auto`] the worker is tried first and the batch transport used when the
//! worker's handshake fails. Either way the prelude probes the interpreter's
//! [`Capabilities`] in every process started, and a later process that reports other ones is
//! noted ([`Worker::take_capability_changes`]), not silently used. The process, its pipes and
//! its process group live in `process.rs`.
//!
//! The runner owns every timeout and every bound: the driver never decides that a run failed. A
//! case that hangs, crashes the interpreter, runs it out of memory or gets a malformed or
//! over-limit answer is a [`RunResult`] of its own, and the worker is replaced transparently.
//! Only a failure to start a (replacement) interpreter is an [`Error`], and it never takes the
//! results of programs already run with it: see [`Worker::run_each`].
//!
//! Bounds (each a constant here and a field of [`WorkerConfig`]): [`MAX_ANSWER_BYTES`] and
//! [`MAX_EVENTS`] per answer, [`DEFAULT_MEMORY_LIMIT`] of address space per interpreter, a fresh
//! interpreter every [`DEFAULT_RECYCLE_AFTER`] programs, and the per-program timeout.
//!
//! Interpreters run in their own process groups, killed whole on every exit path: when a
//! [`Worker`] is dropped (normal end, or unwinding from a panic), by [`kill_all_workers`] (the
//! binary's SIGINT/SIGTERM handler), and on Linux by the kernel when withstand dies
//! (`PR_SET_PDEATHSIG`, even by SIGKILL). Unix only.

mod process;
mod batch;
pub mod proto;
#[cfg(test)]
mod tests;

use std::fmt;
use std::io;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::capability::Capabilities;
use crate::trace::Trace;
use process::{Limits, Process, Received};

/// The driver script, passed to the interpreter with `-c`.
const WORKER_PY: &str = include_str!("worker.py");

/// How many requests may be in flight at once. The interpreter always finds the next program
/// already waiting in its pipe when it answers one, even when withstand's thread is not scheduled
/// for a few milliseconds on a busy machine; a deeper window only means more programs to re-send
/// after a crash.
const WINDOW: usize = 16;

/// The handshake (interpreter start plus prelude) gets at least this long by default
/// ([`WorkerConfig::start_timeout`]): a cold interpreter behind a version-manager shim can take
/// seconds to start.
pub const MIN_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A restart gets at least this many times the slowest start seen so far: an interpreter whose
/// start takes 12 s on a loaded machine (Pyodide) is not given up on at the floor.
const START_SLACK: u32 = 4;

/// Programs per process in the batch transport, by default ([`WorkerConfig::batch`]).
pub const DEFAULT_BATCH: usize = 200;

/// How much of a malformed answer line a [`RunResult::Garbage`] keeps.
const GARBAGE_SHOWN_BYTES: usize = 1000;

/// The default bound on one answer, in bytes (10 MB): a longer one is [`RunResult::Garbage`] and
/// the interpreter is killed as soon as it has written that much. The model's traces of generated
/// programs are a few KiB; only a flooding program or interpreter gets near it.
pub const MAX_ANSWER_BYTES: usize = 10_000_000;

/// The default bound on the events of one answer (100,000): an answer with more is
/// [`RunResult::Garbage`]. Generated programs log at most a few hundred.
pub const MAX_EVENTS: usize = 100_000;

/// The default address-space limit of an interpreter (`RLIMIT_AS`, 4 GiB). A program that needs
/// more ends as [`RunResult::Crashed`] with a status naming the limit.
pub const DEFAULT_MEMORY_LIMIT: u64 = 4 << 30;

/// By default an interpreter is replaced by a fresh one after this many programs, so that a
/// leak in it cannot grow without end. Starting CPython costs 50-200 ms, a thousandth of the
/// time these programs take.
pub const DEFAULT_RECYCLE_AFTER: u64 = 100_000;

/// The oldest Python the driver and the prelude run on: `contextlib.AsyncExitStack`,
/// `asynccontextmanager` and `nullcontext` are 3.7's.
pub const MIN_PYTHON: (u32, u32) = (3, 7);

/// How programs reach an interpreter and their answers come back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// One persistent interpreter running `worker.py`: fastest, needs `os.dup` and `os.fdopen`.
    Worker,
    /// One process per batch of programs, each program in its own namespace, answers on stdout
    /// behind a marker: needs only `exec` and writing to stdout.
    Process,
    /// The worker, or the process transport when the worker's handshake fails.
    Auto,
}

impl Transport {
    /// `worker`, `process` or `auto`.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Worker => "worker",
            Transport::Process => "process",
            Transport::Auto => "auto",
        }
    }
}

/// How to start an interpreter. Build it with [`WorkerConfig::new`], which sets every bound to its
/// default, then change the fields that need it.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// The interpreter: a path, or a name looked up on `PATH`. Wrapper scripts work.
    pub python: PathBuf,
    /// The prelude source every program is run against (`render/prelude.py`).
    pub prelude: String,
    /// How long one program may run before it counts as hung.
    pub timeout: Duration,
    /// How programs reach the interpreter. Default [`Transport::Worker`].
    pub transport: Transport,
    /// The least time an interpreter gets to start (the handshake and the prelude); a restart
    /// gets more if an earlier start was slow. Default [`MIN_HANDSHAKE_TIMEOUT`].
    pub start_timeout: Duration,
    /// The most programs one process runs in the batch transport. Default [`DEFAULT_BATCH`].
    pub batch: usize,
    /// Whether the process transport may stream programs to one process on its stdin (when the
    /// interpreter reads it; probed), rather than start a process per batch. Default true.
    pub stream: bool,
    /// The address-space limit of the interpreter (`RLIMIT_AS`), in bytes; `None` for none.
    /// Switch it off for interpreters that reserve huge address space up front (Node- or
    /// WebAssembly-based ones). Default [`DEFAULT_MEMORY_LIMIT`].
    pub memory_limit: Option<u64>,
    /// Replace the interpreter by a fresh one after this many programs (at least 1); `None` for
    /// never. Default [`DEFAULT_RECYCLE_AFTER`].
    pub recycle_after: Option<u64>,
    /// The longest answer accepted, in bytes. Default [`MAX_ANSWER_BYTES`].
    pub max_answer_bytes: usize,
    /// The most events an answer may hold. Default [`MAX_EVENTS`].
    pub max_events: usize,
}

impl WorkerConfig {
    /// An interpreter, the prelude and the per-program timeout; every bound at its default.
    pub fn new(python: impl Into<PathBuf>, prelude: impl Into<String>, timeout: Duration) -> WorkerConfig {
        WorkerConfig {
            python: python.into(),
            prelude: prelude.into(),
            timeout,
            transport: Transport::Worker,
            start_timeout: MIN_HANDSHAKE_TIMEOUT,
            batch: DEFAULT_BATCH,
            stream: true,
            memory_limit: Some(DEFAULT_MEMORY_LIMIT),
            recycle_after: Some(DEFAULT_RECYCLE_AFTER),
            max_answer_bytes: MAX_ANSWER_BYTES,
            max_events: MAX_EVENTS,
        }
    }
}

/// What the interpreter said about itself in the handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterpreterInfo {
    /// `sys.implementation.name`, e.g. `cpython` or `pypy`.
    pub implementation: String,
    /// `sys.version_info[:3]`, e.g. `(3, 11, 7)`.
    pub version: (u32, u32, u32),
    /// `sys.version`, for reports.
    pub version_string: String,
    /// What the prelude's probe found it has.
    pub capabilities: Capabilities,
}

/// How one program run ended, from the runner's point of view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunResult {
    /// The program ran (or failed to compile) and the worker answered with its trace.
    Completed(Trace),
    /// No answer within the timeout: `while True: pass`. The interpreter was killed.
    Timeout {
        /// The last few KiB the interpreter wrote to stderr.
        stderr_tail: String,
    },
    /// The interpreter died before answering: `os._exit(3)`, a segfault, or the memory limit.
    Crashed {
        /// How it died: `exit status 3`, `killed by signal 9`, `out of memory (limit 4 GiB)`.
        status: String,
        /// The last few KiB the interpreter wrote to stderr.
        stderr_tail: String,
    },
    /// The answer was not a valid trace, or broke a bound. The interpreter was killed.
    Garbage {
        /// The answer line, truncated; for an answer over a bound, a bracketed sentence naming
        /// the bound comes first: `[answer over the limit of 10000000 bytes (max_answer_bytes)] {"events":...`.
        line: String,
        /// The last few KiB the interpreter wrote to stderr.
        stderr_tail: String,
    },
}

/// Why an interpreter could not be started; every message is one line.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The process could not be created: `python9` is not on `PATH`.
    #[error("cannot start interpreter {python:?}: {}", io_reason(.error))]
    Spawn {
        /// The interpreter as configured.
        python: PathBuf,
        /// What the operating system said.
        error: io::Error,
    },
    /// The process started but is not a Python that can host the worker: `/bin/true`.
    #[error("{python:?} is not a usable Python: {reason}")]
    Handshake {
        /// The interpreter as configured.
        python: PathBuf,
        /// What went wrong, e.g. `it exited before the handshake (exit status 0)`.
        reason: String,
    },
    /// The interpreter said nothing (or did not load the prelude) in time.
    #[error("handshake with {python:?} timed out after {}", seconds(*.after))]
    HandshakeTimeout {
        /// The interpreter as configured.
        python: PathBuf,
        /// How long the runner waited.
        after: Duration,
    },
    /// A withstand worker of another protocol version answered.
    #[error("{python:?} speaks worker protocol {found}, but this runner speaks protocol {expected}")]
    ProtocolVersion {
        /// The interpreter as configured.
        python: PathBuf,
        /// The version the worker announced, as JSON.
        found: String,
        /// The version this runner speaks.
        expected: u64,
    },
    /// The interpreter is a Python the driver cannot run on: Python 2, or 3 before
    /// [`MIN_PYTHON`].
    #[error("{python:?} is Python {}.{}.{}: {}", .version.0, .version.1, .version.2, unsupported(.version))]
    Unsupported {
        /// The interpreter as configured.
        python: PathBuf,
        /// The version it reported.
        version: (u32, u32, u32),
    },
    /// The prelude raised (or the interpreter died) while loading.
    #[error("the prelude failed to load in {python:?}: {summary}")]
    Prelude {
        /// The interpreter as configured.
        python: PathBuf,
        /// The last line of the traceback, or what else went wrong.
        summary: String,
        /// The whole traceback, or the stderr tail.
        detail: String,
    },
    /// Neither transport could start the interpreter: what each needed and did not find.
    #[error("{python:?} cannot run withstand's programs: the persistent worker did not start ({worker}), and neither did one process per batch ({process})")]
    NoTransport {
        /// The interpreter as configured.
        python: PathBuf,
        /// Why the worker did not start.
        worker: String,
        /// Why the batch transport did not start.
        process: String,
    },
    /// The runner itself could not set up its side (threads, pipes, the batch script's file).
    #[error("cannot set up the worker for {python:?}: {}", io_reason(.error))]
    Io {
        /// The interpreter as configured.
        python: PathBuf,
        /// What the operating system said.
        error: io::Error,
    },
}

/// Runs programs on one interpreter, through one of the [`Transport`]s; the interpreter is
/// replaced whenever a program kills it.
pub struct Worker {
    engine: Engine,
    /// How it came to run as it does: `the persistent worker did not start (...)`, a memory
    /// limit left out.
    notes: Vec<String>,
}

/// How a [`Worker`] runs programs. One lives per worker, is built once and never moved in a
/// loop, so the persistent engine's size is not boxed away.
#[allow(clippy::large_enum_variant)]
enum Engine {
    Persistent(Persistent),
    Batch(batch::Batch),
}

/// How a persistent interpreter is spoken to.
enum Channel {
    /// `worker.py`: requests framed by bytes, answers on a private channel.
    Worker,
    /// `batch.py` streaming: requests framed by characters on stdin, answers on stdout behind a
    /// marker, for interpreters that cannot host the worker but read their stdin.
    Stream(batch::Stream),
}

/// A persistent interpreter: one running the worker driver, or a streaming batch process.
struct Persistent {
    config: WorkerConfig,
    channel: Channel,
    min_handshake: Duration,
    info: InterpreterInfo,
    /// The capabilities of the first interpreter, which later ones are compared with.
    first: Capabilities,
    /// Capability changes at restarts not yet taken.
    changes: Vec<String>,
    /// The slowest start so far.
    slowest_start: Duration,
    process: Process,
    /// Programs sent to the current interpreter.
    sent_to_process: u64,
    state: State,
    restarts: u64,
    recycles: u64,
    /// A restart that failed after some programs of a call had run: the next call returns it.
    restart_error: Option<Error>,
}

/// Whether the current interpreter can take programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Live,
    /// Killed after a failed case (or a restart failed): the next program needs a new one.
    Failed,
    /// Ended after [`WorkerConfig::recycle_after`] programs: the next program needs a new one.
    Retired,
}

impl fmt::Debug for Worker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker")
            .field("python", &self.config().python)
            .field("transport", &self.transport())
            .field("info", self.info())
            .field("pid", &self.pid())
            .field("restarts", &self.restarts())
            .field("recycles", &self.recycles())
            .finish()
    }
}

impl Worker {
    /// Starts the interpreter through `config.transport`: the handshake, the prelude, its
    /// capabilities. An interpreter that does not start under the memory limit is tried once
    /// without one (Node- and WebAssembly-based interpreters reserve more address space than
    /// any limit worth setting), and [`Worker::notes`] says so.
    pub fn spawn(config: &WorkerConfig) -> Result<Worker, Error> {
        Worker::spawn_with(config, config.start_timeout)
    }

    /// [`Worker::spawn`] with another floor for the handshake timeout, so tests need not wait.
    fn spawn_with(config: &WorkerConfig, min_handshake: Duration) -> Result<Worker, Error> {
        let mut notes = Vec::new();
        let engine = match config.transport {
            Transport::Worker => Engine::Persistent(unlimited_if_needed(config, &mut notes, |c| {
                Persistent::spawn(c, min_handshake, false)
            })?),
            Transport::Process => process_engine(config, min_handshake, &mut notes)?,
            Transport::Auto => {
                let worker = unlimited_if_needed(config, &mut notes, |c| Persistent::spawn(c, min_handshake, false));
                match worker {
                    Ok(w) => Engine::Persistent(w),
                    Err(Error::Handshake { reason, .. }) => {
                        notes.clear();
                        match process_engine(config, min_handshake, &mut notes) {
                            Ok(engine) => {
                                notes.insert(0, format!("the persistent worker did not start ({reason})"));
                                engine
                            }
                            Err(err) => {
                                return Err(Error::NoTransport {
                                    python: config.python.clone(),
                                    worker: reason,
                                    process: err.to_string(),
                                })
                            }
                        }
                    }
                    Err(err) => return Err(err),
                }
            }
        };
        Ok(Worker { engine, notes })
    }

    /// What the interpreter reported when it started.
    pub fn info(&self) -> &InterpreterInfo {
        match &self.engine {
            Engine::Persistent(p) => &p.info,
            Engine::Batch(b) => b.info(),
        }
    }

    /// The capabilities programs are generated and judged for: those of the first interpreter
    /// started (later ones that report others are noted, see
    /// [`Worker::take_capability_changes`]).
    pub fn capabilities(&self) -> Capabilities {
        match &self.engine {
            Engine::Persistent(p) => p.first,
            Engine::Batch(b) => b.first(),
        }
    }

    /// The transport programs go through: [`Transport::Worker`] or [`Transport::Process`].
    pub fn transport(&self) -> Transport {
        match &self.engine {
            Engine::Persistent(Persistent { channel: Channel::Worker, .. }) => Transport::Worker,
            Engine::Persistent(_) | Engine::Batch(_) => Transport::Process,
        }
    }

    /// How programs reach the interpreter, for a summary: `the persistent worker`, `one process,
    /// programs streamed on its stdin`, `one process per batch of 200 programs`.
    pub fn transport_description(&self) -> String {
        match &self.engine {
            Engine::Persistent(Persistent { channel: Channel::Worker, .. }) => "the persistent worker".to_owned(),
            Engine::Persistent(_) => {
                "one process, programs streamed on its stdin, answers behind a marker on its stdout".to_owned()
            }
            Engine::Batch(b) => format!("one process per batch of {} programs", b.config().batch.max(1)),
        }
    }

    /// The configuration it runs with: the one it was spawned with, with the transport it
    /// runs through and the memory limit it started under. Another worker spawned with it
    /// starts the same way at once.
    pub fn config(&self) -> WorkerConfig {
        let mut res = match &self.engine {
            Engine::Persistent(p) => p.config.clone(),
            Engine::Batch(b) => b.config().clone(),
        };
        res.transport = self.transport();
        res
    }

    /// How the interpreter came to run as it does, one sentence each: why the batch transport
    /// was chosen, a memory limit left out.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// How many programs a call to [`Worker::run_each`] should hand over at once to keep this
    /// transport busy: the batch transport starts a process per batch.
    pub fn preferred_batch(&self) -> usize {
        match &self.engine {
            Engine::Persistent(_) => 64,
            Engine::Batch(b) => b.config().batch.max(1),
        }
    }

    /// Capability changes reported by interpreters started after the first, one line each,
    /// since the last call. Programs go on being generated and judged for the first
    /// interpreter's capabilities.
    pub fn take_capability_changes(&mut self) -> Vec<String> {
        match &mut self.engine {
            Engine::Persistent(p) => std::mem::take(&mut p.changes),
            Engine::Batch(b) => b.take_changes(),
        }
    }

    /// Runs programs pipelined and hands each result to `each` (with the index of its source)
    /// as soon as it is known, in input order.
    ///
    /// Each program gets `timeout` from the moment the worker could start on it (the answer to
    /// the previous one, or the start of its process). A case that hangs, crashes the
    /// interpreter or gets a malformed answer yields the matching [`RunResult`] variant; the
    /// interpreter is then killed and respawned transparently (when the next program needs it),
    /// and the programs after the failed one are run again.
    ///
    /// Returns how many results were handed over, `Ok(n)`. It is `sources.len()` unless a
    /// respawn failed midway: then the results of `sources[..n]` (the last one usually the crash
    /// that needed the respawn) were all handed over first, and the *next* call returns the
    /// restart error without running anything. `Err` therefore never comes with results lost: it
    /// means no program of this call ran, so a caller that saves each result as it comes and
    /// propagates the error with `?` saves every crash before giving up on the interpreter.
    /// A call after an `Err` tries to start an interpreter again.
    ///
    /// `each` returns `ControlFlow::Break(())` to stop early (a deadline passed): the programs
    /// still in flight are abandoned with the interpreter, which is killed, and the next call
    /// starts a new one; the count returned then includes the result that asked to stop.
    pub fn run_each(
        &mut self,
        sources: &[&str],
        each: impl FnMut(usize, RunResult) -> ControlFlow<()>,
    ) -> Result<usize, Error> {
        match &mut self.engine {
            Engine::Persistent(p) => p.run_each(sources, each),
            Engine::Batch(b) => b.run_each(sources, each),
        }
    }

    /// [`Worker::run_each`], collecting the results: one per source, in input order, unless a
    /// respawn failed midway. Then the vector is shorter than `sources` (a prefix; its last
    /// result usually the crash that needed the respawn) and the next call returns the error.
    pub fn run_many(&mut self, sources: &[&str]) -> Result<Vec<RunResult>, Error> {
        let mut res = Vec::with_capacity(sources.len());
        self.run_each(sources, |_, it| {
            res.push(it);
            ControlFlow::Continue(())
        })?;
        Ok(res)
    }

    /// Runs one program.
    pub fn run(&mut self, source: &str) -> Result<RunResult, Error> {
        let mut res = self.run_many(&[source])?;
        assert_eq!(res.len(), 1, "one program runs or the call fails");
        Ok(res.pop().expect("one result"))
    }

    /// How many times this worker was respawned after a failed case.
    pub fn restarts(&self) -> u64 {
        match &self.engine {
            Engine::Persistent(p) => p.restarts,
            Engine::Batch(b) => b.restarts(),
        }
    }

    /// How many times its interpreter was replaced in the ordinary course: after
    /// [`WorkerConfig::recycle_after`] programs, or (batch transport) for the next batch.
    pub fn recycles(&self) -> u64 {
        match &self.engine {
            Engine::Persistent(p) => p.recycles,
            Engine::Batch(b) => b.recycles(),
        }
    }

    /// The process id of the current interpreter (gone if it failed or retired; 0 when the
    /// batch transport has none running).
    pub fn pid(&self) -> u32 {
        match &self.engine {
            Engine::Persistent(p) => p.process.id(),
            Engine::Batch(b) => b.pid(),
        }
    }
}

/// The process transport: one process streaming programs on its stdin where the interpreter reads
/// it, one process per batch (a script each) where it does not; a note says which and why.
fn process_engine(config: &WorkerConfig, min_handshake: Duration, notes: &mut Vec<String>) -> Result<Engine, Error> {
    if !config.stream {
        return Ok(Engine::Batch(unlimited_if_needed(config, notes, |c| batch::Batch::spawn(c, min_handshake))?));
    }
    let mut stream_notes = Vec::new();
    match unlimited_if_needed(config, &mut stream_notes, |c| Persistent::spawn(c, min_handshake, true)) {
        Ok(p) => {
            notes.extend(stream_notes);
            Ok(Engine::Persistent(p))
        }
        Err(Error::Handshake { reason, .. }) => {
            let batch = unlimited_if_needed(config, notes, |c| batch::Batch::spawn(c, min_handshake))?;
            notes.insert(0, format!("a script per batch: {reason}"));
            Ok(Engine::Batch(batch))
        }
        Err(err) => Err(err),
    }
}

/// Starts with `config`, or when that fails in the handshake under a memory limit, once more
/// without the limit; on success without it, a note says so (and the worker's configuration has
/// no limit). When both fail, the error is the second one (it got as far as the limit lets it).
fn unlimited_if_needed<T>(
    config: &WorkerConfig,
    notes: &mut Vec<String>,
    start: impl Fn(&WorkerConfig) -> Result<T, Error>,
) -> Result<T, Error> {
    let err = match start(config) {
        Ok(it) => return Ok(it),
        Err(err) => err,
    };
    let Some(limit) = config.memory_limit else { return Err(err) };
    if !matches!(err, Error::Handshake { .. } | Error::Prelude { .. }) {
        return Err(err);
    }
    let unlimited = WorkerConfig { memory_limit: None, ..config.clone() };
    let res = start(&unlimited)?;
    notes.push(format!(
        "no memory limit: it does not start under {} of address space (Node- and WebAssembly-based interpreters reserve more)",
        bytes_text(limit)
    ));
    Ok(res)
}

impl Persistent {
    /// Starts the worker driver, or with `stream` a streaming batch process.
    fn spawn(config: &WorkerConfig, min_handshake: Duration, stream: bool) -> Result<Persistent, Error> {
        let started = Instant::now();
        let after = handshake_timeout(config, min_handshake, Duration::ZERO);
        let (process, info, channel) = start_channel(config, after, stream)?;
        Ok(Persistent {
            config: config.clone(),
            channel,
            min_handshake,
            first: info.capabilities,
            info,
            changes: Vec::new(),
            slowest_start: started.elapsed(),
            process,
            sent_to_process: 0,
            state: State::Live,
            restarts: 0,
            recycles: 0,
            restart_error: None,
        })
    }

    /// Runs programs pipelined and hands each result to `each` (with the index of its source)
    /// as soon as it is known, in input order, while the interpreter already runs the next ones:
    /// up to a small window of requests is in flight at once, so the interpreter never waits for
    /// the caller, and the caller's work on a result (comparing, saving) overlaps the next run.
    ///
    /// Each program gets `timeout` from the moment the worker could start on it (the answer to
    /// the previous one). A case that hangs, crashes the interpreter or gets a malformed answer
    /// yields the matching [`RunResult`] variant; the interpreter is then killed and respawned
    /// transparently (when the next program needs it), and the other in-flight programs are sent
    /// again.
    ///
    /// Returns how many results were handed over, `Ok(n)`. It is `sources.len()` unless a
    /// respawn failed midway: then the results of `sources[..n]` (the last one usually the crash
    /// that needed the respawn) were all handed over first, and the *next* call returns the
    /// restart error without running anything. `Err` therefore never comes with results lost: it
    /// means no program of this call ran, so a caller that saves each result as it comes and
    /// propagates the error with `?` saves every crash before giving up on the interpreter.
    /// A call after an `Err` tries to start an interpreter again.
    ///
    /// `each` returns `ControlFlow::Break(())` to stop early (a deadline passed): the programs
    /// still in flight are abandoned with the interpreter, which is killed, and the next call
    /// starts a new one; the count returned then includes the result that asked to stop.
    pub fn run_each(
        &mut self,
        sources: &[&str],
        mut each: impl FnMut(usize, RunResult) -> ControlFlow<()>,
    ) -> Result<usize, Error> {
        if let Some(err) = self.restart_error.take() {
            return Err(err);
        }
        let mut done = 0;
        let mut sent = 0;
        let mut head_since = Instant::now();
        while done < sources.len() {
            if self.state != State::Live {
                if let Err(err) = self.respawn() {
                    if done == 0 {
                        return Err(err);
                    }
                    self.restart_error = Some(err);
                    return Ok(done);
                }
                head_since = Instant::now();
            }
            // At least one program per interpreter, whatever the configuration says.
            let budget = self.config.recycle_after.unwrap_or(u64::MAX).max(1);
            while sent < sources.len() && sent - done < WINDOW && self.sent_to_process < budget {
                match self.channel {
                    Channel::Worker => self.process.send(sources[sent]),
                    Channel::Stream(_) => self.process.send_chars(sources[sent]),
                }
                self.sent_to_process += 1;
                sent += 1;
            }
            if sent == done {
                // This interpreter ran its share of programs: a fresh one takes the rest.
                self.process.retire();
                self.state = State::Retired;
                continue;
            }
            let deadline = head_since + self.config.timeout;
            let received = match &mut self.channel {
                Channel::Worker => self.process.receive(deadline, self.config.max_answer_bytes),
                Channel::Stream(stream) => {
                    batch::receive_stream(&mut self.process, stream, deadline, self.config.max_answer_bytes)
                }
            };
            let res = match received {
                Received::Line(line) => match proto::parse_run_reply(&line, self.config.max_events) {
                    Ok(trace) => {
                        let flow = each(done, RunResult::Completed(trace));
                        done += 1;
                        head_since = Instant::now();
                        if flow.is_break() {
                            if sent > done {
                                self.process.kill();
                                self.state = State::Failed;
                            }
                            return Ok(done);
                        }
                        continue;
                    }
                    Err(violation) => {
                        self.process.kill();
                        let shown = match violation {
                            proto::Violation::Malformed(_) => String::from_utf8_lossy(&line).into_owned(),
                            proto::Violation::TooManyEvents(n) => format!(
                                "[answer of {n} events, over the limit of {} (max_events)] {}",
                                self.config.max_events,
                                String::from_utf8_lossy(&line[..line.len().min(GARBAGE_SHOWN_BYTES)])
                            ),
                        };
                        RunResult::Garbage { line: shown, stderr_tail: self.process.stderr_tail() }
                    }
                },
                Received::Overlong(head) => {
                    self.process.kill();
                    let line = format!(
                        "[answer over the limit of {} bytes (max_answer_bytes)] {}",
                        self.config.max_answer_bytes,
                        String::from_utf8_lossy(&head)
                    );
                    RunResult::Garbage { line, stderr_tail: self.process.stderr_tail() }
                }
                Received::Eof => {
                    let status = self.process.reap();
                    let stderr_tail = self.process.stderr_tail();
                    let status = self.crash_status(status, &stderr_tail);
                    RunResult::Crashed { status, stderr_tail }
                }
                Received::Timeout => {
                    self.process.kill();
                    RunResult::Timeout { stderr_tail: self.process.stderr_tail() }
                }
            };
            let res = match res {
                RunResult::Garbage { mut line, stderr_tail } => {
                    proto::truncate(&mut line, GARBAGE_SHOWN_BYTES + 100);
                    RunResult::Garbage { line, stderr_tail }
                }
                other => other,
            };
            let flow = each(done, res);
            done += 1;
            self.state = State::Failed;
            // Everything after the failed case was lost with the old interpreter.
            sent = done;
            if flow.is_break() {
                return Ok(done);
            }
        }
        Ok(done)
    }

    fn respawn(&mut self) -> Result<(), Error> {
        self.process.kill();
        let started = Instant::now();
        let after = handshake_timeout(&self.config, self.min_handshake, self.slowest_start);
        let (process, info, channel) = start_channel(&self.config, after, matches!(self.channel, Channel::Stream(_)))?;
        self.channel = channel;
        self.slowest_start = self.slowest_start.max(started.elapsed());
        if info.capabilities != self.first {
            let n = self.restarts + self.recycles + 1;
            let changes = self.first.changes_to(info.capabilities);
            self.changes.push(format!(
                "interpreter {} (after {n} restarts) reports other capabilities: {changes}",
                info.implementation
            ));
        }
        self.process = process;
        self.info = info;
        self.sent_to_process = 0;
        match std::mem::replace(&mut self.state, State::Live) {
            State::Retired => self.recycles += 1,
            _ => self.restarts += 1,
        }
        Ok(())
    }

    fn crash_status(&self, status: String, stderr_tail: &str) -> String {
        crash_status(&self.config, &self.process, status, stderr_tail)
    }
}

/// How a dead interpreter ended, naming the memory limit when that is what ended it: the
/// driver's own out-of-memory exit, or a `MemoryError` (or an allocator's complaint) on stderr of
/// an interpreter that died otherwise.
fn crash_status(config: &WorkerConfig, process: &Process, status: String, stderr_tail: &str) -> String {
    let limit = match config.memory_limit {
        Some(bytes) => format!("limit {}", bytes_text(bytes)),
        None => "no limit set".to_owned(),
    };
    let driver_said = process.status().and_then(|s| s.code()) == Some(proto::OUT_OF_MEMORY_EXIT);
    if driver_said {
        return format!("out of memory ({limit})");
    }
    let complained = ["MemoryError", "out of memory", "Out of memory", "Cannot allocate memory", "bad_alloc"]
        .iter()
        .any(|w| stderr_tail.contains(w));
    if complained && config.memory_limit.is_some() {
        return format!("out of memory ({limit}): {status}");
    }
    status
}

/// How long a start may take: the per-program timeout, at least the floor, and at least
/// [`START_SLACK`] times the slowest start so far.
fn handshake_timeout(config: &WorkerConfig, floor: Duration, slowest: Duration) -> Duration {
    config.timeout.max(floor).max(slowest * START_SLACK)
}

/// Kills every interpreter of every [`Worker`] in this process (their whole process groups),
/// from any thread; returns how many there were. For a signal handler that is about to end
/// withstand: the workers' own threads may be stuck waiting for them.
pub fn kill_all_workers() -> usize {
    process::kill_all()
}

/// Starts a persistent interpreter: the worker driver, or with `stream` a streaming batch
/// process (whose start includes a probe program).
fn start_channel(
    config: &WorkerConfig,
    after: Duration,
    stream: bool,
) -> Result<(Process, InterpreterInfo, Channel), Error> {
    if stream {
        let (process, info, stream) = batch::start_stream(config, after)?;
        return Ok((process, info, Channel::Stream(stream)));
    }
    let (process, info) = start(config, after)?;
    Ok((process, info, Channel::Worker))
}

/// Starts an interpreter: the process, the handshake, the prelude; `after` is how long it may
/// take.
fn start(config: &WorkerConfig, after: Duration) -> Result<(Process, InterpreterInfo), Error> {
    let python = &config.python;
    let mut command = Command::new(python);
    command.arg("-u").arg("-c").arg(WORKER_PY);
    let mut process = Process::start(command, &Limits { memory: config.memory_limit })
        .map_err(|error| Error::Spawn { python: python.clone(), error })?;

    let deadline = Instant::now() + after;
    let timed_out = || Error::HandshakeTimeout { python: python.clone(), after };
    let not_usable = |reason: String| Error::Handshake { python: python.clone(), reason };
    // Small: a handshake or a prelude answer is a few hundred bytes.
    let max_bytes = 1 << 20;

    let handshake = match process.receive(deadline, max_bytes) {
        Received::Line(line) => String::from_utf8_lossy(&line).into_owned(),
        Received::Overlong(line) => return Err(not_usable(not_a_worker(&String::from_utf8_lossy(&line)))),
        Received::Eof => {
            let status = process.reap();
            let mut reason = format!("it exited before the handshake ({status})");
            reason.push_str(&stderr_summary(&process.stderr_tail()));
            return Err(not_usable(reason));
        }
        Received::Timeout => return Err(timed_out()),
    };
    let handshake = match proto::parse_handshake(&handshake) {
        Ok(it) => it,
        Err(proto::HandshakeError::NotAWorker) => return Err(not_usable(not_a_worker(&handshake))),
        Err(proto::HandshakeError::Version(found)) => {
            return Err(Error::ProtocolVersion {
                python: python.clone(),
                found: found.to_string(),
                expected: proto::PROTO_VERSION,
            })
        }
        Err(proto::HandshakeError::Malformed(e)) => return Err(not_usable(format!("malformed worker handshake: {e}"))),
    };
    let mut info = InterpreterInfo {
        implementation: handshake.implementation,
        version: handshake.version,
        version_string: handshake.version_string,
        capabilities: Capabilities::FULL,
    };
    if (info.version.0, info.version.1) < MIN_PYTHON {
        return Err(Error::Unsupported { python: python.clone(), version: info.version });
    }

    process.send(&config.prelude);
    let prelude_failed = |summary: String, detail: String| Error::Prelude { python: python.clone(), summary, detail };
    match process.receive(deadline, max_bytes) {
        Received::Line(line) => match proto::parse_prelude_reply(&String::from_utf8_lossy(&line)) {
            Ok(proto::PreludeReply::Ok(capabilities)) => {
                info.capabilities = capabilities.unwrap_or(Capabilities::FULL);
            }
            Ok(proto::PreludeReply::Error(traceback)) => {
                let summary = last_line(&traceback).to_owned();
                return Err(prelude_failed(summary, traceback));
            }
            Err(e) => {
                let mut line = String::from_utf8_lossy(&line).into_owned();
                proto::truncate(&mut line, 80);
                return Err(not_usable(format!("malformed answer to the prelude ({e}): {line:?}")));
            }
        },
        Received::Overlong(_) => {
            return Err(not_usable("overlong answer to the prelude".to_owned()));
        }
        Received::Eof => {
            let status = process.reap();
            let tail = process.stderr_tail();
            let summary = format!("the interpreter exited ({status}){}", stderr_summary(&tail));
            return Err(prelude_failed(summary, tail));
        }
        Received::Timeout => return Err(timed_out()),
    }
    Ok((process, info))
}

/// `4 GiB`, `512 MiB`, `1000 bytes`.
fn bytes_text(n: u64) -> String {
    for (unit, name) in [(1u64 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")] {
        if n >= unit && n % unit == 0 {
            return format!("{} {name}", n / unit);
        }
    }
    if n >= 1 << 20 {
        return format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64);
    }
    format!("{n} bytes")
}

/// Why a version is refused, for [`Error::Unsupported`].
fn unsupported(version: &(u32, u32, u32)) -> String {
    let (major, minor) = MIN_PYTHON;
    if version.0 < 3 {
        format!("Python 2 is not supported (withstand needs Python {major}.{minor} or later)")
    } else {
        format!("withstand needs Python {major}.{minor} or later")
    }
}

fn not_a_worker(line: &str) -> String {
    let mut line = line.to_owned();
    proto::truncate(&mut line, 80);
    format!("not a withstand worker (its first line of output was {line:?})")
}

/// `; stderr: "<last line>"`, or nothing when stderr is empty.
fn stderr_summary(tail: &str) -> String {
    let last = last_line(tail);
    if last.is_empty() {
        return String::new();
    }
    let mut last = last.to_owned();
    proto::truncate(&mut last, 200);
    format!("; stderr: {last:?}")
}

fn last_line(text: &str) -> &str {
    text.lines().rev().map(str::trim).find(|l| !l.is_empty()).unwrap_or("")
}

/// `No such file or directory`, without the `(os error 2)` suffix.
fn io_reason(error: &io::Error) -> String {
    let text = error.to_string();
    match text.rfind(" (os error ") {
        Some(idx) => text[..idx].to_owned(),
        None => text,
    }
}

/// `10s`, `300ms`, `1.5s`.
fn seconds(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        return format!("{}s", d.as_secs());
    }
    if d < Duration::from_secs(1) {
        return format!("{}ms", d.as_millis());
    }
    format!("{:.1}s", d.as_secs_f64())
}
