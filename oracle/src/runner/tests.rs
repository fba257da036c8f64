//! Tests for the worker: real `python3` runs, fake interpreters, and the wire decoding.

use std::fs;
use std::ops::ControlFlow;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::capability::{Capabilities, Capability};
use crate::runner::{proto, seconds, Error, RunResult, Transport, Worker, WorkerConfig};
use crate::trace::{Event, ExcDetail, ExcRef, Outcome, Trace};

const PRELUDE: &str = include_str!("../render/prelude.py");

/// `python3` on PATH, or `None` after printing one line saying the test was skipped.
fn python3(test: &str) -> Option<PathBuf> {
    let ok = Command::new("python3").args(["-c", "pass"]).status().is_ok_and(|s| s.success());
    if !ok {
        println!("runner::{test}: skipped, no python3 on PATH");
        return None;
    }
    Some(PathBuf::from("python3"))
}

fn config(python: impl Into<PathBuf>, timeout: Duration) -> WorkerConfig {
    WorkerConfig::new(python, PRELUDE, timeout)
}

/// Spawns, retrying while the kernel says a just-written script is busy: another test thread may
/// have forked while the script's write handle was open (ETXTBSY).
fn spawn(config: &WorkerConfig) -> Result<Worker, Error> {
    let mut tries = 0;
    loop {
        match Worker::spawn(config) {
            Err(Error::Spawn { error, .. }) if error.raw_os_error() == Some(26) && tries < 50 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            res => return res,
        }
    }
}

fn worker(python: PathBuf, timeout: Duration) -> Worker {
    spawn(&config(python, timeout)).expect("python3 starts as a worker")
}

fn completed(res: RunResult) -> Trace {
    match res {
        RunResult::Completed(trace) => trace,
        other => panic!("expected a completed run, got {other:?}"),
    }
}

/// Writes an executable shell script into `dir`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn exc(ty: &str, msg: &str, id: u32) -> ExcRef {
    ExcRef { ty: ty.to_owned(), msg: Some(msg.to_owned()), id }
}

fn plain(exc: ExcRef) -> ExcDetail {
    ExcDetail { exc, context: None, cause: None, suppress_context: false }
}

fn returns(i: usize) -> String {
    format!("def main():\n    return ret('v', {i})\n")
}

#[test]
fn program_runs_and_reports_its_trace() {
    let Some(python) = python3("program_runs_and_reports_its_trace") else { return };
    let mut w = worker(python, Duration::from_secs(10));
    assert_eq!(w.info().implementation, "cpython");
    assert_eq!(w.info().version.0, 3);
    assert!(w.info().version_string.starts_with(&format!("{}.{}", w.info().version.0, w.info().version.1)));

    let src = "\
def main():
    log('L1')
    raise E1('r1')
";
    let trace = completed(w.run(src).unwrap());
    assert_eq!(
        trace,
        Trace {
            events: vec![Event::Log { label: "L1".to_owned(), info: None }],
            outcome: Outcome::Raised(vec![plain(exc("E1", "r1", 1))]),
        }
    );

    let src = "\
class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        return self
    def __exit__(self, t, v, tb):
        on_exit('M0', t, v, tb)
        return Bool('b1', True)

def main():
    with M0() as x:
        show('x', x)
        raise E2('boom')
    return ret('v1', 3)
";
    let trace = completed(w.run(src).unwrap());
    let boom = exc("E2", "boom", 1);
    assert_eq!(
        trace,
        Trace {
            events: vec![
                Event::Init { mgr: "M0".to_owned() },
                Event::Enter { mgr: "M0".to_owned(), is_async: false, info: None },
                Event::Var { name: "x".to_owned(), value: "<M0>".to_owned() },
                Event::Exit {
                    is_async: false,
                    mgr: "M0".to_owned(),
                    exc: Some(boom.clone()),
                    consistent: true,
                    info: Some(boom),
                },
                Event::Bool { label: "b1".to_owned() },
                Event::Ret { label: "v1".to_owned() },
            ],
            outcome: Outcome::Returned("3".to_owned()),
        }
    );
    assert_eq!(w.restarts(), 0);
}

#[test]
fn every_run_gets_a_fresh_namespace() {
    let Some(python) = python3("every_run_gets_a_fresh_namespace") else { return };
    let mut w = worker(python, Duration::from_secs(10));
    // The first program defines a global and shadows a prelude name; neither may leak.
    let first = "\
leaked = 1
def log(label):
    pass
def main():
    log('L1')
    return ret('v', 1)
";
    let second = "\
def main():
    log('L2')
    return ret('v', 'leaked' in globals())
";
    let res = w.run_many(&[first, second]).unwrap();
    let traces: Vec<Trace> = res.into_iter().map(completed).collect();
    assert_eq!(traces[0].events, vec![Event::Ret { label: "v".to_owned() }]);
    assert_eq!(
        traces[1],
        Trace {
            events: vec![Event::Log { label: "L2".to_owned(), info: None }, Event::Ret { label: "v".to_owned() },],
            outcome: Outcome::Returned("False".to_owned()),
        }
    );
}

#[test]
fn program_output_cannot_reach_the_channel() {
    let Some(python) = python3("program_output_cannot_reach_the_channel") else { return };
    let mut w = worker(python, Duration::from_secs(10));
    let src = r#"
import os
import sys
fake = '{"events": [], "outcome": ["return", "42"]}'
print(fake)
sys.stdout.write(fake + '\n')
sys.stdout.flush()
sys.__stdout__.write(fake + '\n')
os.write(1, (fake + '\n').encode())
def main():
    print(fake)
    print('7\nnot a frame', flush=True)
    os.write(1, b'garbage\n')
    show('stdin', sys.stdin.read())
    return ret('v', 1)
"#;
    let trace = completed(w.run(src).unwrap());
    assert_eq!(
        trace,
        Trace {
            events: vec![
                Event::Var { name: "stdin".to_owned(), value: "''".to_owned() },
                Event::Ret { label: "v".to_owned() },
            ],
            outcome: Outcome::Returned("1".to_owned()),
        }
    );
    // Still in step with the worker afterwards.
    let trace = completed(w.run(&returns(5)).unwrap());
    assert_eq!(trace.outcome, Outcome::Returned("5".to_owned()));
    assert_eq!(w.restarts(), 0);
}

#[test]
fn syntax_error_is_a_compile_outcome() {
    let Some(python) = python3("syntax_error_is_a_compile_outcome") else { return };
    let mut w = worker(python, Duration::from_secs(10));
    let trace = completed(w.run("def main(:\n    pass\n").unwrap());
    assert_eq!(trace.events, vec![]);
    match &trace.outcome {
        Outcome::CompileError(msg) => assert!(msg.starts_with("SyntaxError: "), "{msg}"),
        other => panic!("expected a compile error, got {other:?}"),
    }
    // A module-level raise is an outcome too, not a worker failure.
    let trace = completed(w.run("raise E3('top')\n").unwrap());
    assert_eq!(trace.outcome, Outcome::Raised(vec![plain(exc("E3", "top", 1))]));
    assert_eq!(w.restarts(), 0);
}

#[test]
fn hung_program_times_out_and_the_worker_recovers() {
    let Some(python) = python3("hung_program_times_out_and_the_worker_recovers") else { return };
    let mut w = worker(python, Duration::from_millis(300));
    let hang = "def main():\n    while True:\n        pass\n";
    match w.run(hang).unwrap() {
        RunResult::Timeout { .. } => {}
        other => panic!("expected a timeout, got {other:?}"),
    }
    let trace = completed(w.run(&returns(1)).unwrap());
    assert_eq!(trace.outcome, Outcome::Returned("1".to_owned()));
    assert_eq!(w.restarts(), 1);

    // In a batch, the programs in flight behind the hung one are sent again and complete.
    let (a, c, d) = (returns(10), returns(12), returns(13));
    let res = w.run_many(&[&a, hang, &c, &d]).unwrap();
    assert_eq!(res.len(), 4);
    assert!(matches!(res[1], RunResult::Timeout { .. }), "{:?}", res[1]);
    for (idx, want) in [(0, "10"), (2, "12"), (3, "13")] {
        assert_eq!(completed(res[idx].clone()).outcome, Outcome::Returned(want.to_owned()));
    }
    assert_eq!(w.restarts(), 2);
}

#[test]
fn crashing_program_is_reported_and_the_worker_recovers() {
    let Some(python) = python3("crashing_program_is_reported_and_the_worker_recovers") else {
        return;
    };
    let mut w = worker(python, Duration::from_secs(10));
    let exit3 = "import os\ndef main():\n    os._exit(3)\n";
    let sigkill = "import os, signal\ndef main():\n    os.kill(os.getpid(), signal.SIGKILL)\n";
    let ok = returns(2);
    let res = w.run_many(&[exit3, &ok, sigkill, &ok]).unwrap();
    assert_eq!(res.len(), 4);
    match &res[0] {
        RunResult::Crashed { status, .. } => assert_eq!(status, "exit status 3"),
        other => panic!("expected a crash, got {other:?}"),
    }
    match &res[2] {
        RunResult::Crashed { status, .. } => assert_eq!(status, "killed by signal 9"),
        other => panic!("expected a crash, got {other:?}"),
    }
    for idx in [1, 3] {
        assert_eq!(completed(res[idx].clone()).outcome, Outcome::Returned("2".to_owned()));
    }
    assert_eq!(w.restarts(), 2);
}

#[test]
fn crash_report_keeps_the_stderr_tail() {
    let Some(python) = python3("crash_report_keeps_the_stderr_tail") else { return };
    let mut w = worker(python, Duration::from_secs(10));
    let src = "\
import os
import sys
def main():
    print('printed before dying')
    sys.stderr.write('x' * 10000 + '\\n')
    sys.stderr.write('last words\\n')
    sys.stderr.flush()
    os._exit(7)
";
    match w.run(src).unwrap() {
        RunResult::Crashed { status, stderr_tail } => {
            assert_eq!(status, "exit status 7");
            assert!(stderr_tail.ends_with("last words\n"), "{stderr_tail:?}");
            assert!(stderr_tail.len() <= 4096, "the tail is bounded: {}", stderr_tail.len());
        }
        other => panic!("expected a crash, got {other:?}"),
    }
    let src = "\
import os
def main():
    print('printed before dying')
    os._exit(1)
";
    match w.run(src).unwrap() {
        RunResult::Crashed { stderr_tail, .. } => {
            assert!(stderr_tail.contains("printed before dying"), "{stderr_tail:?}")
        }
        other => panic!("expected a crash, got {other:?}"),
    }
}

#[test]
fn failed_respawn_is_an_error_and_is_retried() {
    let Some(_) = python3("failed_respawn_is_an_error_and_is_retried") else { return };
    let dir = tempfile::tempdir().unwrap();
    let fail = dir.path().join("fail");
    // A wrapper script around the real interpreter, which refuses to start while `fail` exists.
    let wrapper = script(
        dir.path(),
        "python-wrapper",
        &format!("if [ -e '{}' ]; then exit 5; fi\nexec python3 \"$@\"\n", fail.display()),
    );
    let mut w = spawn(&config(&wrapper, Duration::from_secs(10))).unwrap();
    assert_eq!(completed(w.run(&returns(1)).unwrap()).outcome, Outcome::Returned("1".to_owned()));

    fs::write(&fail, "").unwrap();
    let crash = "import os\ndef main():\n    os._exit(3)\n";
    // The crash is still reported; the respawn happens when the next program needs it.
    match w.run(crash).unwrap() {
        RunResult::Crashed { status, .. } => assert_eq!(status, "exit status 3"),
        other => panic!("expected a crash, got {other:?}"),
    }
    let err = w.run(&returns(2)).expect_err("the respawn fails");
    assert!(matches!(err, Error::Handshake { .. }), "{err:?}");
    assert!(err.to_string().ends_with("it exited before the handshake (exit status 5)"), "{err}");
    // Still no interpreter: the next call tries to start one first, and fails the same way.
    assert!(matches!(w.run(&returns(2)), Err(Error::Handshake { .. })));
    assert_eq!(w.restarts(), 0);

    fs::remove_file(&fail).unwrap();
    assert_eq!(completed(w.run(&returns(3)).unwrap()).outcome, Outcome::Returned("3".to_owned()));
    assert_eq!(w.restarts(), 1);
}

#[test]
fn malformed_answers_are_garbage() {
    let dir = tempfile::tempdir().unwrap();
    // A fake interpreter: a valid handshake, accepts the prelude, then answers nonsense.
    let fake = script(
        dir.path(),
        "fake-python",
        r#"echo '{"proto": 1, "implementation": "fake", "version": [3, 99, 0], "version_string": "fake 3.99"}'
read n
head -c "$n" >/dev/null
echo '{"ok": true}'
read n
echo 'not json'
exec cat >/dev/null
"#,
    );
    let mut w = spawn(&config(&fake, Duration::from_secs(5))).unwrap();
    assert_eq!(w.info().implementation, "fake");
    assert_eq!(w.info().version, (3, 99, 0));
    let res = w.run_many(&["def main(): pass\n", "def main(): pass\n"]).unwrap();
    assert_eq!(res.len(), 2);
    for it in res {
        match it {
            RunResult::Garbage { line, .. } => assert_eq!(line, "not json"),
            other => panic!("expected garbage, got {other:?}"),
        }
    }
    // One respawn, for the second program; the next call would start another.
    assert_eq!(w.restarts(), 1);
    assert!(matches!(w.run("def main(): pass\n").unwrap(), RunResult::Garbage { .. }));
    assert_eq!(w.restarts(), 2);
}

#[test]
fn broken_instrumentation_is_garbage() {
    let Some(python) = python3("broken_instrumentation_is_garbage") else { return };
    let mut w = worker(python, Duration::from_secs(10));
    let no_main = "x = 1\n";
    let bad_event = "def main():\n    _T.append(['log', 1, None])\n";
    let unencodable = "def main():\n    _T.append(['log', object(), None])\n";
    let ok = returns(4);
    let res = w.run_many(&[no_main, &ok, bad_event, unencodable, &ok]).unwrap();
    assert_eq!(res.len(), 5);
    match &res[0] {
        RunResult::Garbage { line, .. } => assert!(line.contains("KeyError"), "{line}"),
        other => panic!("expected garbage, got {other:?}"),
    }
    match &res[2] {
        RunResult::Garbage { line, .. } => assert!(line.contains(r#"["log",1,null]"#), "{line}"),
        other => panic!("expected garbage, got {other:?}"),
    }
    match &res[3] {
        RunResult::Garbage { line, .. } => {
            assert!(line.contains("not JSON serializable"), "{line}")
        }
        other => panic!("expected garbage, got {other:?}"),
    }
    for idx in [1, 4] {
        assert_eq!(completed(res[idx].clone()).outcome, Outcome::Returned("4".to_owned()));
    }
    assert_eq!(w.restarts(), 3);
}

#[test]
fn many_programs_pipelined_come_back_in_order() {
    let Some(python) = python3("many_programs_pipelined_come_back_in_order") else { return };
    let mut w = worker(python, Duration::from_secs(10));
    let sources: Vec<String> = (0..200).map(returns).collect();
    let refs: Vec<&str> = sources.iter().map(String::as_str).collect();
    let res = w.run_many(&refs).unwrap();
    assert_eq!(res.len(), 200);
    for (i, it) in res.into_iter().enumerate() {
        let trace = completed(it);
        assert_eq!(trace.events, vec![Event::Ret { label: "v".to_owned() }]);
        assert_eq!(trace.outcome, Outcome::Returned(i.to_string()));
    }
    assert_eq!(w.run_many(&[]).unwrap(), vec![]);
    assert_eq!(w.restarts(), 0);
}

#[test]
fn interpreters_that_cannot_host_the_worker_are_errors() {
    let missing = "/nonexistent/withstand/python9";
    let err = spawn(&config(missing, Duration::from_secs(1))).expect_err("a missing interpreter");
    assert!(matches!(err, Error::Spawn { .. }), "{err:?}");
    assert_eq!(err.to_string(), format!("cannot start interpreter {missing:?}: No such file or directory"));

    let err = spawn(&config("/bin/true", Duration::from_secs(1))).expect_err("/bin/true");
    assert!(matches!(err, Error::Handshake { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        r#""/bin/true" is not a usable Python: it exited before the handshake (exit status 0)"#
    );

    let dir = tempfile::tempdir().unwrap();
    let hello = script(dir.path(), "hello", "echo hello\n");
    let err = spawn(&config(&hello, Duration::from_secs(1))).expect_err("a chatty script");
    assert!(matches!(err, Error::Handshake { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("not a withstand worker"), "{msg}");
    assert!(msg.contains(r#""hello""#), "{msg}");

    let loud = script(dir.path(), "loud", "echo 'no such module' >&2\nexit 1\n");
    let err = spawn(&config(&loud, Duration::from_secs(1))).expect_err("a failing script");
    let msg = err.to_string();
    assert!(msg.ends_with(r#"(exit status 1); stderr: "no such module""#), "{msg}");

    let future = script(
        dir.path(),
        "future",
        r#"echo '{"proto": 2, "implementation": "cpython"}'
exec cat >/dev/null
"#,
    );
    let err = spawn(&config(&future, Duration::from_secs(1))).expect_err("another protocol");
    assert!(matches!(err, Error::ProtocolVersion { .. }), "{err:?}");
    assert!(err.to_string().contains("speaks worker protocol 2"), "{err}");
}

#[test]
fn silent_interpreter_times_out_in_the_handshake() {
    let dir = tempfile::tempdir().unwrap();
    let silent = script(dir.path(), "silent", "exec sleep 60\n");
    let config = config(&silent, Duration::from_millis(100));
    // The handshake gets its own floor (10 s in production), whatever the per-program timeout.
    let start = std::time::Instant::now();
    let err = Worker::spawn_with(&config, Duration::from_millis(400)).expect_err("a silent one");
    assert!(start.elapsed() >= Duration::from_millis(400), "{:?}", start.elapsed());
    assert!(matches!(err, Error::HandshakeTimeout { .. }), "{err:?}");
    assert_eq!(err.to_string(), format!("handshake with {silent:?} timed out after 400ms"));
}

#[test]
fn durations_read_naturally() {
    assert_eq!(seconds(Duration::from_secs(10)), "10s");
    assert_eq!(seconds(Duration::from_millis(10_500)), "10.5s");
    assert_eq!(seconds(Duration::from_millis(300)), "300ms");
}

#[test]
fn failing_prelude_is_an_error() {
    let Some(python) = python3("failing_prelude_is_an_error") else { return };
    let mut config = config(python, Duration::from_secs(10));
    config.prelude = "import sys\nraise ImportError('no instrumentation here')\n".to_owned();
    let err = spawn(&config).expect_err("a failing prelude");
    match &err {
        Error::Prelude { detail, .. } => assert!(detail.contains("Traceback"), "{detail}"),
        other => panic!("expected a prelude error, got {other:?}"),
    }
    assert_eq!(err.to_string(), r#"the prelude failed to load in "python3": ImportError: no instrumentation here"#);
}

#[test]
fn worker_can_move_to_another_thread() {
    fn is_send<T: Send>() {}
    is_send::<Worker>();
    is_send::<Error>();
}

#[test]
fn answers_decode_strictly() {
    let ok = r#"{"events":[["init","M0"],["enter","M0",null],["exit","M0",["E1","m",1],false,null],["inst","M0","__exit__"],["bool","b"],["len","n"],["log","L",["E1","m",1]],["var","x","1"],["ret","r"],["handler","h",[["E2","",2],["E1","m",1],null,true]],["finally","f",null]],"outcome":["raise",[[["E2","",2],["E1","m",1],null,true],[["E1","m",1],null,null,false]]]}"#;
    let trace = proto::parse_run_reply(ok.as_bytes(), 100).unwrap();
    assert_eq!(trace.events.len(), 11);
    assert_eq!(
        trace.events[9],
        Event::Handler {
            label: "h".to_owned(),
            exc: ExcDetail {
                exc: exc("E2", "", 2),
                context: Some(exc("E1", "m", 1)),
                cause: None,
                suppress_context: true,
            },
        }
    );
    assert_eq!(
        trace.events[2],
        Event::Exit {
            is_async: false,
            mgr: "M0".to_owned(),
            exc: Some(exc("E1", "m", 1)),
            consistent: false,
            info: None
        }
    );
    let Outcome::Raised(chain) = &trace.outcome else { panic!("{:?}", trace.outcome) };
    assert_eq!(chain.len(), 2);
    assert_eq!(
        proto::parse_run_reply(br#"{"events":[],"outcome":["compile","SyntaxError: x"]}"#, 100).unwrap().outcome,
        Outcome::CompileError("SyntaxError: x".to_owned())
    );

    for bad in [
        "",
        "[]",
        r#"{"events":[]}"#,
        r#"{"events":[],"outcome":["return","1"],"extra":1}"#,
        r#"{"events":[["init"]],"outcome":["return","1"]}"#,
        r#"{"events":[["init","M0","extra"]],"outcome":["return","1"]}"#,
        r#"{"events":[["nope","M0"]],"outcome":["return","1"]}"#,
        r#"{"events":[["enter","M0",["E1","m"]]],"outcome":["return","1"]}"#,
        r#"{"events":[["enter","M0",["E1","m",0]]],"outcome":["return","1"]}"#,
        r#"{"events":[["enter","M0",["E1",null,1]]],"outcome":["return","1"]}"#,
        r#"{"events":[["exit","M0",null,1,null]],"outcome":["return","1"]}"#,
        r#"{"events":[["handler","h",[null,null,null,false]]],"outcome":["return","1"]}"#,
        r#"{"events":[],"outcome":["return",1]}"#,
        r#"{"events":[],"outcome":["raise",[]]}"#,
        r#"{"events":[],"outcome":["exit","1"]}"#,
        r#"{"error":"Traceback"}"#,
    ] {
        assert!(proto::parse_run_reply(bad.as_bytes(), 100).is_err(), "accepted {bad}");
    }
}

#[test]
fn requests_are_framed_by_byte_length() {
    assert_eq!(proto::frame("é\n"), b"3\n\xc3\xa9\n".to_vec());
    assert_eq!(proto::frame(""), b"0\n".to_vec());
}

/// Links the fake interpreter `name` (from `runner/fakes/`) into `dir` as `python`; the fake keeps
/// its state in `dir`.
fn fake(dir: &Path, name: &str) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/runner/fakes").join(name);
    let link = dir.join("python");
    std::os::unix::fs::symlink(&source, &link).expect("a symlink in a temporary directory");
    link
}

/// Whether process `pid` is gone (or a zombie, which runs nothing).
fn gone(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('Z')),
    }
}

/// Polls `done` for up to 5 s.
fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

fn crash_status(res: &RunResult) -> &str {
    match res {
        RunResult::Crashed { status, .. } => status,
        other => panic!("expected a crash, got {other:?}"),
    }
}

fn garbage_line(res: &RunResult) -> &str {
    match res {
        RunResult::Garbage { line, .. } => line,
        other => panic!("expected garbage, got {other:?}"),
    }
}

#[test]
fn a_crash_is_kept_when_the_interpreter_cannot_restart() {
    let Some(_) = python3("a_crash_is_kept_when_the_interpreter_cannot_restart") else { return };
    let dir = tempfile::tempdir().unwrap();
    let python = fake(dir.path(), "starts-once");
    let mut w = spawn(&config(&python, Duration::from_secs(10))).unwrap();
    let crash = "import os\ndef main():\n    os._exit(3)\n";
    let (a, c) = (returns(1), returns(3));
    // The crash needs a restart for the program after it, and the restart fails: the results up
    // to the crash come back first, the restart error with the next call.
    let mut seen = Vec::new();
    let n = w
        .run_each(&[&a, crash, &c], |idx, res| {
            seen.push((idx, res));
            ControlFlow::Continue(())
        })
        .expect("results before the error");
    assert_eq!(n, 2);
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].0, 0);
    assert_eq!(completed(seen[0].1.clone()).outcome, Outcome::Returned("1".to_owned()));
    assert_eq!(seen[1].0, 1);
    assert_eq!(crash_status(&seen[1].1), "exit status 3");
    let err = w.run(&c).expect_err("the restart error comes next");
    assert!(matches!(err, Error::Handshake { .. }), "{err:?}");
    assert!(err.to_string().contains("starts-once: refusing to start again"), "{err}");
    // Later calls try again (and fail again, this fake never starts twice).
    assert!(matches!(w.run_many(&[&c]), Err(Error::Handshake { .. })));

    // run_many is the same call: a short vector, then the error.
    let dir = tempfile::tempdir().unwrap();
    let python = fake(dir.path(), "starts-once");
    let mut w = spawn(&config(&python, Duration::from_secs(10))).unwrap();
    let res = w.run_many(&[crash, &c]).expect("the crash");
    assert_eq!(res.len(), 1);
    assert_eq!(crash_status(&res[0]), "exit status 3");
    assert!(w.run_many(&[&c]).is_err());
}

#[test]
fn an_answer_over_the_event_limit_is_garbage() {
    let Some(python) = python3("an_answer_over_the_event_limit_is_garbage") else { return };
    let mut config = config(python, Duration::from_secs(10));
    config.max_events = 10;
    let mut w = spawn(&config).unwrap();
    let ten = "def main():\n    for i in range(9):\n        log('L')\n    return ret('v', 1)\n";
    let eleven = "def main():\n    for i in range(10):\n        log('L')\n    return ret('v', 1)\n";
    let res = w.run_many(&[ten, eleven, ten]).unwrap();
    assert_eq!(completed(res[0].clone()).events.len(), 10);
    let line = garbage_line(&res[1]);
    assert!(line.starts_with("[answer of 11 events, over the limit of 10 (max_events)] {\"events\":"), "{line}");
    // The interpreter was killed and replaced.
    assert_eq!(completed(res[2].clone()).events.len(), 10);
    assert_eq!(w.restarts(), 1);
}

#[test]
fn the_default_limits_bound_answers_at_10_mb_and_100k_events() {
    assert_eq!(super::MAX_ANSWER_BYTES, 10_000_000);
    assert_eq!(super::MAX_EVENTS, 100_000);
    let Some(python) = python3("the_default_limits_bound_answers_at_10_mb_and_100k_events") else { return };
    let mut w = worker(python, Duration::from_secs(20));
    let many = "def main():\n    for i in range(100001):\n        log('L')\n";
    let huge = "def main():\n    log('x' * 11000000)\n";
    let res = w.run_many(&[many, huge]).unwrap();
    assert!(garbage_line(&res[0]).starts_with("[answer of 100001 events, over the limit of 100000 (max_events)]"));
    let line = garbage_line(&res[1]);
    assert!(
        line.starts_with("[answer over the limit of 10000000 bytes (max_answer_bytes)] {\"events\":[[\"log\",\"xxx")
    );
    assert!(line.len() < 1200, "the line shown is truncated: {}", line.len());
}

#[test]
fn an_endless_answer_is_cut_at_the_limit_and_its_interpreter_killed() {
    let dir = tempfile::tempdir().unwrap();
    let python = fake(dir.path(), "floods");
    let mut config = config(&python, Duration::from_secs(60));
    config.max_answer_bytes = 1 << 20;
    let mut w = spawn(&config).unwrap();
    let pid = w.pid();
    let start = std::time::Instant::now();
    let res = w.run(&returns(1)).unwrap();
    assert!(start.elapsed() < Duration::from_secs(30), "cut at the limit, not at the timeout: {:?}", start.elapsed());
    let line = garbage_line(&res);
    assert!(
        line.starts_with("[answer over the limit of 1048576 bytes (max_answer_bytes)] {\"events\": [[\"log\", \"xxxx"),
        "{line}"
    );
    assert!(gone(pid), "the flooding interpreter is killed");
}

#[test]
fn a_program_out_of_memory_is_a_crash_naming_the_limit() {
    let Some(python) = python3("a_program_out_of_memory_is_a_crash_naming_the_limit") else { return };
    let mut config = config(python, Duration::from_secs(20));
    config.memory_limit = Some(512 << 20);
    let mut w = spawn(&config).unwrap();
    let leak = "def main():\n    hoard = []\n    while True:\n        hoard.append(bytearray(16 << 20))\n";
    // A program that catches the MemoryError and goes on is still out of memory.
    let caught = "\
def main():
    hoard = []
    try:
        while True:
            hoard.append(bytearray(16 << 20))
    except MemoryError:
        handler('h1')
    return ret('v', 1)
";
    let big = "def main():\n    return ret('v', len(bytearray(768 << 20)))\n";
    let res = w.run_many(&[leak, &returns(1), caught, big]).unwrap();
    assert_eq!(crash_status(&res[0]), "out of memory (limit 512 MiB)");
    match &res[0] {
        RunResult::Crashed { stderr_tail, .. } => assert!(stderr_tail.contains("MemoryError"), "{stderr_tail}"),
        _ => unreachable!(),
    }
    assert_eq!(completed(res[1].clone()).outcome, Outcome::Returned("1".to_owned()));
    assert_eq!(crash_status(&res[2]), "out of memory (limit 512 MiB)");
    assert_eq!(crash_status(&res[3]), "out of memory (limit 512 MiB)");

    // The limit can be switched off: the same 768 MiB are fine then.
    config.memory_limit = None;
    let mut w = spawn(&config).unwrap();
    assert_eq!(completed(w.run(big).unwrap()).outcome, Outcome::Returned((768 << 20).to_string()));
}

#[test]
fn a_leaking_interpreter_is_a_crash_naming_the_limit() {
    let Some(_) = python3("a_leaking_interpreter_is_a_crash_naming_the_limit") else { return };
    let dir = tempfile::tempdir().unwrap();
    let python = fake(dir.path(), "leaks");
    let mut config = config(&python, Duration::from_secs(20));
    config.memory_limit = Some(256 << 20);
    let mut w = spawn(&config).unwrap();
    let res = w.run(&returns(1)).unwrap();
    assert_eq!(crash_status(&res), "out of memory (limit 256 MiB): exit status 1");
}

#[test]
fn the_default_memory_limit_is_4_gib() {
    let config = WorkerConfig::new("python3", PRELUDE, Duration::from_secs(1));
    assert_eq!(config.memory_limit, Some(4 << 30));
    assert_eq!(super::bytes_text(4 << 30), "4 GiB");
    assert_eq!(super::bytes_text(1000), "1000 bytes");
}

#[test]
fn a_worker_is_recycled_after_its_share_of_programs() {
    let Some(python) = python3("a_worker_is_recycled_after_its_share_of_programs") else { return };
    let mut config = config(python, Duration::from_secs(10));
    config.recycle_after = Some(3);
    let mut w = spawn(&config).unwrap();
    let pid = "import os\ndef main():\n    return ret('v', os.getpid())\n";
    let res = w.run_many(&[pid; 8]).unwrap();
    let pids: Vec<String> = res
        .into_iter()
        .map(|r| match completed(r).outcome {
            Outcome::Returned(p) => p,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(pids.len(), 8);
    for chunk in pids.chunks(3) {
        assert!(chunk.iter().all(|p| *p == chunk[0]), "{pids:?}");
    }
    assert!(pids[0] != pids[3] && pids[3] != pids[6] && pids[0] != pids[6], "{pids:?}");
    assert_eq!(w.recycles(), 2);
    assert_eq!(w.restarts(), 0);
    // The count goes on across calls.
    let res = w.run_many(&[pid; 2]).unwrap();
    let Outcome::Returned(p) = completed(res[0].clone()).outcome else { panic!() };
    assert_eq!(p, pids[6]);
    let Outcome::Returned(p) = completed(res[1].clone()).outcome else { panic!() };
    assert_ne!(p, pids[6]);
    assert_eq!(w.recycles(), 3);

    // Zero means one program per interpreter, not none.
    config.recycle_after = Some(0);
    let mut w = spawn(&config).unwrap();
    let res = w.run_many(&[pid; 2]).unwrap();
    assert_ne!(completed(res[0].clone()).outcome, completed(res[1].clone()).outcome);
    assert_eq!(w.recycles(), 1);
}

#[test]
fn a_hung_interpreter_is_killed_with_its_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let python = fake(dir.path(), "hangs");
    let mut w = spawn(&config(&python, Duration::from_millis(300))).unwrap();
    assert!(matches!(w.run(&returns(1)).unwrap(), RunResult::Timeout { .. }));
    let pids = fs::read_to_string(dir.path().join("pids")).expect("the fake wrote its pids");
    let pids: Vec<u32> = pids.split_whitespace().map(|p| p.parse().unwrap()).collect();
    assert_eq!(pids.len(), 2);
    // The grandchild was in the interpreter's group: killed with it, not orphaned.
    assert!(eventually(|| pids.iter().all(|&p| gone(p))), "{pids:?} still run");

    // Dropping a worker kills its group too, and takes it out of the registry of live groups
    // that the binary's signal handler kills.
    let w = spawn(&config(&python, Duration::from_secs(60))).unwrap();
    let pid = w.pid();
    assert!(!gone(pid));
    assert!(super::process::is_registered(pid));
    drop(w);
    assert!(gone(pid));
    assert!(!super::process::is_registered(pid));
}

#[test]
fn a_panic_on_the_thread_that_owns_a_worker_kills_its_interpreter() {
    let dir = tempfile::tempdir().unwrap();
    let python = fake(dir.path(), "hangs");
    let config = config(&python, Duration::from_secs(60));
    let (tx, rx) = std::sync::mpsc::channel();
    let owner = std::thread::spawn(move || {
        let w = spawn(&config).unwrap();
        tx.send(w.pid()).unwrap();
        panic!("a bug in the caller, with a worker in hand");
    });
    let pid = rx.recv().unwrap();
    assert!(owner.join().is_err(), "the thread panicked");
    // Unwinding dropped the worker, which killed its process group.
    assert!(gone(pid));
    assert!(!super::process::is_registered(pid));
}

#[test]
fn a_worker_outlives_the_thread_that_started_it() {
    // PR_SET_PDEATHSIG fires when the thread that forked the interpreter exits: the interpreter
    // must be forked by a thread that lives as long as withstand, not by this short-lived one.
    let Some(python) = python3("a_worker_outlives_the_thread_that_started_it") else { return };
    let config = config(python, Duration::from_secs(10));
    let mut w = std::thread::spawn(move || spawn(&config).unwrap()).join().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(completed(w.run(&returns(7)).unwrap()).outcome, Outcome::Returned("7".to_owned()));
    // And its respawns likewise.
    let crash = "import os\ndef main():\n    os._exit(3)\n";
    let mut w = std::thread::spawn(move || {
        assert_eq!(crash_status(&w.run(crash).unwrap()), "exit status 3");
        assert_eq!(completed(w.run(&returns(8)).unwrap()).outcome, Outcome::Returned("8".to_owned()));
        w
    })
    .join()
    .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(completed(w.run(&returns(9)).unwrap()).outcome, Outcome::Returned("9".to_owned()));
    assert_eq!(w.restarts(), 1);
}

#[test]
fn python_2_is_refused_in_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let python = fake(dir.path(), "python2");
    let err = spawn(&config(&python, Duration::from_secs(5))).expect_err("Python 2");
    assert!(matches!(err, Error::Unsupported { version: (2, 7, 18), .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("{python:?} is Python 2.7.18: Python 2 is not supported (withstand needs Python 3.7 or later)")
    );

    // The real ones, where pyenv has them: the driver must get as far as the handshake.
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    for (version, want) in [
        ("2.7", "Python 2 is not supported (withstand needs Python 3.7 or later)"),
        ("3.6", "withstand needs Python 3.7 or later"),
    ] {
        let found = fs::read_dir(home.join(".pyenv/versions")).ok().and_then(|dir| {
            dir.filter_map(Result::ok).map(|e| e.path().join("bin/python")).find(|p| {
                p.exists() && p.parent().unwrap().parent().unwrap().to_string_lossy().contains(&format!("/{version}."))
            })
        });
        let Some(python) = found else {
            println!(
                "runner::python_2_is_refused_in_one_clear_line: skipped the real Python {version}, none under ~/.pyenv"
            );
            continue;
        };
        let err = spawn(&config(&python, Duration::from_secs(20))).expect_err("refused");
        assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.ends_with(want), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");
    }
}

// ---- the batch transport (batch.rs), auto fallback, capabilities ----

/// The process transport with a script per batch of `batch` programs (no streaming).
fn batch_config(python: impl Into<PathBuf>, timeout: Duration, batch: usize) -> WorkerConfig {
    let mut c = config(python, timeout);
    c.transport = Transport::Process;
    c.batch = batch;
    c.stream = false;
    c
}

/// The process transport streaming programs on stdin.
fn stream_config(python: impl Into<PathBuf>, timeout: Duration) -> WorkerConfig {
    let mut c = config(python, timeout);
    c.transport = Transport::Process;
    c
}

#[test]
fn the_batch_transport_gives_the_workers_traces() {
    let Some(python) = python3("the_batch_transport_gives_the_workers_traces") else { return };
    let mut batch = spawn(&batch_config(&python, Duration::from_secs(10), 2)).expect("python3 runs batches");
    assert_eq!(batch.transport(), Transport::Process);
    assert_eq!(batch.info().implementation, "cpython");
    assert_eq!(batch.capabilities(), Capabilities::FULL);
    let mut persistent = worker(python.clone(), Duration::from_secs(10));
    // The first program leaves a global behind and prints partial lines; neither may reach the
    // next program or the answers.
    let sources = [
        "import sys\nleak = 1\ndef main():\n    sys.stdout.write('no newline')\n    log('L1')\n    raise E1('r1')\n",
        "def main():\n    print('\\x1ewithstand-0-0:0 {}')\n    return ret('v', 'leak' in globals())\n",
        "class M0:\n    def __enter__(self):\n        return self\n    def __exit__(self, t, v, tb):\n        on_exit('M0', t, v, tb)\n        return True\n\ndef main():\n    with M0():\n        raise KeyError('k')\n",
        "def main(:\n",
        &returns(5),
    ];
    let got = batch.run_many(&sources).unwrap();
    let want = persistent.run_many(&sources).unwrap();
    assert_eq!(got, want);
    assert_eq!(completed(got[1].clone()).outcome, Outcome::Returned("False".to_owned()));
    assert!(matches!(completed(got[3].clone()).outcome, Outcome::CompileError(_)));
    // Five programs in batches of two: three processes, none after a failure.
    assert_eq!((batch.recycles(), batch.restarts()), (3, 0));
    assert_eq!(batch.transport_description(), "one process per batch of 2 programs");

    // Streamed on the stdin of one process: the same traces, from the same process.
    let mut stream = spawn(&stream_config(&python, Duration::from_secs(10))).expect("python3 streams");
    assert_eq!(stream.transport(), Transport::Process);
    assert!(stream.transport_description().contains("streamed on its stdin"), "{}", stream.transport_description());
    let pid = stream.pid();
    assert_eq!(stream.run_many(&sources).unwrap(), want);
    assert_eq!((stream.pid(), stream.restarts()), (pid, 0));
}

#[test]
fn a_streaming_process_that_dies_or_hangs_loses_only_the_program_in_flight() {
    let Some(python) = python3("a_streaming_process_that_dies_or_hangs_loses_only_the_program_in_flight") else {
        return;
    };
    let mut w = spawn(&stream_config(&python, Duration::from_millis(1500))).unwrap();
    let crash = "import os\ndef main():\n    os._exit(3)\n";
    let hang = "def main():\n    while True:\n        pass\n";
    let (a, b, c) = (returns(1), returns(2), returns(3));
    let res = w.run_many(&[&a, crash, &b, hang, &c]).unwrap();
    assert_eq!(completed(res[0].clone()).outcome, Outcome::Returned("1".to_owned()));
    assert_eq!(crash_status(&res[1]), "exit status 3");
    assert_eq!(completed(res[2].clone()).outcome, Outcome::Returned("2".to_owned()));
    assert!(matches!(res[3], RunResult::Timeout { .. }), "{:?}", res[3]);
    assert_eq!(completed(res[4].clone()).outcome, Outcome::Returned("3".to_owned()));
    assert_eq!(w.restarts(), 2);
}

#[test]
fn an_interpreter_that_does_not_read_its_stdin_gets_a_script_per_batch() {
    let Some(_) = python3("an_interpreter_that_does_not_read_its_stdin_gets_a_script_per_batch") else { return };
    let dir = tempfile::tempdir().unwrap();
    // Its stdin is always empty, as under a runner that does not pass it on.
    let python = script(dir.path(), "python", "exec python3 \"$@\" </dev/null\n");
    let mut w = spawn(&stream_config(&python, Duration::from_secs(10))).expect("it runs scripts");
    assert_eq!(w.transport_description(), "one process per batch of 200 programs");
    assert!(
        w.notes()[0].starts_with("a script per batch: it does not read programs from its stdin"),
        "{:?}",
        w.notes()
    );
    assert_eq!(completed(w.run(&returns(6)).unwrap()).outcome, Outcome::Returned("6".to_owned()));
}

#[test]
fn a_batch_process_that_dies_or_hangs_loses_only_the_program_in_flight() {
    let Some(python) = python3("a_batch_process_that_dies_or_hangs_loses_only_the_program_in_flight") else {
        return;
    };
    let mut w = spawn(&batch_config(&python, Duration::from_millis(1500), 10)).unwrap();
    let crash = "import os\ndef main():\n    os._exit(3)\n";
    let hang = "def main():\n    while True:\n        pass\n";
    let (a, b, c) = (returns(1), returns(2), returns(3));
    let mut seen = Vec::new();
    let n = w
        .run_each(&[&a, crash, &b, hang, &c], |idx, res| {
            seen.push((idx, res));
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(n, 5);
    assert_eq!(seen.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    assert_eq!(completed(seen[0].1.clone()).outcome, Outcome::Returned("1".to_owned()));
    assert_eq!(crash_status(&seen[1].1), "exit status 3");
    assert_eq!(completed(seen[2].1.clone()).outcome, Outcome::Returned("2".to_owned()));
    assert!(matches!(seen[3].1, RunResult::Timeout { .. }), "{:?}", seen[3].1);
    assert_eq!(completed(seen[4].1.clone()).outcome, Outcome::Returned("3".to_owned()));
    // The rest of the batch ran again after each failure.
    assert_eq!(w.restarts(), 2);
}

#[test]
fn a_batch_process_that_cannot_start_again_keeps_the_results_so_far() {
    let Some(_) = python3("a_batch_process_that_cannot_start_again_keeps_the_results_so_far") else { return };
    let dir = tempfile::tempdir().unwrap();
    let fail = dir.path().join("fail");
    let wrapper = script(
        dir.path(),
        "python-wrapper",
        &format!("if [ -e '{}' ]; then exit 5; fi\nexec python3 \"$@\"\n", fail.display()),
    );
    let mut w = spawn(&batch_config(&wrapper, Duration::from_secs(10), 10)).unwrap();
    let crash = format!("import os\ndef main():\n    open('{}', 'w').close()\n    os._exit(3)\n", fail.display());
    let res = w.run_many(&[&returns(1), &crash, &returns(3)]).expect("the results before the failed start");
    assert_eq!(res.len(), 2);
    assert_eq!(crash_status(&res[1]), "exit status 3");
    let err = w.run(&returns(3)).expect_err("the start error comes next");
    assert!(err.to_string().ends_with("it exited before the handshake (exit status 5)"), "{err}");
}

#[test]
fn auto_falls_back_to_one_process_per_batch_and_says_why() {
    let Some(_) = python3("auto_falls_back_to_one_process_per_batch_and_says_why") else { return };
    let dir = tempfile::tempdir().unwrap();
    // A python3 that cannot host the worker (run with -c), as MicroPython cannot.
    let python = script(
        dir.path(),
        "python",
        "if [ \"$1\" = -u ]; then echo \"AttributeError: module 'os' has no attribute 'fdopen'\" >&2; exit 1; fi\nexec python3 \"$@\"\n",
    );
    let mut c = config(&python, Duration::from_secs(10));
    let err = spawn(&c).expect_err("the worker alone does not start");
    assert!(matches!(err, Error::Handshake { .. }), "{err}");
    c.transport = Transport::Auto;
    let mut w = spawn(&c).expect("the batch transport starts");
    assert_eq!(w.transport(), Transport::Process);
    assert_eq!(w.config().transport, Transport::Process);
    assert!(w.notes()[0].contains("has no attribute 'fdopen'"), "{:?}", w.notes());
    assert_eq!(completed(w.run(&returns(4)).unwrap()).outcome, Outcome::Returned("4".to_owned()));
    // A real python3 keeps the worker.
    let mut c = config("python3", Duration::from_secs(10));
    c.transport = Transport::Auto;
    let w = spawn(&c).unwrap();
    assert_eq!(w.transport(), Transport::Worker);
    assert!(w.notes().is_empty());
}

#[test]
fn an_interpreter_with_no_usable_transport_gets_one_message_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let python = script(dir.path(), "python", "echo 'ImportError: no module named sys' >&2\nexit 1\n");
    let mut c = config(&python, Duration::from_secs(10));
    c.transport = Transport::Auto;
    let err = spawn(&c).expect_err("nothing starts");
    assert!(matches!(err, Error::NoTransport { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("the persistent worker did not start"), "{text}");
    assert!(text.contains("neither did one process per batch"), "{text}");
    assert!(text.contains("no module named sys"), "{text}");
    assert!(!text.contains('\n'), "one line: {text}");
}

#[test]
fn an_interpreter_that_does_not_start_under_the_memory_limit_runs_without_one() {
    let Some(_) = python3("an_interpreter_that_does_not_start_under_the_memory_limit_runs_without_one") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Like node with WebAssembly: it needs more address space than any limit reserves.
    let python = script(
        dir.path(),
        "python",
        "if [ \"$(ulimit -v)\" != unlimited ]; then echo 'RangeError: WebAssembly.Memory(): could not allocate memory' >&2; exit 1; fi\nexec python3 \"$@\"\n",
    );
    let w = spawn(&config(&python, Duration::from_secs(10))).expect("it starts without the limit");
    assert_eq!(w.config().memory_limit, None);
    assert!(w.notes().iter().any(|n| n.starts_with("no memory limit")), "{:?}", w.notes());
}

#[test]
fn capabilities_are_probed_in_every_process_and_changes_reported() {
    let Some(_) = python3("capabilities_are_probed_in_every_process_and_changes_reported") else { return };
    let dir = tempfile::tempdir().unwrap();
    let seen = dir.path().join("seen");
    // Every start after the first has no sys.exc_info.
    fs::write(
        dir.path().join("sitecustomize.py"),
        format!(
            "import os, sys\nif os.path.exists({seen:?}):\n    del sys.exc_info\nelse:\n    open({seen:?}, 'w').close()\n",
            seen = seen.display().to_string()
        ),
    )
    .unwrap();
    let python = script(dir.path(), "python", &format!("PYTHONPATH='{}' exec python3 \"$@\"\n", dir.path().display()));
    let mut w = spawn(&batch_config(&python, Duration::from_secs(10), 1)).unwrap();
    assert!(w.capabilities().has(Capability::ExcInfo));
    assert!(w.take_capability_changes().is_empty());
    let res = w.run_many(&[&returns(1), &returns(2)]).unwrap();
    assert!(res.iter().all(|r| matches!(r, RunResult::Completed(_))), "{res:?}");
    let changes = w.take_capability_changes();
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(changes[0].ends_with("reports other capabilities: -sys.exc_info"), "{changes:?}");
    // Still judged for the first interpreter's.
    assert!(w.capabilities().has(Capability::ExcInfo));
}

#[test]
fn the_prelude_reports_capabilities_with_the_worker_handshake() {
    let Some(python) = python3("the_prelude_reports_capabilities_with_the_worker_handshake") else { return };
    let w = worker(python, Duration::from_secs(10));
    assert_eq!(w.capabilities(), Capabilities::FULL);
    assert!(matches!(proto::parse_prelude_reply(r#"{"ok": true}"#), Ok(proto::PreludeReply::Ok(None))));
    let partial = r#"{"ok": true, "capabilities": {"sys.exc_info": true}}"#;
    let err = proto::parse_prelude_reply(partial).expect_err("a report lacking capabilities");
    assert!(err.contains("lacks"), "{err}");
    assert!(proto::parse_prelude_reply(r#"{"ok": false}"#).is_err());
}
