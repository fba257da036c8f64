//! The model against a real interpreter: every program is predicted and run on one persistent
//! worker; a divergence, a hang or a crash of the interpreter panics with the program and the
//! diff, so libFuzzer keeps the input as an artifact (`withstand import` turns it into a case).
//!
//! The interpreter is `$WITHSTAND_PYTHON` (default `python3`), judged as the profile it reports
//! or as `$WITHSTAND_TARGET` (e.g. `cpython-3.11`). Messages are compared exactly.
#![no_main]

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use oracle::compare::{compare, Messages};
use oracle::model::predict;
use oracle::profile::Profile;
use oracle::render;
use oracle::runner::{RunResult, Worker, WorkerConfig};

/// How long one program may run before the interpreter counts as hung.
const TIMEOUT: Duration = Duration::from_secs(10);

struct Oracle {
    worker: Worker,
    profile: Profile,
    interpreter: String,
}

static ORACLE: OnceLock<Mutex<Oracle>> = OnceLock::new();

/// Starts the worker once, before the first input; a machine without a usable interpreter is a
/// setup error, not a finding, so it exits instead of panicking on an input.
fn start() -> Oracle {
    let python = PathBuf::from(std::env::var_os("WITHSTAND_PYTHON").unwrap_or_else(|| "python3".into()));
    let config = WorkerConfig::new(python.clone(), render::PRELUDE, TIMEOUT);
    let worker = Worker::spawn(&config).unwrap_or_else(|err| {
        eprintln!("withstand-fuzz differential: {err} (set WITHSTAND_PYTHON to an interpreter)");
        std::process::exit(2)
    });
    let info = worker.info().clone();
    let profile = match std::env::var("WITHSTAND_TARGET") {
        Ok(p) => p.parse::<Profile>(),
        Err(_) => Profile::for_interpreter(&info.implementation, info.version),
    }
    .unwrap_or_else(|err| {
        eprintln!("withstand-fuzz differential: {err}");
        std::process::exit(2)
    });
    let interpreter = format!(
        "{} {}.{}.{} ({})",
        info.implementation,
        info.version.0,
        info.version.1,
        info.version.2,
        python.display()
    );
    eprintln!("withstand-fuzz differential: against {interpreter} as {profile}");
    Oracle { worker, profile, interpreter }
}

fuzz_target!(
    init: {
        ORACLE.get_or_init(|| Mutex::new(start()));
    },
    |data: &[u8]| {
        let Some(program) = fuzz::program("differential", data) else { return };
        let mut oracle = ORACLE.get().expect("init ran").lock().unwrap_or_else(|e| e.into_inner());
        // A program a correct Python never finishes is not run.
        if predict(&program, oracle.profile).unpredictable.is_some() {
            return;
        }
        let body = render::body(&program);
        let result = oracle.worker.run(&body).unwrap_or_else(|err| panic!("the interpreter could not be restarted: {err}"));
        let (what, detail) = match result {
            RunResult::Completed(observed) => {
                let expected = predict(&program, oracle.profile).trace;
                match compare(&expected, &observed, Messages::Exact) {
                    None => return,
                    Some(d) => (format!("divergence: {}", d.signature), d.unified_diff()),
                }
            }
            RunResult::Timeout { stderr_tail } => {
                (format!("interpreter hang (over {}s)", TIMEOUT.as_secs()), format!("stderr tail:\n{stderr_tail}"))
            }
            RunResult::Crashed { status, stderr_tail } => {
                (format!("interpreter crash ({status})"), format!("stderr tail:\n{stderr_tail}"))
            }
            RunResult::Garbage { line, stderr_tail } => {
                ("interpreter answered garbage".to_string(), format!("answered: {line}\nstderr tail:\n{stderr_tail}"))
            }
        };
        panic!(
            "withstand {what}\nagainst {} as {}\n\n{body}\n{detail}\nturn the artifact into a corpus case: withstand import ARTIFACT",
            oracle.interpreter, oracle.profile
        );
    }
);
