//! An interpreter and the profile it is judged as: start it, predict each program once, run it,
//! and judge the run with [`verdict::judge`]. What every command of the `withstand` binary that
//! runs programs and the `differential` fuzz target share, so that none of them decides a
//! profile, names an interpreter or classifies a run on its own.
//!
//! What the interpreter lacks ([`Capabilities`], probed when its worker starts) is honoured here
//! too: each program is rendered in the [`Dialect`] that runs there, and predicted and observed
//! traces are masked alike ([`Prediction::within`], [`observed_within`]).
//!
//! The model and the verdict are pure; the I/O here is the runner's.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::capability::{self, Capabilities, Capability};
use crate::corpus::format::one_line;
use crate::ir::Program;
use crate::model::{predict, Prediction};
use crate::profile::Profile;
use crate::render::{self, Dialect};
use crate::runner::compile::{BuildError, Builder, Unit, UnitBuild};
use crate::runner::{self, InterpreterInfo, RunResult, Transport, Worker, WorkerConfig};
use crate::verdict::{self, Failure, Messages, Verdict};

/// How to start a [`Judge`].
#[derive(Clone, Debug)]
pub struct JudgeConfig {
    /// The interpreter.
    pub python: PathBuf,
    /// Judge it as this profile instead of the one it reports.
    pub target: Option<Profile>,
    /// How exception messages are compared.
    pub messages: Messages,
    /// Per-program time limit.
    pub timeout: Duration,
    /// How programs reach the interpreter.
    pub transport: Transport,
    /// The least time an interpreter gets to start.
    pub start_timeout: Duration,
}

/// An interpreter, ready to run programs, and how it is judged.
#[derive(Debug)]
pub struct Judge {
    /// The worker.
    pub worker: Worker,
    /// The profile the model predicts for.
    pub profile: Profile,
    /// `cpython 3.11.7 (python3)`, one line, for reports (see [`interpreter_name`]).
    pub interpreter: String,
    /// How exception messages are compared.
    pub messages: Messages,
    /// What the interpreter has of what programs use (the first one started), as the profile
    /// judges it ([`Capabilities::for_profile`]).
    pub capabilities: Capabilities,
}

/// Why a [`Judge`] could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The interpreter could not be started.
    #[error("cannot start a worker: {0}")]
    Worker(#[from] runner::Error),
    /// It started, but the model has no profile for it.
    #[error("{0}")]
    Profile(String),
}

/// One program, predicted once and judged.
#[derive(Clone, Debug)]
pub struct Judged {
    /// What the model predicts.
    pub prediction: Prediction,
    /// What the run showed.
    pub verdict: Verdict,
}

impl Judge {
    /// Starts the interpreter; the profile is `config.target` or the one it reports.
    pub fn start(config: &JudgeConfig) -> Result<Judge, StartError> {
        let mut worker_config = worker_config(&config.python, config.timeout);
        worker_config.transport = config.transport;
        worker_config.start_timeout = config.start_timeout;
        let worker = Worker::spawn(&worker_config)?;
        let profile = profile_for(worker.info(), config.target).map_err(StartError::Profile)?;
        let interpreter = interpreter_name(worker.info(), &config.python);
        let capabilities = worker.capabilities().for_profile(profile);
        Ok(Judge { worker, profile, interpreter, messages: config.messages, capabilities })
    }

    /// Predicts `program`, runs it and judges the run; `None` for a program the model does not
    /// predict (a correct Python never finishes it), which is never run. `Err` only when the
    /// interpreter cannot be restarted.
    pub fn judge(&mut self, program: &Program) -> Result<Option<Judged>, runner::Error> {
        judge_on(&mut self.worker, program, self.profile, self.messages)
    }

    /// What `program` uses that the interpreter lacks (`capability::required`): such a program
    /// is not run (a corpus case is skipped, saying so).
    pub fn lacks(&self, program: &Program) -> Vec<Capability> {
        capability::required(program).missing_from(self.capabilities)
    }

    /// How `program` fails, if it does: the predicate shrinking uses.
    pub fn failure(&mut self, program: &Program) -> Result<Option<(Prediction, Failure)>, runner::Error> {
        Ok(self.judge(program)?.and_then(|j| j.verdict.failure().map(|f| (j.prediction, f))))
    }

    /// The profile the interpreter reports, whatever the target.
    pub fn native_profile(&self) -> Result<Profile, String> {
        profile_for(self.worker.info(), None)
    }

    /// `cpython 3.11.7`: the reported implementation and version, one line.
    pub fn version(&self) -> String {
        let info = self.worker.info();
        let (a, b, c) = info.version;
        one_line(&format!("{} {a}.{b}.{c}", info.implementation), MAX_NAME_BYTES)
    }
}

/// [`Judge::judge`] on any worker, for what its interpreter has ([`Worker::capabilities`], as
/// `profile` judges them).
pub fn judge_on(
    worker: &mut Worker,
    program: &Program,
    profile: Profile,
    messages: Messages,
) -> Result<Option<Judged>, runner::Error> {
    let capabilities = worker.capabilities().for_profile(profile);
    let prediction = predict(program, profile).within(capabilities);
    if prediction.unpredictable.is_some() {
        return Ok(None);
    }
    let result = worker.run(&source_for(program, capabilities))?;
    let verdict = verdict::judge(&prediction, observed_within(result, capabilities), messages);
    Ok(Some(Judged { prediction, verdict }))
}

/// [`judge_on`] for a target that compiles: `program` is built alone (a batch of one) with
/// `builder` and its module run on `worker`. A program the compiler does not build, or whose
/// module does not import, fails as [`Failure::Compile`](verdict::Failure::Compile). `Ok(None)`
/// also when the build was stopped ([`BuildConfig::stop`](runner::compile::BuildConfig::stop)).
pub fn judge_compiled_on(
    worker: &mut Worker,
    builder: &Builder,
    program: &Program,
    profile: Profile,
    messages: Messages,
) -> Result<Option<Judged>, CompiledError> {
    let prediction = predict(program, profile);
    if prediction.unpredictable.is_some() {
        return Ok(None);
    }
    let batch = match builder.build(&[Unit { source: render::module(program) }]) {
        Ok(b) => b,
        Err(BuildError::Stopped) => return Ok(None),
        Err(e) => return Err(CompiledError::Build(e)),
    };
    let verdict = match (&batch.units[0], batch.request(0, program.is_async)) {
        (UnitBuild::Failed(f), _) => verdict::judge_build_failure(&prediction, f),
        (_, Some(request)) => {
            let result = worker.run(&request)?;
            verdict::judge_compiled(&prediction, result, messages, &builder.toolchain().name())
        }
        (UnitBuild::Built { .. }, None) => unreachable!("a built program has a request"),
    };
    Ok(Some(Judged { prediction, verdict }))
}

/// Why [`judge_compiled_on`] could not judge.
#[derive(Debug, thiserror::Error)]
pub enum CompiledError {
    /// The interpreter could not be restarted.
    #[error(transparent)]
    Worker(#[from] runner::Error),
    /// The build could not be set up (files, processes).
    #[error(transparent)]
    Build(BuildError),
}

/// The program as an interpreter with `capabilities` runs it: [`render::body`] in the
/// [`Dialect`] it needs.
pub fn source_for(program: &Program, capabilities: Capabilities) -> String {
    render::body_in(program, Dialect::for_capabilities(capabilities))
}

/// A run's result with its trace masked for `capabilities`, as [`Prediction::within`] masks the
/// prediction: judge the two together.
pub fn observed_within(result: RunResult, capabilities: Capabilities) -> RunResult {
    match result {
        RunResult::Completed(trace) if capabilities.masks() => RunResult::Completed(capabilities.mask(&trace)),
        other => other,
    }
}

/// The worker configuration for an interpreter.
pub fn worker_config(python: &Path, timeout: Duration) -> WorkerConfig {
    WorkerConfig::new(python, render::PRELUDE, timeout)
}

/// `transport`, and `via worker`, `via one process per batch` for a summary.
pub fn transport_name(transport: Transport) -> &'static str {
    match transport {
        Transport::Worker => "the persistent worker",
        Transport::Process => "one process per batch",
        Transport::Auto => "the worker or one process per batch",
    }
}

/// `target`, or the profile of the interpreter that reported `info`.
pub fn profile_for(info: &InterpreterInfo, target: Option<Profile>) -> Result<Profile, String> {
    match target {
        Some(p) => Ok(p),
        None => {
            Profile::for_interpreter(&info.implementation, info.version).map_err(|e| one_line(&e, MAX_NAME_BYTES * 2))
        }
    }
}

/// How long an interpreter's name may be in reports.
const MAX_NAME_BYTES: usize = 200;

/// `cpython 3.11.7 (python3)`: what the interpreter reported and how it was named on the command
/// line, on one line: control characters are escaped and the whole is cut to a bounded length,
/// since an interpreter under test may report anything.
pub fn interpreter_name(info: &InterpreterInfo, python: &Path) -> String {
    let (a, b, c) = info.version;
    let name = format!("{} {a}.{b}.{c} ({})", info.implementation, python.display());
    one_line(&name, MAX_NAME_BYTES)
}
