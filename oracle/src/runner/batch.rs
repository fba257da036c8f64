//! The per-program transport: each batch of programs runs as one standalone script in a process
//! of its own, for interpreters that cannot host the persistent worker.
//!
//! The script is `batch.py` with three names written above it: a marker no program prints, the
//! prelude and the programs, as string literals. It is written to a temporary file and run as
//! `python FILE`, the most any interpreter front end takes. The interpreter's stdout carries the
//! answers, one line per program behind the marker (anything else there is ignored); its stdin
//! is closed. The first marked line is the hello (what the interpreter is, its capabilities),
//! written once the prelude has loaded; a program gets the per-program timeout from the line
//! before its own.
//!
//! When a process dies, hangs or answers garbage, the program in flight gets that result and the
//! programs after it run again in a new process: nothing of the batch is lost. A process that
//! cannot be started again ends the call as the persistent worker's restart failure does: the
//! results so far are handed over and the error comes with the next call.
//!
//! Where the interpreter reads its stdin (MicroPython's WebAssembly port does; a probe says), the
//! same script streams: one process takes programs framed on stdin for as long as it lives, so
//! that neither a campaign nor a shrink pays a start per batch. That [`Stream`] is driven by the
//! persistent worker's loop (`super::Persistent`), with answers read from behind the marker.

use std::fmt::Write as _;
use std::io::Write as _;
use std::ops::ControlFlow;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::process::{Limits, Process, Received};
use super::{
    crash_status, handshake_timeout, last_line, not_a_worker, proto, stderr_summary, Error, InterpreterInfo, RunResult,
    WorkerConfig, GARBAGE_SHOWN_BYTES,
};
use crate::capability::Capabilities;
use crate::trace::Outcome;

/// The driver script.
const BATCH_PY: &str = include_str!("batch.py");

/// The batch transport's state between calls: no process lives between them.
pub(super) struct Batch {
    config: WorkerConfig,
    min_handshake: Duration,
    info: InterpreterInfo,
    first: Capabilities,
    changes: Vec<String>,
    slowest_start: Duration,
    /// Processes started after a failed program.
    restarts: u64,
    /// Processes started for a new batch.
    recycles: u64,
    /// The process id of the last process.
    pid: u32,
    /// A start that failed after some programs of a call had run: the next call returns it.
    restart_error: Option<Error>,
}

/// A batch process while it runs: its script file lives as long as it does.
struct Running {
    process: Process,
    marker: String,
    _script: tempfile::NamedTempFile,
}

/// A streaming batch process's side of the channel: the marker of its answers, its script, and
/// how many answers it gave, which is the index the next one must carry.
pub(super) struct Stream {
    marker: String,
    _script: tempfile::NamedTempFile,
    answered: usize,
}

/// The program the stream probe sends: it must come back as `=> return 1`.
const PROBE_PROGRAM: &str = "def main():\n    return 1\n";

/// Starts a streaming batch process: the hello, then one probe program sent on stdin, which must
/// come back before `after` runs out. `Err` says why the interpreter cannot stream.
pub(super) fn start_stream(
    config: &WorkerConfig,
    after: Duration,
) -> Result<(Process, InterpreterInfo, Stream), Error> {
    let started = Instant::now();
    let (running, info) = start_script(config, &[], true, after)?;
    let Running { mut process, marker, _script } = running;
    let mut stream = Stream { marker, _script, answered: 0 };
    process.send_chars(PROBE_PROGRAM);
    let deadline = started + after;
    let not_streaming = |reason: String| Error::Handshake {
        python: config.python.clone(),
        reason: format!("it does not read programs from its stdin ({reason})"),
    };
    match receive_stream(&mut process, &mut stream, deadline, 1 << 20) {
        Received::Line(line) => match proto::parse_run_reply(&line, 10) {
            Ok(trace) if trace.outcome == Outcome::Returned("1".to_owned()) => {}
            _ => return Err(not_streaming(not_a_worker(&String::from_utf8_lossy(&line)))),
        },
        Received::Overlong(_) => return Err(not_streaming("an overlong answer".to_owned())),
        Received::Eof => {
            let status = process.reap();
            return Err(not_streaming(format!("it ended ({status}){}", stderr_summary(&process.stderr_tail()))));
        }
        Received::Timeout => return Err(not_streaming(format!("no answer within {}", super::seconds(after)))),
    }
    Ok((process, info, stream))
}

/// The next answer of a streaming batch process, without its marker and index: lines without the
/// marker are skipped; a marked line that is not the answer due next comes back whole, as an
/// answer that does not decode.
pub(super) fn receive_stream(
    process: &mut Process,
    stream: &mut Stream,
    deadline: Instant,
    max_bytes: usize,
) -> Received {
    loop {
        let line = match process.receive(deadline, max_bytes) {
            Received::Line(line) => line,
            other => return other,
        };
        match marked(&line, &stream.marker) {
            None => continue,
            Some(Marked::Answer(i, answer)) if i == stream.answered => {
                stream.answered += 1;
                return Received::Line(answer.to_vec());
            }
            Some(_) => return Received::Line(line),
        }
    }
}

/// One marked line of a batch process's stdout.
enum Marked<'a> {
    Hello(&'a str),
    PreludeError(&'a str),
    Answer(usize, &'a [u8]),
    Done,
    Other,
}

impl Batch {
    /// Runs an empty batch: the interpreter starts, loads the prelude and says what it is.
    pub(super) fn spawn(config: &WorkerConfig, min_handshake: Duration) -> Result<Batch, Error> {
        let mut res = Batch {
            config: config.clone(),
            min_handshake,
            info: InterpreterInfo {
                implementation: String::new(),
                version: (0, 0, 0),
                version_string: String::new(),
                capabilities: Capabilities::FULL,
            },
            first: Capabilities::FULL,
            changes: Vec::new(),
            slowest_start: Duration::ZERO,
            restarts: 0,
            recycles: 0,
            pid: 0,
            restart_error: None,
        };
        let (mut running, info) = res.start(&[])?;
        running.process.retire();
        res.first = info.capabilities;
        res.info = info;
        Ok(res)
    }

    pub(super) fn info(&self) -> &InterpreterInfo {
        &self.info
    }

    pub(super) fn first(&self) -> Capabilities {
        self.first
    }

    pub(super) fn config(&self) -> &WorkerConfig {
        &self.config
    }

    pub(super) fn restarts(&self) -> u64 {
        self.restarts
    }

    pub(super) fn recycles(&self) -> u64 {
        self.recycles
    }

    pub(super) fn pid(&self) -> u32 {
        self.pid
    }

    pub(super) fn take_changes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.changes)
    }

    /// [`super::Worker::run_each`] for this transport.
    pub(super) fn run_each(
        &mut self,
        sources: &[&str],
        mut each: impl FnMut(usize, RunResult) -> ControlFlow<()>,
    ) -> Result<usize, Error> {
        if let Some(err) = self.restart_error.take() {
            return Err(err);
        }
        let mut done = 0;
        let mut after_failure = false;
        while done < sources.len() {
            let end = (done + self.config.batch.max(1)).min(sources.len());
            let (mut running, info) = match self.start(&sources[done..end]) {
                Ok(it) => it,
                Err(err) if done == 0 => return Err(err),
                Err(err) => {
                    self.restart_error = Some(err);
                    return Ok(done);
                }
            };
            if after_failure {
                self.restarts += 1;
            } else {
                self.recycles += 1;
            }
            if info.capabilities != self.first {
                let changes = self.first.changes_to(info.capabilities);
                self.changes.push(format!(
                    "a process started for programs {done} to {} reports other capabilities: {changes}",
                    end - 1
                ));
            }
            let batch_start = done;
            let mut head_since = Instant::now();
            after_failure = false;
            while done < end {
                let res = self.receive(&mut running, done - batch_start, head_since);
                let failed = !matches!(res, RunResult::Completed(_));
                let flow = each(done, res);
                done += 1;
                head_since = Instant::now();
                if failed {
                    // The process is dead or killed; the rest of the batch runs again.
                    after_failure = true;
                    break;
                }
                if flow.is_break() {
                    running.process.kill();
                    return Ok(done);
                }
            }
            if after_failure {
                continue;
            }
            running.process.retire();
        }
        Ok(done)
    }

    /// The answer to program `index` of the running batch, or how the process failed on it.
    fn receive(&self, running: &mut Running, index: usize, since: Instant) -> RunResult {
        let deadline = since + self.config.timeout;
        loop {
            let line = match running.process.receive(deadline, self.config.max_answer_bytes) {
                Received::Line(line) => line,
                Received::Overlong(head) => {
                    running.process.kill();
                    let line = format!(
                        "[answer over the limit of {} bytes (max_answer_bytes)] {}",
                        self.config.max_answer_bytes,
                        String::from_utf8_lossy(&head)
                    );
                    return garbage(line, running);
                }
                Received::Eof => {
                    let status = running.process.reap();
                    let stderr_tail = running.process.stderr_tail();
                    let status = crash_status(&self.config, &running.process, status, &stderr_tail);
                    return RunResult::Crashed { status, stderr_tail };
                }
                Received::Timeout => {
                    running.process.kill();
                    return RunResult::Timeout { stderr_tail: running.process.stderr_tail() };
                }
            };
            match marked(&line, &running.marker) {
                None => continue,
                Some(Marked::Answer(i, answer)) if i == index => {
                    return match proto::parse_run_reply(answer, self.config.max_events) {
                        Ok(trace) => RunResult::Completed(trace),
                        Err(violation) => {
                            running.process.kill();
                            let shown = match violation {
                                proto::Violation::Malformed(_) => String::from_utf8_lossy(answer).into_owned(),
                                proto::Violation::TooManyEvents(n) => format!(
                                    "[answer of {n} events, over the limit of {} (max_events)] {}",
                                    self.config.max_events,
                                    String::from_utf8_lossy(&answer[..answer.len().min(GARBAGE_SHOWN_BYTES)])
                                ),
                            };
                            garbage(shown, running)
                        }
                    };
                }
                Some(_) => {
                    running.process.kill();
                    let shown = format!(
                        "[a batch line out of place, expected the answer to program {index}] {}",
                        String::from_utf8_lossy(&line)
                    );
                    return garbage(shown, running);
                }
            }
        }
    }

    /// Writes the script of `sources`, starts it, and waits for its hello.
    fn start(&mut self, sources: &[&str]) -> Result<(Running, InterpreterInfo), Error> {
        let started = Instant::now();
        let after = handshake_timeout(&self.config, self.min_handshake, self.slowest_start);
        let (running, info) = start_script(&self.config, sources, false, after)?;
        self.pid = running.process.id();
        self.slowest_start = self.slowest_start.max(started.elapsed());
        Ok((running, info))
    }
}

/// Writes the script of `sources` (streaming more from stdin with `stream`), starts it, and waits
/// up to `after` for its hello.
fn start_script(
    config: &WorkerConfig,
    sources: &[&str],
    stream: bool,
    after: Duration,
) -> Result<(Running, InterpreterInfo), Error> {
    static SCRIPTS: AtomicU64 = AtomicU64::new(0);
    let python = config.python.clone();
    let io_error = |error| Error::Io { python: python.clone(), error };
    let n = SCRIPTS.fetch_add(1, Ordering::Relaxed);
    let marker = format!("\u{1e}withstand-{:08x}-{n}:", std::process::id());
    let mut file = tempfile::Builder::new().prefix("withstand-batch-").suffix(".py").tempfile().map_err(io_error)?;
    file.write_all(script(&marker, &config.prelude, sources, stream).as_bytes()).map_err(io_error)?;
    file.flush().map_err(io_error)?;
    let mut command = Command::new(&python);
    command.arg(file.path());
    let started = Instant::now();
    let mut process = Process::start(command, &Limits { memory: config.memory_limit })
        .map_err(|error| Error::Spawn { python: python.clone(), error })?;
    if !stream {
        process.close_input();
    }
    let mut running = Running { process, marker, _script: file };

    let deadline = started + after;
    let not_usable = |reason: String| Error::Handshake { python: python.clone(), reason };
    // A handshake is a few hundred bytes; what the interpreter prints before it, a few KiB.
    let max_bytes = 1 << 20;
    let hello = loop {
        let line = match running.process.receive(deadline, max_bytes) {
            Received::Line(line) => line,
            Received::Overlong(line) => {
                return Err(not_usable(not_a_worker(&String::from_utf8_lossy(&line))));
            }
            Received::Eof => {
                let status = running.process.reap();
                let mut reason = format!("it exited before the handshake ({status})");
                reason.push_str(&stderr_summary(&running.process.stderr_tail()));
                return Err(not_usable(reason));
            }
            Received::Timeout => {
                return Err(Error::HandshakeTimeout { python: python.clone(), after });
            }
        };
        match marked(&line, &running.marker) {
            None => continue,
            Some(Marked::Hello(hello)) => break hello.to_owned(),
            Some(Marked::PreludeError(traceback)) => {
                let traceback: String = serde_json::from_str(traceback).unwrap_or_else(|_| traceback.to_owned());
                return Err(Error::Prelude {
                    python: python.clone(),
                    summary: last_line(&traceback).to_owned(),
                    detail: traceback,
                });
            }
            Some(_) => return Err(not_usable(not_a_worker(&String::from_utf8_lossy(&line)))),
        }
    };
    let info = proto::parse_batch_hello(&hello).map_err(|e| not_usable(format!("malformed batch hello: {e}")))?;
    Ok((running, info))
}

fn garbage(mut line: String, running: &mut Running) -> RunResult {
    proto::truncate(&mut line, GARBAGE_SHOWN_BYTES + 100);
    RunResult::Garbage { line, stderr_tail: running.process.stderr_tail() }
}

/// What a line of stdout is, if it carries the marker (anywhere in it: a program may have printed
/// a partial line before it).
fn marked<'a>(line: &'a [u8], marker: &str) -> Option<Marked<'a>> {
    let m = marker.as_bytes();
    let at = line.windows(m.len()).position(|w| w == m)?;
    let rest = &line[at + m.len()..];
    let text = std::str::from_utf8(rest).ok();
    if let Some(hello) = text.and_then(|t| t.strip_prefix("hello ")) {
        return Some(Marked::Hello(hello));
    }
    if let Some(traceback) = text.and_then(|t| t.strip_prefix("prelude-error ")) {
        return Some(Marked::PreludeError(traceback));
    }
    if rest == b"done" {
        return Some(Marked::Done);
    }
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits > 0 && rest.get(digits) == Some(&b' ') {
        let index = std::str::from_utf8(&rest[..digits]).ok().and_then(|d| d.parse().ok());
        if let Some(index) = index {
            return Some(Marked::Answer(index, &rest[digits + 1..]));
        }
    }
    Some(Marked::Other)
}

/// The whole script of a batch: the marker, the prelude and the programs as literals, then the
/// driver.
fn script(marker: &str, prelude: &str, sources: &[&str], stream: bool) -> String {
    let size = prelude.len() + sources.iter().map(|s| s.len() + 8).sum::<usize>() + BATCH_PY.len() + 256;
    let mut out = String::with_capacity(size);
    out.push_str("# withstand batch: a generated script (oracle/src/runner/batch.rs); it runs as it is\n");
    out.push_str("_M = ");
    literal(&mut out, marker);
    out.push_str("\n_PRELUDE = ");
    literal(&mut out, prelude);
    out.push_str("\n_PROGRAMS = [\n");
    for s in sources {
        literal(&mut out, s);
        out.push_str(",\n");
    }
    out.push_str("]\n_STREAM = ");
    out.push_str(if stream { "True" } else { "False" });
    out.push_str("\n\n");
    out.push_str(BATCH_PY);
    out
}

/// A Python string literal of `s`, ASCII only.
fn literal(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ' '..='~' => out.push(ch),
            c if (c as u32) < 0x10000 => write!(out, "\\u{:04x}", c as u32).expect("writing to a String"),
            c => write!(out, "\\U{:08x}", c as u32).expect("writing to a String"),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::{literal, marked, script, Marked};

    #[test]
    fn marked_lines_are_found_anywhere_in_a_line() {
        let m = "\u{1e}withstand-1-2:";
        assert!(marked(b"hello from a program", m).is_none());
        assert!(matches!(marked(format!("{m}hello {{}}").as_bytes(), m), Some(Marked::Hello("{}"))));
        let line = format!("partial output{m}3 {{\"events\":[]}}");
        match marked(line.as_bytes(), m) {
            Some(Marked::Answer(3, answer)) => assert_eq!(answer, b"{\"events\":[]}"),
            _ => panic!("an answer"),
        }
        assert!(matches!(marked(format!("{m}done").as_bytes(), m), Some(Marked::Done)));
        assert!(matches!(marked(format!("{m}x3 {{}}").as_bytes(), m), Some(Marked::Other)));
    }

    #[test]
    fn literals_are_ascii_python() {
        let mut out = String::new();
        literal(&mut out, "a\"b\\c\nd\u{e9}\u{1f600}");
        assert_eq!(out, r#""a\"b\\c\nd\u00e9\U0001f600""#);
        let text = script("M", "P = 1\n", &["def main():\n    return 1\n"], false);
        assert!(text.contains("_PROGRAMS = [\n\"def main():\\n    return 1\\n\",\n]"), "{text}");
        assert!(text.is_ascii());
    }
}
