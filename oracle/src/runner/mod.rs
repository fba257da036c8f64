//! Persistent interpreter workers: the only part of the oracle that starts processes.
//!
//! A [`Worker`] owns one interpreter running the embedded driver script `worker.py`. Programs are
//! sent as framed requests on the interpreter's stdin; each answer is one JSON line on a private
//! channel (the interpreter's original stdout, which the driver takes away from the program
//! before anything runs). The wire format lives in `proto`.
//!
//! The runner owns every timeout: the driver never decides that a run failed. A case that hangs,
//! crashes the interpreter or gets a malformed answer is a [`RunResult`] of its own, and the
//! worker is replaced transparently. Only a failure to start a (replacement) interpreter is an
//! [`Error`].
//!
//! Threads, per interpreter: one writes requests (so a hung interpreter with a full pipe can never
//! block the caller), one reads answer lines, one drains stderr into a bounded tail.

mod proto;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::trace::Trace;

/// The driver script, passed to the interpreter with `-c`.
const WORKER_PY: &str = include_str!("worker.py");

/// How many requests may be in flight at once. The interpreter always finds the next program
/// already waiting in its pipe when it answers one; a deeper window buys nothing more and only
/// means more programs to re-send after a crash.
const WINDOW: usize = 8;

/// The handshake (interpreter start plus prelude) gets at least this long: a cold interpreter
/// behind a version-manager shim can take seconds to start.
const MIN_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How much of the interpreter's stderr is kept for reports.
const STDERR_TAIL_BYTES: usize = 4096;

/// An answer line longer than this is garbage (a program flooding its own trace).
const MAX_LINE_BYTES: u64 = 64 << 20;

/// How much of a malformed answer line a [`RunResult::Garbage`] keeps.
const GARBAGE_SHOWN_BYTES: usize = 1000;

/// How to start an interpreter.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// The interpreter: a path, or a name looked up on `PATH`. Wrapper scripts work.
    pub python: PathBuf,
    /// The prelude source every program is run against (`render/prelude.py`).
    pub prelude: String,
    /// How long one program may run before it counts as hung.
    pub timeout: Duration,
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
    /// The interpreter died before answering: `os._exit(3)`, a segfault.
    Crashed {
        /// How it died: `exit status 3`, `killed by signal 9`.
        status: String,
        /// The last few KiB the interpreter wrote to stderr.
        stderr_tail: String,
    },
    /// The answer was not a valid trace. The interpreter was killed.
    Garbage {
        /// The answer line, truncated.
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
    restarts: u64,
    /// The interpreter is gone (killed after a failed case, or a respawn failed): the next
    /// program needs a new one.
    dead: bool,
}

impl fmt::Debug for Worker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker")
            .field("python", &self.config.python)
            .field("info", &self.info)
            .field("pid", &self.process.child.id())
            .field("restarts", &self.restarts)
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
        let (process, info) = Process::start(config, min_handshake)?;
        Ok(Worker { config: config.clone(), min_handshake, info, process, restarts: 0, dead: false })
    }

    /// What the interpreter reported in the handshake.
    pub fn info(&self) -> &InterpreterInfo {
        &self.info
    }

    /// Runs programs pipelined: up to a small window of requests is in flight at once, so the
    /// interpreter never waits for us. Results come back in input order, one per source.
    ///
    /// Each program gets `timeout` from the moment the worker could start on it (the answer to
    /// the previous one). A case that hangs, crashes the interpreter or gets a malformed answer
    /// yields the matching [`RunResult`] variant; the interpreter is then killed and respawned
    /// transparently (when the next program needs it, so a failure in the last program of a
    /// batch is still reported), and the other in-flight programs are sent again.
    /// `Err` only if a respawn fails (an infrastructure error); the next call tries again.
    pub fn run_many(&mut self, sources: &[&str]) -> Result<Vec<RunResult>, Error> {
        let mut res = Vec::with_capacity(sources.len());
        self.run_each(sources, &mut |_, result| {
            res.push(result);
            ControlFlow::Continue(())
        })?;
        Ok(res)
    }

    /// [`Worker::run_many`], handing each result to `on_result` with its index the moment it is
    /// known: in particular before the interpreter is restarted after a failed case, so that a
    /// caller keeps a crash even when the restart then fails (`Err`). `on_result` returns
    /// `ControlFlow::Break(())` to stop early (a deadline passed): the programs still in flight
    /// are abandoned with the interpreter, and the next call starts a new one.
    pub fn run_each(
        &mut self,
        sources: &[&str],
        on_result: &mut dyn FnMut(usize, RunResult) -> ControlFlow<()>,
    ) -> Result<(), Error> {
        let mut done = 0;
        let mut n_sent = 0;
        let mut head_since = Instant::now();
        while done < sources.len() {
            if self.dead {
                self.respawn()?;
                head_since = Instant::now();
            }
            while n_sent < sources.len() && n_sent - done < WINDOW {
                self.process.send(sources[n_sent]);
                n_sent += 1;
            }
            let it = match self.process.receive(head_since + self.config.timeout) {
                Received::Line(line) => match proto::parse_run_reply(&line) {
                    Ok(trace) => {
                        done += 1;
                        head_since = Instant::now();
                        if on_result(done - 1, RunResult::Completed(trace)).is_break() {
                            if n_sent > done {
                                self.process.kill();
                                self.dead = true;
                            }
                            return Ok(());
                        }
                        continue;
                    }
                    Err(_) => {
                        self.process.kill();
                        let mut line = line;
                        proto::truncate(&mut line, GARBAGE_SHOWN_BYTES);
                        RunResult::Garbage { line, stderr_tail: self.process.stderr_tail() }
                    }
                },
                Received::Overlong(mut line) => {
                    self.process.kill();
                    proto::truncate(&mut line, GARBAGE_SHOWN_BYTES);
                    RunResult::Garbage { line, stderr_tail: self.process.stderr_tail() }
                }
                Received::Eof => {
                    let status = self.process.reap();
                    RunResult::Crashed { status, stderr_tail: self.process.stderr_tail() }
                }
                Received::Timeout => {
                    self.process.kill();
                    RunResult::Timeout { stderr_tail: self.process.stderr_tail() }
                }
            };
            self.dead = true;
            done += 1;
            // Everything after the failed case was lost with the old interpreter.
            n_sent = done;
            if on_result(done - 1, it).is_break() {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Runs one program.
    pub fn run(&mut self, source: &str) -> Result<RunResult, Error> {
        let mut res = self.run_many(&[source])?;
        assert_eq!(res.len(), 1, "run_many answers once per source");
        Ok(res.pop().expect("one result"))
    }

    /// How many times this worker was respawned.
    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    fn respawn(&mut self) -> Result<(), Error> {
        self.process.kill();
        self.dead = true;
        let (process, info) = Process::start(&self.config, self.min_handshake)?;
        self.process = process;
        self.info = info;
        self.restarts += 1;
        self.dead = false;
        Ok(())
    }
}

/// One interpreter process and the threads that talk to it.
struct Process {
    child: Child,
    /// Requests for the writer thread; `None` once the interpreter is being shut down.
    requests: Option<Sender<Vec<u8>>>,
    /// Answer lines from the reader thread; disconnected means the channel reached EOF.
    lines: Receiver<Line>,
    stderr: Arc<Mutex<VecDeque<u8>>>,
    /// Disconnected once the stderr thread has seen EOF.
    stderr_done: Receiver<()>,
    killed: bool,
}

enum Line {
    Complete(String),
    Overlong(String),
}

enum Received {
    Line(String),
    Overlong(String),
    Eof,
    Timeout,
}

impl Process {
    fn start(config: &WorkerConfig, min_handshake: Duration) -> Result<(Process, InterpreterInfo), Error> {
        let python = &config.python;
        let mut child = Command::new(python)
            .arg("-u")
            .arg("-c")
            .arg(WORKER_PY)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| Error::Spawn { python: python.clone(), error })?;
        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let mut process = Process {
            child,
            requests: None,
            lines: mpsc::channel().1,
            stderr: Arc::new(Mutex::new(VecDeque::with_capacity(STDERR_TAIL_BYTES))),
            stderr_done: mpsc::channel().1,
            killed: false,
        };
        process.start_threads(stdin, stdout, stderr).map_err(|error| Error::Io { python: python.clone(), error })?;

        let after = config.timeout.max(min_handshake);
        let deadline = Instant::now() + after;
        let timed_out = || Error::HandshakeTimeout { python: python.clone(), after };
        let not_usable = |reason: String| Error::Handshake { python: python.clone(), reason };

        let handshake = match process.receive(deadline) {
            Received::Line(line) => line,
            Received::Overlong(line) => return Err(not_usable(not_a_worker(&line))),
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
            Err(proto::HandshakeError::Malformed(e)) => {
                return Err(not_usable(format!("malformed worker handshake: {e}")))
            }
        };
        let info = InterpreterInfo {
            implementation: handshake.implementation,
            version: handshake.version,
            version_string: handshake.version_string,
        };

        process.send(&config.prelude);
        let prelude_failed =
            |summary: String, detail: String| Error::Prelude { python: python.clone(), summary, detail };
        match process.receive(deadline) {
            Received::Line(line) => match proto::parse_prelude_reply(&line) {
                Ok(proto::PreludeReply::Ok(_)) => {}
                Ok(proto::PreludeReply::Error(traceback)) => {
                    let summary = last_line(&traceback).to_owned();
                    return Err(prelude_failed(summary, traceback));
                }
                Err(e) => {
                    let mut line = line;
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

    fn start_threads(
        &mut self,
        mut stdin: ChildStdin,
        stdout: ChildStdout,
        mut stderr: impl Read + Send + 'static,
    ) -> io::Result<()> {
        let (requests, requests_rx) = mpsc::channel::<Vec<u8>>();
        thread::Builder::new().name("withstand-worker-stdin".to_owned()).spawn(move || {
            for request in requests_rx {
                // A write fails only when the interpreter is gone; the reader sees that as EOF.
                if stdin.write_all(&request).is_err() {
                    break;
                }
            }
        })?;
        self.requests = Some(requests);

        let (lines_tx, lines) = mpsc::channel();
        thread::Builder::new().name("withstand-worker-channel".to_owned()).spawn(move || {
            let mut reader = BufReader::with_capacity(64 << 10, stdout);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match (&mut reader).take(MAX_LINE_BYTES).read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let line = if buf.last() == Some(&b'\n') {
                    buf.pop();
                    Line::Complete(String::from_utf8_lossy(&buf).into_owned())
                } else if buf.len() as u64 == MAX_LINE_BYTES {
                    buf.truncate(GARBAGE_SHOWN_BYTES);
                    Line::Overlong(String::from_utf8_lossy(&buf).into_owned())
                } else {
                    // The channel closed in the middle of a line: the interpreter died writing.
                    break;
                };
                let overlong = matches!(line, Line::Overlong(_));
                if lines_tx.send(line).is_err() || overlong {
                    break;
                }
            }
        })?;
        self.lines = lines;

        let tail = Arc::clone(&self.stderr);
        let (done_tx, stderr_done) = mpsc::channel::<()>();
        thread::Builder::new().name("withstand-worker-stderr".to_owned()).spawn(move || {
            let _done = done_tx;
            let mut chunk = [0u8; 4096];
            loop {
                let n = match stderr.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let mut tail = tail.lock().unwrap_or_else(|e| e.into_inner());
                tail.extend(&chunk[..n]);
                let excess = tail.len().saturating_sub(STDERR_TAIL_BYTES);
                tail.drain(..excess);
            }
        })?;
        self.stderr_done = stderr_done;
        Ok(())
    }

    fn send(&mut self, source: &str) {
        if let Some(requests) = &self.requests {
            // If the writer is gone, so is the interpreter; the reader reports EOF.
            let _ = requests.send(proto::frame(source));
        }
    }

    fn receive(&mut self, deadline: Instant) -> Received {
        let wait = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(wait) {
            Ok(Line::Complete(line)) => Received::Line(line),
            Ok(Line::Overlong(line)) => Received::Overlong(line),
            Err(RecvTimeoutError::Disconnected) => Received::Eof,
            Err(RecvTimeoutError::Timeout) => Received::Timeout,
        }
    }

    /// Kills the interpreter (if it still runs) and waits for it, so no zombie is left.
    fn kill(&mut self) {
        self.requests = None;
        if self.killed {
            return;
        }
        self.killed = true;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// After the channel closed: waits a little for the interpreter to exit by itself and says
    /// how it ended. One that closed its channel but lingers is killed.
    fn reap(&mut self) -> String {
        self.requests = None;
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut pause = Duration::from_micros(200);
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    self.killed = true;
                    return describe(status);
                }
                Ok(None) if Instant::now() < deadline => {
                    thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(20));
                }
                Ok(None) => {
                    self.kill();
                    return "closed its channel without exiting (killed)".to_owned();
                }
                Err(e) => {
                    self.kill();
                    return format!("unknown ({e})");
                }
            }
        }
    }

    /// The last few KiB of stderr. Call after the interpreter is dead: it waits briefly for the
    /// drain thread to read what is left in the pipe.
    fn stderr_tail(&self) -> String {
        let _ = self.stderr_done.recv_timeout(Duration::from_millis(500));
        let tail = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        let (a, b) = tail.as_slices();
        let mut bytes = Vec::with_capacity(tail.len());
        bytes.extend_from_slice(a);
        bytes.extend_from_slice(b);
        // The cut may fall inside a UTF-8 sequence: drop the continuation bytes it left.
        let start = bytes.iter().take(3).take_while(|&&b| b & 0xC0 == 0x80).count();
        String::from_utf8_lossy(&bytes[start..]).into_owned()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `exit status 3`, `killed by signal 9`.
fn describe(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("killed by signal {signal}");
        }
    }
    match status.code() {
        Some(code) => format!("exit status {code}"),
        None => status.to_string(),
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
