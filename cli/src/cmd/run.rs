//! `withstand run`: a differential campaign. Generate, predict (once), execute, judge; save and
//! report every finding the moment it is classified, then shrink the first finding of each
//! signature on the worker that found it. Every run writes into a directory of its own.
//!
//! Bounds: `--time` stops the campaign mid-batch (the campaign ends within `--time` plus one
//! `--timeout`, even against an interpreter that never answers); `--jobs` never starts more
//! workers than cases nor more than [`MAX_JOBS`], and workers start a few at a time.

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use generators::{case_seed, from_seed, GenConfig};
use indicatif::{ProgressBar, ProgressStyle};
use oracle::ir::Program;
use oracle::judge::{self, Judge};
use oracle::model::{predict, Prediction};
use oracle::profile::Profile;
use oracle::render;
use oracle::runner::{Worker, WorkerConfig};
use oracle::verdict::{self, Messages, Verdict};

use crate::args::{parse_duration, parse_jobs, parse_seed, JudgeArgs};
use crate::findings::{self, Finding};
use crate::limits::{MAX_CONCURRENT_STARTS, MAX_JOBS};
use crate::report::{self, Summary};
use crate::shrink::{self, ShrinkConfig, Shrunk};

/// Run a differential campaign against an interpreter.
#[derive(clap::Args)]
#[command(
    after_help = "Each run writes its findings to a directory of its own, <out>/<UTC time>-<seed>/, and points <out>/latest at it.\n\nExit status: 0 no divergence, 1 divergences or interpreter failures found, 2 usage or infrastructure error (an interpreter that cannot be started or restarted; the findings so far are saved and reported first)."
)]
pub struct Args {
    #[command(flatten)]
    judge: JudgeArgs,
    /// How many programs to run [default: 10000 unless --time is given].
    #[arg(long, conflicts_with = "time")]
    cases: Option<u64>,
    /// Run for this long instead, e.g. 30s, 10m, 2h: a bound, the campaign ends within it plus
    /// one --timeout.
    #[arg(long, value_parser = parse_duration)]
    time: Option<Duration>,
    /// Campaign seed (decimal or 0x-hex) [default: from the clock; printed in the summary].
    #[arg(long, value_parser = parse_seed)]
    seed: Option<u64>,
    /// Parallel workers, one interpreter each [default: number of CPUs; at most 64, and never
    /// more than --cases].
    #[arg(long, value_parser = parse_jobs)]
    jobs: Option<usize>,
    /// Where runs are written: each run gets a directory <out>/<UTC time>-<seed>/.
    #[arg(long, default_value = "findings")]
    out: PathBuf,
    /// Don't draw a progress bar.
    #[arg(long)]
    quiet: bool,
    /// Save findings as found, without shrinking them.
    #[arg(long)]
    no_shrink: bool,
    /// How long shrinking one finding may take; the smallest program so far is kept.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    shrink_time: Duration,
}

/// What a worker thread tells the main thread.
enum Report {
    /// `cases` more programs are done, `skipped` of them not run because a correct Python never
    /// finishes them.
    Done { cases: u64, skipped: u64 },
    /// A finding, already saved in its directory; `shrinking` if this thread shrinks it next.
    Found { finding: Box<Finding>, dir: PathBuf, shrinking: bool },
    /// The shrink of a finding reported before.
    Shrunk { finding: Box<Finding>, dir: PathBuf, shrunk: Box<Shrunk> },
    /// Something the user should know that does not stop the campaign.
    Warning(String),
    /// The campaign cannot go on.
    Failed(anyhow::Error),
}

const BATCH: u64 = 64;

/// How long the main thread waits past `--time` plus `--timeout` for the workers to stop.
const GRACE: Duration = Duration::from_secs(1);

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let seed = args.seed.unwrap_or_else(clock_seed);
    let total = match (args.cases, args.time) {
        (Some(n), _) => n,
        (None, Some(_)) => u64::MAX,
        (None, None) => 10_000,
    };
    let cpus = thread::available_parallelism().map_or(1, |n| n.get());
    let (jobs, warning) = plan_jobs(args.jobs.unwrap_or(cpus), total);
    if let Some(w) = warning {
        eprintln!("withstand: warning: {w}");
    }
    let config = args.judge.config();
    let timeout = config.timeout;

    // The first worker tells us what we are testing; failing here is an infrastructure error.
    let first = Judge::start(&config)?;
    let (profile, messages, interpreter) = (first.profile, first.messages, first.interpreter.clone());
    let run_dir = findings::create_run_dir(&args.out, seed)?;

    let started = Instant::now();
    let deadline = args.time.map(|t| started + t);
    let shared = Arc::new(Shared {
        next: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        claimed: Mutex::new(HashSet::new()),
        starting: (Mutex::new(0), Condvar::new()),
    });
    let (tx, rx) = mpsc::channel::<Report>();
    let mut first = Some(first.worker);
    for _ in 0..jobs {
        let worker = first.take();
        let ctx = Ctx {
            shared: Arc::clone(&shared),
            tx: tx.clone(),
            worker_config: judge::worker_config(&config.python, timeout),
            seed,
            total,
            deadline,
            profile,
            messages,
            interpreter: interpreter.clone(),
            run_dir: run_dir.clone(),
            shrink_time: if args.no_shrink { None } else { Some(args.shrink_time) },
        };
        thread::spawn(move || ctx.work(worker));
    }
    drop(tx);

    let bar = if args.quiet || total == u64::MAX && deadline.is_none() {
        ProgressBar::hidden()
    } else if let Some(t) = args.time {
        let b = ProgressBar::new(t.as_secs().max(1));
        b.set_style(ProgressStyle::with_template("{bar:40} {elapsed}/{duration} {msg}").expect("valid template"));
        b
    } else {
        let b = ProgressBar::new(total);
        b.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} cases {per_sec} eta {eta} {msg}")
                .expect("valid template"),
        );
        b
    };

    // With --time, the campaign ends by then plus one --timeout, whatever the workers do.
    let hard_stop = deadline.map(|d| d + timeout + GRACE);
    let mut done = 0u64;
    let mut skipped = 0u64;
    let mut summary = Summary::default();
    let mut failure = None;
    let mut abandoned = false;
    loop {
        let report = match hard_stop {
            None => match rx.recv() {
                Ok(r) => r,
                Err(_) => break,
            },
            Some(at) => match rx.recv_timeout(at.saturating_duration_since(Instant::now())) {
                Ok(r) => r,
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    shared.stop.store(true, Ordering::Relaxed);
                    abandoned = true;
                    break;
                }
            },
        };
        match report {
            Report::Done { cases, skipped: n } => {
                done += cases;
                skipped += n;
                match args.time {
                    Some(_) => bar.set_position(started.elapsed().as_secs()),
                    None => bar.set_position(done),
                }
            }
            Report::Found { finding, dir, shrinking } => {
                let fresh = summary.add(&finding, &dir);
                // The finding being shrunk gets its full report when the shrink is done.
                bar.suspend(|| report::print(&finding, &dir, fresh || shrinking, shrinking));
                bar.set_message(summary.short());
            }
            Report::Shrunk { finding, dir, shrunk } => {
                summary.shrunk(&finding.failure.key(), &dir, &shrunk.report);
                bar.suspend(|| report::print_shrunk(&finding, &dir, &shrunk));
            }
            Report::Warning(w) => bar.suspend(|| eprintln!("withstand: warning: {w}")),
            Report::Failed(err) => {
                shared.stop.store(true, Ordering::Relaxed);
                failure.get_or_insert(err);
            }
        }
    }
    bar.finish_and_clear();

    let secs = started.elapsed().as_secs_f64();
    outln!(
        "withstand: {done} cases in {secs:.1}s ({:.0} cases/s), {jobs} job(s), against {interpreter} as {profile}, seed {seed:#x}",
        done as f64 / secs.max(1e-9),
    );
    if skipped > 0 {
        outln!(
            "  skipped: {skipped} programs the model does not predict (never end, or depend on the garbage collector)"
        );
    }
    if abandoned {
        outln!("  stopped at the --time bound while a worker was still busy (a hung interpreter or a slow restart)");
    }
    summary.print()?;
    outln!("  findings: {}", if summary.any() { run_dir.display().to_string() } else { "none".to_string() });
    if let Some(err) = failure {
        return Err(err);
    }
    Ok(if summary.any() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// How many workers to start for `requested` jobs and `total` cases, and a warning when fewer
/// than requested for a reason the user may not expect.
fn plan_jobs(requested: usize, total: u64) -> (usize, Option<String>) {
    let mut warning = None;
    let mut jobs = requested.max(1);
    if jobs > MAX_JOBS {
        warning =
            Some(format!("--jobs {requested} is more than the maximum of {MAX_JOBS}; running {MAX_JOBS} workers"));
        jobs = MAX_JOBS;
    }
    let cases = usize::try_from(total).unwrap_or(usize::MAX).max(1);
    (jobs.min(cases), warning)
}

/// What the worker threads share.
struct Shared {
    /// The next case index to hand out.
    next: AtomicU64,
    /// Stop now: the campaign is ending.
    stop: AtomicBool,
    /// Signatures some thread has claimed to shrink: only the first finding of each is shrunk.
    claimed: Mutex<HashSet<String>>,
    /// How many workers are starting, at most [`MAX_CONCURRENT_STARTS`].
    starting: (Mutex<usize>, Condvar),
}

struct Ctx {
    shared: Arc<Shared>,
    tx: mpsc::Sender<Report>,
    worker_config: WorkerConfig,
    seed: u64,
    total: u64,
    deadline: Option<Instant>,
    profile: Profile,
    messages: Messages,
    interpreter: String,
    run_dir: PathBuf,
    /// The shrink budget, or `None` with `--no-shrink`.
    shrink_time: Option<Duration>,
}

/// One case of a batch: predicted once, the prediction carried to the verdict and the finding.
struct Case {
    index: u64,
    seed: u64,
    program: Program,
    prediction: Prediction,
}

impl Ctx {
    fn stopping(&self) -> bool {
        self.shared.stop.load(Ordering::Relaxed) || self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    fn work(self, worker: Option<Worker>) {
        let worker = match worker {
            Some(w) => w,
            None => match self.start_worker() {
                Some(w) => w,
                None => return,
            },
        };
        if let Err(err) = self.work_inner(worker) {
            let _ = self.tx.send(Report::Failed(err));
        }
    }

    /// Starts an extra worker, a few at a time; one that cannot start is a warning (the others
    /// go on), not the end of the campaign.
    fn start_worker(&self) -> Option<Worker> {
        let (lock, cond) = &self.shared.starting;
        {
            let mut n = lock.lock().unwrap_or_else(|e| e.into_inner());
            while *n >= MAX_CONCURRENT_STARTS {
                n = cond.wait(n).unwrap_or_else(|e| e.into_inner());
            }
            *n += 1;
        }
        let res = if self.stopping() { None } else { Some(Worker::spawn(&self.worker_config)) };
        *lock.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        cond.notify_one();
        match res? {
            Ok(w) => Some(w),
            Err(err) => {
                let _ = self.tx.send(Report::Warning(format!("a worker did not start, the others go on: {err}")));
                None
            }
        }
    }

    fn work_inner(&self, mut worker: Worker) -> anyhow::Result<()> {
        let config = GenConfig::full();
        while !self.stopping() {
            let start = self.shared.next.fetch_add(BATCH, Ordering::Relaxed);
            if start >= self.total {
                return Ok(());
            }
            let end = (start + BATCH).min(self.total);
            let mut cases = Vec::with_capacity((end - start) as usize);
            for index in start..end {
                let seed = case_seed(self.seed, index);
                let program = from_seed(seed, &config);
                let prediction = predict(&program, self.profile);
                if prediction.unpredictable.is_none() {
                    cases.push(Case { index, seed, program, prediction });
                }
            }
            let skipped = (end - start) - cases.len() as u64;
            let sources: Vec<String> = cases.iter().map(|c| render::body(&c.program)).collect();
            let refs: Vec<&str> = sources.iter().map(String::as_str).collect();

            // Each result is judged, and a finding saved and reported, as it comes.
            let mut ran = 0u64;
            let mut to_shrink = Vec::new();
            let mut error = None;
            let res = worker.run_each(&refs, |i, result| {
                ran += 1;
                let case = &cases[i];
                if let Verdict::Fails(failure) = verdict::judge(&case.prediction, result, self.messages) {
                    match self.found(case, failure) {
                        Ok(Some(it)) => to_shrink.push(it),
                        Ok(None) => {}
                        Err(err) => {
                            error = Some(err);
                            return ControlFlow::Break(());
                        }
                    }
                }
                if self.stopping() {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            });
            // A batch cut short by the deadline counts only what ran.
            let (n, skipped) = if ran as usize == cases.len() { (end - start, skipped) } else { (ran, 0) };
            let _ = self.tx.send(Report::Done { cases: n, skipped });
            if let Some(err) = error {
                return Err(err);
            }
            res.context("the interpreter could not be restarted")?;
            for (finding, dir) in to_shrink {
                let shrunk = self.shrink(&mut worker, &finding, &dir)?;
                let report = Report::Shrunk { finding: Box::new(finding), dir, shrunk: Box::new(shrunk) };
                if self.tx.send(report).is_err() {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Saves and reports a finding; returns it (with its directory) when this thread is to shrink
    /// it, being the first to find its signature.
    fn found(&self, case: &Case, failure: verdict::Failure) -> anyhow::Result<Option<(Finding, PathBuf)>> {
        let finding = Finding {
            index: case.index,
            seed: case.seed,
            program: case.program.clone(),
            prediction: case.prediction.clone(),
            failure,
            profile: self.profile,
            interpreter: self.interpreter.clone(),
            python: self.worker_config.python.clone(),
        };
        let dir = findings::save(&self.run_dir, &finding)?;
        let shrinking = self.shrink_time.is_some()
            && self.shared.claimed.lock().unwrap_or_else(|e| e.into_inner()).insert(finding.failure.key());
        let copy = Box::new(finding.clone());
        let _ = self.tx.send(Report::Found { finding: copy, dir: dir.clone(), shrinking });
        Ok(shrinking.then_some((finding, dir)))
    }

    /// Shrinks a saved finding on this thread's worker, saving every step in its directory. It
    /// stops with the campaign (`--time`, a failure elsewhere).
    fn shrink(&self, worker: &mut Worker, finding: &Finding, dir: &Path) -> anyhow::Result<Shrunk> {
        let time = self.shrink_time.expect("only called when shrinking");
        let mut run = |candidate: &Program| {
            let judged = judge::judge_on(worker, candidate, self.profile, self.messages)
                .context("the interpreter could not be restarted")?;
            Ok(judged.and_then(|j| j.verdict.failure().map(|f| (j.prediction, f))))
        };
        let stop = || self.stopping();
        let config = ShrinkConfig { time, stop: &stop };
        let mut on_step =
            |program: &Program, prediction: &Prediction, failure: &verdict::Failure, report: &shrink::ShrinkReport| {
                findings::save_step(dir, finding, program, prediction, failure, report)
            };
        shrink::shrink(&finding.program, &finding.prediction, &finding.failure, &mut run, &config, &mut on_step)
    }
}

fn clock_seed() -> u64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    now.as_nanos() as u64 ^ u64::from(std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_are_capped_by_the_maximum_and_the_cases() {
        assert_eq!(plan_jobs(4, 10_000), (4, None));
        assert_eq!(plan_jobs(300, 100).0, 64);
        assert!(plan_jobs(300, 100).1.is_some_and(|w| w.contains("maximum of 64")));
        assert_eq!(plan_jobs(8, 3), (3, None));
        assert_eq!(plan_jobs(8, 0), (1, None));
    }
}
