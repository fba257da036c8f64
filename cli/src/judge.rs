//! One interpreter and the profile it is judged as: run a program on it, predict the program
//! with the model, compare. Every command that runs programs one at a time (`shrink`,
//! `record`, `replay`, `corpus add`) goes through a [`Judge`]; `run` classifies its pipelined
//! batches with the same [`classify`].

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use oracle::compare::{compare, Messages};
use oracle::ir::Program;
use oracle::model::predict;
use oracle::profile::Profile;
use oracle::render;
use oracle::runner::{InterpreterInfo, RunResult, Worker, WorkerConfig};
use oracle::trace::Trace;

use crate::findings::FindingKind;

/// How to start a [`Judge`].
pub struct JudgeConfig {
    /// The interpreter.
    pub python: PathBuf,
    /// Judge it as this profile instead of the one it reports.
    pub target: Option<Profile>,
    /// How exception messages are compared.
    pub messages: Messages,
    /// Per-program time limit.
    pub timeout: Duration,
}

/// An interpreter, ready to run programs.
pub struct Judge {
    /// The worker.
    pub worker: Worker,
    /// The profile the model predicts for.
    pub profile: Profile,
    /// `cpython 3.11.7 (python3)`, for reports.
    pub interpreter: String,
    /// How exception messages are compared.
    pub messages: Messages,
}

/// What running one program showed.
pub enum Verdict {
    /// The interpreter did what the model predicts.
    Agrees,
    /// It did not: a divergence, or the interpreter hung, crashed or babbled.
    Fails(FindingKind),
}

impl Judge {
    /// Starts the interpreter; the profile is `config.target` or the one it reports.
    pub fn start(config: &JudgeConfig) -> anyhow::Result<Judge> {
        let worker = Worker::spawn(&worker_config(&config.python, config.timeout)).context("cannot start a worker")?;
        let info = worker.info().clone();
        let profile = profile_for(&info, config.target)?;
        Ok(Judge { worker, profile, interpreter: interpreter_name(&info, &config.python), messages: config.messages })
    }

    /// Runs `program` and compares its trace with the model's.
    pub fn judge(&mut self, program: &Program) -> anyhow::Result<Verdict> {
        Ok(match self.failure(program)? {
            None => Verdict::Agrees,
            Some(kind) => Verdict::Fails(kind),
        })
    }

    /// What is wrong with running `program`, if anything: the predicate shrinking uses. A
    /// program a correct Python never finishes is not run, and counts as nothing wrong.
    pub fn failure(&mut self, program: &Program) -> anyhow::Result<Option<FindingKind>> {
        if !runnable(program, self.profile) {
            return Ok(None);
        }
        let result = self.worker.run(&render::body(program)).context("the interpreter could not be restarted")?;
        Ok(classify(program, result, self.profile, self.messages).err())
    }

    /// The profile the interpreter reports, whatever `--target` says.
    pub fn native_profile(&self) -> anyhow::Result<Profile> {
        profile_for(self.worker.info(), None)
    }
}

/// Whether the model predicts `program`: one that a correct Python never finishes (contextlib's
/// `_fix_exception_context` on a context cycle), or whose behaviour depends on when the garbage
/// collector runs, is never sent to an interpreter.
pub fn runnable(program: &Program, profile: Profile) -> bool {
    predict(program, profile).unpredictable.is_none()
}

/// The worker configuration for an interpreter.
pub fn worker_config(python: &std::path::Path, timeout: Duration) -> WorkerConfig {
    WorkerConfig::new(python, render::PRELUDE, timeout)
}

/// `target`, or the profile of the interpreter that reported `info`.
pub fn profile_for(info: &InterpreterInfo, target: Option<Profile>) -> anyhow::Result<Profile> {
    match target {
        Some(p) => Ok(p),
        None => Profile::for_interpreter(&info.implementation, info.version).map_err(|e| anyhow::format_err!("{e}")),
    }
}

/// `cpython 3.11.7 (python3)`.
pub fn interpreter_name(info: &InterpreterInfo, python: &std::path::Path) -> String {
    format!("{} {}.{}.{} ({})", info.implementation, info.version.0, info.version.1, info.version.2, python.display())
}

/// Judges one run of `program`: its observed trace if it agrees with the model, else what is
/// wrong.
pub fn classify(
    program: &Program,
    result: RunResult,
    profile: Profile,
    messages: Messages,
) -> Result<Trace, FindingKind> {
    match result {
        RunResult::Completed(observed) => {
            let expected = predict(program, profile).trace;
            match compare(&expected, &observed, messages) {
                None => Ok(observed),
                Some(d) => Err(FindingKind::Divergence(d)),
            }
        }
        RunResult::Timeout { stderr_tail } => Err(FindingKind::Hang { stderr_tail }),
        RunResult::Crashed { status, stderr_tail } => Err(FindingKind::Crash { status, stderr_tail }),
        RunResult::Garbage { line, stderr_tail } => Err(FindingKind::Garbage { line, stderr_tail }),
    }
}

/// `--messages`.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum MessagesArg {
    /// Exception messages must match exactly.
    Exact,
    /// Compare exception types, identities and chains only.
    Types,
}

impl From<MessagesArg> for Messages {
    fn from(m: MessagesArg) -> Messages {
        match m {
            MessagesArg::Exact => Messages::Exact,
            MessagesArg::Types => Messages::Types,
        }
    }
}
