//! Persistent interpreter workers: the only part of the oracle that starts processes.
//!
//! A [`Worker`] owns one interpreter running the embedded driver script `worker.py`. Programs are
//! sent as framed requests on the interpreter's stdin; each answer is one JSON line on a private
//! channel (the interpreter's original stdout, which the driver takes away from the program
//! before anything runs). The wire format lives in [`proto`]; the process, its pipes and its
//! process group in `process.rs`.
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
pub mod proto;
#[cfg(test)]
mod tests;

use std::fmt;
use std::io;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::trace::Trace;
use process::{Limits, Process, Received};

/// The driver script, passed to the interpreter with `-c`.
const WORKER_PY: &str = include_str!("worker.py");

/// How many requests may be in flight at once. The interpreter always finds the next program
/// already waiting in its pipe when it answers one, even when withstand's thread is not scheduled
/// for a few milliseconds on a busy machine; a deeper window only means more programs to re-send
/// after a crash.
const WINDOW: usize = 16;

/// The handshake (interpreter start plus prelude) gets at least this long: a cold interpreter
/// behind a version-manager shim can take seconds to start.
const MIN_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

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
    /// The runner itself could not set up its side (threads, pipes).
    #[error("cannot set up the worker for {python:?}: {}", io_reason(.error))]
    Io {
        /// The interpreter as configured.
        python: PathBuf,
        /// What the operating system said.
        error: io::Error,
    },
}

/// A persistent interpreter running the worker driver, replaced whenever a program kills it.
pub struct Worker {
    config: WorkerConfig,
    min_handshake: Duration,
    info: InterpreterInfo,
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
            .field("python", &self.config.python)
            .field("info", &self.info)
            .field("pid", &self.process.id())
            .field("restarts", &self.restarts)
            .field("recycles", &self.recycles)
            .finish()
    }
}

impl Worker {
    /// Starts the interpreter, does the handshake, loads the prelude.
    pub fn spawn(config: &WorkerConfig) -> Result<Worker, Error> {
        Worker::spawn_with(config, MIN_HANDSHAKE_TIMEOUT)
    }

    /// [`Worker::spawn`] with another floor for the handshake timeout, so tests need not wait.
    fn spawn_with(config: &WorkerConfig, min_handshake: Duration) -> Result<Worker, Error> {
        let (process, info) = start(config, min_handshake)?;
        Ok(Worker {
            config: config.clone(),
            min_handshake,
            info,
            process,
            sent_to_process: 0,
            state: State::Live,
            restarts: 0,
            recycles: 0,
            restart_error: None,
        })
    }

    /// What the interpreter reported in the handshake.
    pub fn info(&self) -> &InterpreterInfo {
        &self.info
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
                self.process.send(sources[sent]);
                self.sent_to_process += 1;
                sent += 1;
            }
            if sent == done {
                // This interpreter ran its share of programs: a fresh one takes the rest.
                self.process.retire();
                self.state = State::Retired;
                continue;
            }
            let res = match self.process.receive(head_since + self.config.timeout, self.config.max_answer_bytes) {
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
        self.restarts
    }

    /// How many times its interpreter was replaced after [`WorkerConfig::recycle_after`] programs.
    pub fn recycles(&self) -> u64 {
        self.recycles
    }

    /// The process id of the current interpreter (gone if it failed or retired).
    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    fn respawn(&mut self) -> Result<(), Error> {
        self.process.kill();
        let (process, info) = start(&self.config, self.min_handshake)?;
        self.process = process;
        self.info = info;
        self.sent_to_process = 0;
        match std::mem::replace(&mut self.state, State::Live) {
            State::Retired => self.recycles += 1,
            _ => self.restarts += 1,
        }
        Ok(())
    }

    /// How a dead interpreter ended, naming the memory limit when that is what ended it: the
    /// driver's own out-of-memory exit, or a `MemoryError` (or an allocator's complaint) on
    /// stderr of an interpreter that died otherwise.
    fn crash_status(&self, status: String, stderr_tail: &str) -> String {
        let limit = match self.config.memory_limit {
            Some(bytes) => format!("limit {}", bytes_text(bytes)),
            None => "no limit set".to_owned(),
        };
        let driver_said = self.process.status().and_then(|s| s.code()) == Some(proto::OUT_OF_MEMORY_EXIT);
        if driver_said {
            return format!("out of memory ({limit})");
        }
        let complained = ["MemoryError", "out of memory", "Out of memory", "Cannot allocate memory", "bad_alloc"]
            .iter()
            .any(|w| stderr_tail.contains(w));
        if complained && self.config.memory_limit.is_some() {
            return format!("out of memory ({limit}): {status}");
        }
        status
    }
}

/// Kills every interpreter of every [`Worker`] in this process (their whole process groups),
/// from any thread; returns how many there were. For a signal handler that is about to end
/// withstand: the workers' own threads may be stuck waiting for them.
pub fn kill_all_workers() -> usize {
    process::kill_all()
}

/// Starts an interpreter: the process, the handshake, the prelude.
fn start(config: &WorkerConfig, min_handshake: Duration) -> Result<(Process, InterpreterInfo), Error> {
    let python = &config.python;
    let mut command = Command::new(python);
    command.arg("-u").arg("-c").arg(WORKER_PY);
    let mut process = Process::start(command, &Limits { memory: config.memory_limit })
        .map_err(|error| Error::Spawn { python: python.clone(), error })?;

    let after = config.timeout.max(min_handshake);
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
    let info = InterpreterInfo {
        implementation: handshake.implementation,
        version: handshake.version,
        version_string: handshake.version_string,
    };
    if (info.version.0, info.version.1) < MIN_PYTHON {
        return Err(Error::Unsupported { python: python.clone(), version: info.version });
    }

    process.send(&config.prelude);
    let prelude_failed = |summary: String, detail: String| Error::Prelude { python: python.clone(), summary, detail };
    match process.receive(deadline, max_bytes) {
        Received::Line(line) => match proto::parse_prelude_reply(&String::from_utf8_lossy(&line)) {
            Ok(proto::PreludeReply::Ok(_)) => {}
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
