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
use oracle::capability;
use oracle::judge::{Judge, JudgeConfig};
use oracle::render;
use oracle::runner::Transport;
use oracle::verdict::{Messages, Verdict};

/// How long one program may run before the interpreter counts as hung.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The least time the interpreter gets to start (Pyodide takes seconds).
const START_TIMEOUT: Duration = Duration::from_secs(30);

static JUDGE: OnceLock<Mutex<Judge>> = OnceLock::new();

/// Starts the judge once, before the first input, as `withstand run` would; a machine without a
/// usable interpreter is a setup error, not a finding, so it exits instead of panicking on an
/// input.
fn start() -> Judge {
    let exit = |err: &dyn std::fmt::Display| -> ! {
        eprintln!("withstand-fuzz differential: {err} (set WITHSTAND_PYTHON to an interpreter)");
        std::process::exit(2)
    };
    let python = PathBuf::from(std::env::var_os("WITHSTAND_PYTHON").unwrap_or_else(|| "python3".into()));
    let target = match std::env::var("WITHSTAND_TARGET") {
        Ok(p) => Some(p.parse().unwrap_or_else(|e: String| exit(&e))),
        Err(_) => None,
    };
    let config = JudgeConfig {
        python,
        target,
        messages: Messages::Exact,
        timeout: TIMEOUT,
        transport: Transport::Auto,
        start_timeout: START_TIMEOUT,
    };
    let judge = Judge::start(&config).unwrap_or_else(|e| exit(&e));
    eprintln!("withstand-fuzz differential: against {} as {}", judge.interpreter, judge.profile.describe());
    judge
}

fuzz_target!(
    init: {
        JUDGE.get_or_init(|| Mutex::new(start()));
    },
    |data: &[u8]| {
        let Some(program) = fuzz::program("differential", data) else { return };
        let mut judge = JUDGE.get().expect("init ran").lock().unwrap_or_else(|e| e.into_inner());
        // What the interpreter lacks is not tested (oracle::capability).
        if !judge.capabilities.covers(capability::required(&program)) {
            return;
        }
        // A program a correct Python never finishes is not run (`None`).
        let judged = judge.judge(&program).unwrap_or_else(|err| panic!("the interpreter could not be restarted: {err}"));
        let Some(Verdict::Fails(failure)) = judged.map(|j| j.verdict) else { return };
        panic!(
            "withstand {}: {}\nagainst {} as {}\n\n{}\n{}\nturn the artifact into a corpus case: withstand import ARTIFACT",
            failure.kind().word(),
            failure.key(),
            judge.interpreter,
            judge.profile.describe(),
            render::body(&program),
            failure.details()
        );
    }
);
