//! Shrinking a failing program with `oracle::reduce`, against a real interpreter: a candidate is
//! kept only while it fails the same way ([`Failure::same_as`]: the same root cause of a
//! divergence, the same kind of interpreter failure), within a time budget. The caller saves
//! every accepted step, so that an interrupted shrink leaves the best program so far on disk.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use oracle::ir::Program;
use oracle::model::Prediction;
use oracle::reduce::{reduce, Budget};
use oracle::render;
use oracle::verdict::Failure;

/// How a shrink went, so far or in the end.
#[derive(Clone, Debug)]
pub struct ShrinkReport {
    /// Program lines before (see [`program_lines`]).
    pub lines_before: usize,
    /// Program lines of the best program so far.
    pub lines_after: usize,
    /// How many candidates were run.
    pub attempts: u64,
    /// How many were kept.
    pub accepted: u64,
    /// Seconds spent so far.
    pub secs: f64,
    /// Where it stands.
    pub status: Status,
}

/// Where a shrink stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Still running (a report on disk that stays like this was interrupted).
    InProgress,
    /// No pass can shrink the program any further.
    Complete,
    /// The time budget ran out first; the best program so far is kept.
    OutOfTime,
    /// The campaign was stopped.
    Stopped,
}

impl Status {
    /// For one-line reports.
    pub fn short(self) -> &'static str {
        match self {
            Status::InProgress => "in progress",
            Status::Complete => "complete",
            Status::OutOfTime => "time budget ran out",
            Status::Stopped => "stopped with the campaign",
        }
    }

    /// For README files.
    pub fn describe(self) -> &'static str {
        match self {
            Status::InProgress => "in progress (if it stays like this, the shrink was interrupted)",
            Status::Complete => "complete (no pass shrinks it further)",
            Status::OutOfTime => "time budget ran out (the smallest program so far is kept)",
            Status::Stopped => "stopped with the campaign (the smallest program so far is kept)",
        }
    }
}

/// The result of a shrink.
pub struct Shrunk {
    /// The smallest program that still fails the same way.
    pub program: Program,
    /// What the model predicts for it.
    pub prediction: Prediction,
    /// How it fails.
    pub failure: Failure,
    /// How it went.
    pub report: ShrinkReport,
}

/// What a shrink needs besides the program.
pub struct ShrinkConfig<'a> {
    /// The time budget.
    pub time: Duration,
    /// Asked between attempts: stop now (the campaign is stopping).
    pub stop: &'a dyn Fn() -> bool,
}

/// Lines of a program as a person counts them: non-blank, non-comment lines of the rendered
/// program, without the prelude.
pub fn program_lines(program: &Program) -> usize {
    render::body(program)
        .lines()
        .filter(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#')
        })
        .count()
}

/// How a candidate fails, with its prediction; `None` if it does not (or is not run).
pub type Run<'a> = dyn FnMut(&Program) -> anyhow::Result<Option<(Prediction, Failure)>> + 'a;

/// Called with every accepted program (with a report whose status is [`Status::InProgress`]) and
/// once more at the end with the final report.
pub type OnStep<'a> = dyn FnMut(&Program, &Prediction, &Failure, &ShrinkReport) -> anyhow::Result<()> + 'a;

/// Shrinks `program`, predicted as `prediction`, which fails as `failure`. `run` runs a candidate
/// and says how it fails. An error from `on_step` (or from `run`) ends the shrink with that error.
pub fn shrink(
    program: &Program,
    prediction: &Prediction,
    failure: &Failure,
    run: &mut Run<'_>,
    config: &ShrinkConfig<'_>,
    on_step: &mut OnStep<'_>,
) -> anyhow::Result<Shrunk> {
    let started = Instant::now();
    let deadline = started + config.time;
    let lines_before = program_lines(program);
    let error: RefCell<Option<anyhow::Error>> = RefCell::new(None);
    let last: RefCell<Option<(Prediction, Failure)>> = RefCell::new(None);
    let current = RefCell::new((prediction.clone(), failure.clone()));
    let attempts = Cell::new(0u64);
    let accepted = Cell::new(0u64);
    let should_stop = || error.borrow().is_some() || (config.stop)() || Instant::now() >= deadline;
    let mut interesting = |candidate: &Program| {
        attempts.set(attempts.get() + 1);
        match run(candidate) {
            Ok(Some((p, f))) if f.same_as(failure) => {
                *last.borrow_mut() = Some((p, f));
                true
            }
            Ok(_) => false,
            Err(err) => {
                error.borrow_mut().get_or_insert(err);
                false
            }
        }
    };
    let mut on_progress = |p: &Program| {
        let (prediction, failure) =
            last.borrow_mut().take().expect("reduce accepts only what `interesting` just accepted");
        accepted.set(accepted.get() + 1);
        let report = ShrinkReport {
            lines_before,
            lines_after: program_lines(p),
            attempts: attempts.get(),
            accepted: accepted.get(),
            secs: started.elapsed().as_secs_f64(),
            status: Status::InProgress,
        };
        if let Err(err) = on_step(p, &prediction, &failure, &report) {
            error.borrow_mut().get_or_insert(err);
        }
        *current.borrow_mut() = (prediction, failure);
    };
    let budget = Budget { max_attempts: u64::MAX, should_stop: &should_stop };
    let reduced = reduce(program, &budget, &mut interesting, &mut on_progress);
    if let Some(err) = error.borrow_mut().take() {
        return Err(err);
    }
    let status = if reduced.complete {
        Status::Complete
    } else if (config.stop)() {
        Status::Stopped
    } else {
        Status::OutOfTime
    };
    let report = ShrinkReport {
        lines_before,
        lines_after: program_lines(&reduced.program),
        attempts: reduced.attempts,
        accepted: reduced.accepted,
        secs: started.elapsed().as_secs_f64(),
        status,
    };
    let (prediction, failure) = current.into_inner();
    on_step(&reduced.program, &prediction, &failure, &report)?;
    Ok(Shrunk { program: reduced.program, prediction, failure, report })
}
