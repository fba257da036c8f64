//! `withstand run`: a differential campaign. Generate, predict (once), execute, judge, triage;
//! save and report every finding the moment it is classified, then shrink the first finding of
//! each new root cause on the worker that found it. Every run writes into a directory of its
//! own, and ends with its report there (`report.md`, `report.json`; `--report`, `--junit`).
//!
//! `--shard K/N` runs the case indices `i` with `i % N == K - 1` (see [`Shard`]); `--known`
//! files make the findings they describe known, which do not fail the run.
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
use oracle::capability::Capabilities;
use oracle::ir::Program;
use oracle::judge::{self, Judge};
use oracle::model::{predict, Prediction};
use oracle::profile::Profile;
use oracle::runner::{Worker, WorkerConfig};
use oracle::triage::{Cause, Class, Culprit, Facts, Triage};
use oracle::verdict::{self, Messages, Verdict};

use crate::args::{parse_duration, parse_jobs, parse_seed, parse_shard, JudgeArgs, KnownArgs, Shard};
use crate::compile::{find_toolchain, CompileArgs, Exec};
use crate::findings::{self, Finding};
use crate::limits::{MAX_CONCURRENT_STARTS, MAX_JOBS};
use crate::report::data::{self, InterpreterRecord, RunInfo};
use crate::report::{self, Summary};
use crate::shrink::{self, ShrinkConfig, Shrunk};

/// Run a differential campaign against an interpreter.
#[derive(clap::Args)]
#[command(
    after_help = "Each run writes its findings to a directory of its own, <out>/<UTC time>-<seed>/, points <out>/latest at it, and ends with report.md and report.json there.\n\nExit status: 0 nothing new (no finding, or only known differences), 1 new root causes (divergences or interpreter failures no --known entry describes), 2 usage or infrastructure error (an interpreter that cannot be started or restarted; the findings so far are saved and reported first)."
)]
pub struct Args {
    #[command(flatten)]
    judge: JudgeArgs,
    #[command(flatten)]
    known: KnownArgs,
    /// Run only the K-th of N disjoint slices of the campaign's case indices (1 <= K <= N); the
    /// shards of one --seed and --cases together run exactly the unsharded campaign. Merge their
    /// directories with `withstand merge`.
    #[arg(long, value_parser = parse_shard, value_name = "K/N")]
    shard: Option<Shard>,
    /// Also write the report as JSON here (it is always written as report.json in the run
    /// directory).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Write a JUnit XML report here: one testcase per root cause (known ones skipped).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// List every root cause's signatures (the finer level) in the summary.
    #[arg(long, short)]
    verbose: bool,
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
    /// How long shrinking one finding may take; the smallest program so far is kept [default:
    /// 10s, 60s with --compile].
    #[arg(long, value_parser = parse_duration)]
    shrink_time: Option<Duration>,
    #[command(flatten)]
    compile: CompileArgs,
}

/// What a worker thread tells the main thread.
enum Report {
    /// `cases` more programs are done, `skipped` of them not run because a correct Python never
    /// finishes them, `left_out` because the target lacks what they need (`--compile`).
    Done { cases: u64, skipped: u64, left_out: u64 },
    /// A finding, already saved and triaged; `shrinking` if this thread shrinks it next.
    Found { finding: Box<Finding>, dir: PathBuf, shrinking: bool },
    /// The shrink of a finding reported before.
    Shrunk { finding: Box<Finding>, dir: PathBuf, shrunk: Box<Shrunk> },
    /// Something the user should know that does not stop the campaign.
    Warning(String),
    /// An interpreter started after the first reports other capabilities (kept for the summary).
    CapabilityChange(String),
    /// The campaign cannot go on.
    Failed(anyhow::Error),
}

/// How long the main thread waits past `--time` plus `--timeout` for the workers to stop.
const GRACE: Duration = Duration::from_secs(1);

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let seed = args.seed.unwrap_or_else(clock_seed);
    let campaign_cases = match (args.cases, args.time) {
        (Some(n), _) => n,
        (None, Some(_)) => u64::MAX,
        (None, None) => 10_000,
    };
    let shard = args.shard.unwrap_or(Shard::ALL);
    // The workers hand out the shard's own positions 0..total; `shard.index` maps them back.
    let total = shard.count(campaign_cases);
    // A malformed known file stops everything before an interpreter starts.
    let known = args.known.load()?;
    let cpus = thread::available_parallelism().map_or(1, |n| n.get());
    let (jobs, warning) = plan_jobs(args.jobs.unwrap_or(cpus), total);
    if let Some(w) = warning {
        eprintln!("withstand: warning: {w}");
    }
    let config = args.judge.config();
    let timeout = config.timeout;

    // The first worker tells us what we are testing; failing here is an infrastructure error.
    let mut first = Judge::start(&config)?;
    let (profile, messages, interpreter) = (first.profile, first.messages, first.interpreter.clone());
    let toolchain = find_toolchain(&args.compile, &config.python)?;
    let info = first.worker.info().clone();
    // With --compile, known entries are those of the compiler (`implementation = "cython"`).
    let triage =
        Arc::new(Triage::new(&known, &toolchain.as_ref().map_or_else(|| info.clone(), |t| t.known_info(&info))));
    // What the interpreter has decides what is generated and compared (oracle::capability).
    let (capabilities, worker_config) = (first.capabilities, first.worker.config());
    let started_as = crate::cmd::impls::started_as(&first.worker);
    let run_dir = findings::create_run_dir(&args.out, seed)?;

    let started = Instant::now();
    let deadline = args.time.map(|t| started + t);
    let shared = Arc::new(Shared {
        next: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        claimed: Mutex::new(HashSet::new()),
        starting: (Mutex::new(0), Condvar::new()),
    });
    let stop = {
        let shared = Arc::clone(&shared);
        Arc::new(move || shared.stop.load(Ordering::Relaxed) || deadline.is_some_and(|d| Instant::now() >= d))
    };
    let builds = run_dir.join("builds");
    // What the known files see, kept in the report for `merge`.
    let compiler = toolchain
        .as_ref()
        .map(|t| InterpreterRecord::new(t.name(), t.python.display().to_string(), &t.known_info(&info)));
    let exec = Arc::new(Exec::start(toolchain, &args.compile, &mut first.worker, &builds, jobs, stop)?);
    let capabilities = exec.capabilities(capabilities);
    let shrink_time =
        args.shrink_time.unwrap_or(Duration::from_secs(if args.compile.compile.is_some() { 60 } else { 10 }));
    let (tx, rx) = mpsc::channel::<Report>();
    let mut first = Some(first.worker);
    for _ in 0..jobs {
        let worker = first.take();
        let ctx = Ctx {
            shared: Arc::clone(&shared),
            tx: tx.clone(),
            worker_config: worker_config.clone(),
            capabilities,
            seed,
            total,
            deadline,
            profile,
            messages,
            interpreter: interpreter.clone(),
            run_dir: run_dir.clone(),
            shrink_time: if args.no_shrink { None } else { Some(shrink_time) },
            exec: Arc::clone(&exec),
            triage: Arc::clone(&triage),
            shard,
        };
        thread::spawn(move || ctx.work(worker));
    }
    drop(tx);

    let bar = if args.quiet || total >= u64::MAX / 2 && deadline.is_none() {
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
    let mut left_out = 0u64;
    let mut summary = Summary::default();
    let mut failure = None;
    let mut abandoned = false;
    let mut changes = Vec::new();
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
            Report::Done { cases, skipped: n, left_out: l } => {
                done += cases;
                skipped += n;
                left_out += l;
                match args.time {
                    Some(_) => bar.set_position(started.elapsed().as_secs()),
                    None => bar.set_position(done),
                }
            }
            Report::Found { finding, dir, shrinking } => {
                let fresh = summary.add(&finding, &dir, &run_dir);
                // The finding being shrunk gets its full report when the shrink is done.
                bar.suspend(|| report::print(&finding, &dir, fresh || shrinking, shrinking));
                bar.set_message(summary.short());
            }
            Report::Shrunk { finding, dir, shrunk } => {
                summary.shrunk(&dir, &shrunk);
                bar.suspend(|| report::print_shrunk(&finding, &dir, &shrunk));
            }
            Report::Warning(w) => bar.suspend(|| eprintln!("withstand: warning: {w}")),
            Report::CapabilityChange(w) => {
                bar.suspend(|| eprintln!("withstand: warning: {w}"));
                changes.push(w);
            }
            Report::Failed(err) => {
                shared.stop.store(true, Ordering::Relaxed);
                failure.get_or_insert(err);
            }
        }
    }
    bar.finish_and_clear();

    let secs = started.elapsed().as_secs_f64();
    let shard_note = if args.shard.is_some() { format!(", shard {shard}") } else { String::new() };
    outln!(
        "withstand: {done} cases in {secs:.1}s ({} cases/s), {jobs} job(s), against {interpreter} as {}, seed {seed:#x}{shard_note}",
        rate(done as f64 / secs.max(1e-9)),
        profile.describe(),
    );
    for line in crate::cmd::impls::summary_lines(&started_as, capabilities, &changes) {
        outln!("  {line}");
    }
    if skipped > 0 {
        outln!(
            "  skipped: {skipped} programs the model does not predict (never end, or depend on the garbage collector)"
        );
    }
    if left_out > 0 {
        outln!(
            "  left out: {left_out} programs that use what {} does not have or build: {}",
            exec.toolchain().map_or_else(String::new, |t| t.name()),
            exec.left_out_reasons().join("; ")
        );
    }
    if let Some(t) = exec.toolchain() {
        outln!("  compiled with {} (batches of {})", t.name(), exec.batch_size(0));
    }
    if abandoned {
        outln!("  stopped at the --time bound while a worker was still busy (a hung interpreter or a slow restart)");
    }
    let run_info = RunInfo {
        withstand: env!("CARGO_PKG_VERSION").to_string(),
        seed: format!("{seed:#x}"),
        cases: args.cases.or(if args.time.is_none() { Some(campaign_cases) } else { None }),
        time_secs: args.time.map(|t| t.as_secs_f64()),
        shard: args.shard.map(|s| s.to_string()),
        programs: done - skipped,
        skipped,
        secs: (secs * 10.0).round() / 10.0,
        profile: profile.to_string(),
        target: args.judge.target.map(|t| t.to_string()),
        messages: data::messages_word(messages).to_string(),
        interpreter: InterpreterRecord::new(
            interpreter.clone(),
            args.judge.interpreter.python.display().to_string(),
            &info,
        ),
        compiler,
        known_files: args.known.known.iter().map(|p| p.display().to_string()).collect(),
        complete: failure.is_none() && !abandoned,
        run_dir: run_dir.display().to_string(),
        merged: Vec::new(),
        reproduce: String::new(),
    };
    let run_info = RunInfo { reproduce: reproduce_command(&run_info, &args), ..run_info };
    let report = data::build(run_info, summary.into_records(), &triage, &run_dir);
    report::print_report(&report, &run_dir, args.verbose)?;
    let new = report.summary.new > 0;
    report::write(&report, &run_dir, args.report.as_deref(), args.junit.as_deref())?;
    outln!("  report: {}", run_dir.join("report.md").display());
    outln!(
        "  findings: {}",
        if report.findings.is_empty() { "none".to_string() } else { run_dir.display().to_string() }
    );
    if let Some(kept) = exec.finish() {
        outln!("  builds kept in {}", kept.display());
    }
    if let Some(err) = failure {
        return Err(err);
    }
    Ok(if new { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The command line that runs the same campaign again (the same programs, judged the same way).
fn reproduce_command(info: &RunInfo, args: &Args) -> String {
    let mut cmd = vec!["withstand".to_string(), "run".to_string()];
    cmd.extend(["--python".to_string(), info.interpreter.python.clone(), "--seed".to_string(), info.seed.clone()]);
    match (info.cases, args.time) {
        (Some(n), _) => cmd.extend(["--cases".to_string(), n.to_string()]),
        (None, Some(t)) => cmd.extend(["--time".to_string(), format!("{}s", t.as_secs())]),
        (None, None) => {}
    }
    if let Some(s) = &info.shard {
        cmd.extend(["--shard".to_string(), s.clone()]);
    }
    if let Some(t) = &info.target {
        cmd.extend(["--target".to_string(), t.clone()]);
    }
    if info.messages != "exact" {
        cmd.extend(["--messages".to_string(), info.messages.clone()]);
    }
    for k in &info.known_files {
        cmd.extend(["--known".to_string(), k.clone()]);
    }
    if let Some(c) = args.compile.compile {
        cmd.extend(["--compile".to_string(), c.name().to_string()]);
        if let Some(b) = args.compile.batch {
            cmd.extend(["--batch".to_string(), b.to_string()]);
        }
    }
    cmd.iter().map(|a| shell_word(a)).collect::<Vec<_>>().join(" ")
}

/// `a` as one shell word: quoted when it holds anything but safe characters.
pub fn shell_word(a: &str) -> String {
    let safe = !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if safe {
        a.to_string()
    } else {
        format!("'{}'", oracle::corpus::format::one_line(a, 1000).replace('\'', "'\\''"))
    }
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
    /// New root causes some thread has claimed to shrink: only the first finding of each is
    /// shrunk (a known one is not: its entry's case is its reproducer); see [`shrink_key`].
    claimed: Mutex<HashSet<(Class, String)>>,
    /// How many workers are starting, at most [`MAX_CONCURRENT_STARTS`].
    starting: (Mutex<usize>, Condvar),
}

struct Ctx {
    shared: Arc<Shared>,
    tx: mpsc::Sender<Report>,
    worker_config: WorkerConfig,
    /// What the interpreter has: what programs are generated for and traces masked by.
    capabilities: Capabilities,
    seed: u64,
    total: u64,
    deadline: Option<Instant>,
    profile: Profile,
    messages: Messages,
    interpreter: String,
    run_dir: PathBuf,
    /// The shrink budget, or `None` with `--no-shrink`.
    shrink_time: Option<Duration>,
    /// How programs run: interpreted, or built by a compiler.
    exec: Arc<Exec>,
    /// Root causes and known differences.
    triage: Arc<Triage>,
    /// Which slice of the case indices this run takes.
    shard: Shard,
}

/// One case of a batch: predicted once, the prediction carried to the verdict and the finding.
struct Case {
    index: u64,
    seed: u64,
    program: Program,
    prediction: Prediction,
}

/// What a finding is the first of, to be shrunk: its class and, for a `no-rule` divergence, what
/// its signature shows of its own (the interpreter's exception, what the model's trace has that
/// it lacks). The report joins a `no-rule` root cause finding by finding by those, so each way
/// of showing one needs a reproducer of its own; those that show nothing are one.
fn shrink_key(finding: &Finding) -> (Class, String) {
    let own = match (&finding.class.cause, &finding.failure) {
        (Cause::Divergence { culprit: Culprit::NoRule, .. }, verdict::Failure::Divergence(d)) => {
            format!("{:?} {:?}", d.signature.raised, d.signature.missing)
        }
        _ => String::new(),
    };
    (finding.class.clone(), own)
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
        let config = GenConfig::for_profile(self.profile).within(self.capabilities);
        let batch =
            if self.exec.toolchain().is_some() { self.exec.batch_size(0) } else { worker.preferred_batch() as u64 };
        while !self.stopping() {
            let start = self.shared.next.fetch_add(batch, Ordering::Relaxed);
            if start >= self.total {
                return Ok(());
            }
            let end = start.saturating_add(batch).min(self.total);
            let mut cases = Vec::with_capacity((end - start) as usize);
            let mut left_out = 0;
            for position in start..end {
                let index = self.shard.index(position);
                let seed = case_seed(self.seed, index);
                let program = from_seed(seed, &config);
                let prediction = predict(&program, self.profile).within(self.capabilities);
                if self.exec.leaves_out(&program).is_some() {
                    left_out += 1;
                } else if prediction.unpredictable.is_none() {
                    cases.push(Case { index, seed, program, prediction });
                }
            }
            let skipped = (end - start) - cases.len() as u64 - left_out;
            // With --compile, the batch is built here; a program that did not build is a finding.
            let programs: Vec<&Program> = cases.iter().map(|c| &c.program).collect();
            let prepared = self.exec.prepare(&programs, self.capabilities)?;
            let mut to_shrink = Vec::new();
            for (case, failure) in cases.iter().zip(&prepared.failures) {
                let Some(failure) = failure.clone() else { continue };
                // A program CPython refuses to compile, which the compiler rejects too, agrees.
                let Verdict::Fails(failure) = self.exec.judge_failure(&case.prediction, failure) else { continue };
                if let Some(it) = self.found(case, failure)? {
                    to_shrink.push(it);
                }
            }
            let order: Vec<usize> = (0..cases.len()).filter(|&i| prepared.requests[i].is_some()).collect();
            let requests: Vec<String> = order.iter().filter_map(|&i| prepared.requests[i].clone()).collect();
            let refs: Vec<&str> = requests.iter().map(String::as_str).collect();

            // Each result is judged, and a finding saved and reported, as it comes.
            let mut ran = 0u64;
            let mut error = None;
            let res = worker.run_each(&refs, |j, result| {
                ran += 1;
                let case = &cases[order[j]];
                let result = judge::observed_within(result, self.capabilities);
                if let Verdict::Fails(failure) = self.exec.judge(&case.prediction, result, self.messages) {
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
            drop(prepared);
            // A batch cut short by the deadline counts only what ran.
            let (n, skipped, left_out) =
                if ran as usize == refs.len() { (end - start, skipped, left_out) } else { (ran, 0, 0) };
            let _ = self.tx.send(Report::Done { cases: n, skipped, left_out });
            for change in worker.take_capability_changes() {
                let _ = self.tx.send(Report::CapabilityChange(change));
            }
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

    /// Triages, saves and reports a finding; returns it (with its directory) when this thread is to
    /// shrink it, being the first to find its new root cause (or, of `no-rule`, what it shows).
    fn found(&self, case: &Case, failure: verdict::Failure) -> anyhow::Result<Option<(Finding, PathBuf)>> {
        let class = self.triage.classify(&Facts::of(&failure));
        let finding = Finding {
            index: case.index,
            seed: case.seed,
            program: case.program.clone(),
            prediction: case.prediction.clone(),
            failure,
            class,
            profile: self.profile,
            interpreter: self.interpreter.clone(),
            python: self.worker_config.python.clone(),
            toolchain: self.exec.toolchain().cloned(),
            capabilities: self.capabilities,
        };
        let dir = findings::save(&self.run_dir, &finding)?;
        let shrinking = self.shrink_time.is_some()
            && finding.class.known.is_none()
            && self.shared.claimed.lock().unwrap_or_else(|e| e.into_inner()).insert(shrink_key(&finding));
        let copy = Box::new(finding.clone());
        let _ = self.tx.send(Report::Found { finding: copy, dir: dir.clone(), shrinking });
        Ok(shrinking.then_some((finding, dir)))
    }

    /// Shrinks a saved finding on this thread's worker, saving every step in its directory. It
    /// stops with the campaign (`--time`, a failure elsewhere). A candidate counts only while it
    /// stays in the finding's class: a shrink never drifts into a known difference, nor into
    /// another family's rule.
    fn shrink(&self, worker: &mut Worker, finding: &Finding, dir: &Path) -> anyhow::Result<Shrunk> {
        let time = self.shrink_time.expect("only called when shrinking");
        let mut run = |candidate: &Program| {
            Ok(self
                .exec
                .failure(worker, candidate, self.profile, self.messages)?
                .filter(|(_, f)| self.triage.classify(&Facts::of(f)) == finding.class))
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

/// A rate as people read it: whole numbers from 10 up, two significant digits below (a compiled
/// campaign runs a few programs a second, or less).
fn rate(per_sec: f64) -> String {
    if per_sec >= 10.0 {
        format!("{per_sec:.0}")
    } else if per_sec >= 1.0 {
        format!("{per_sec:.1}")
    } else {
        format!("{per_sec:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_no_rule_finding_is_the_first_of_what_it_shows_not_of_its_root_cause() {
        use oracle::runner::RunResult;
        use oracle::trace::{Event, ExcDetail, ExcRef, Outcome, Trace};
        let program = oracle::parse::parse("def main():\n    log('L1')\n    log('L2')\n").expect("parses");
        let prediction = predict(&program, Profile::CPYTHON_3_11);
        let finding = |change: &dyn Fn(&mut Trace)| {
            let mut observed = prediction.trace.clone();
            change(&mut observed);
            let Verdict::Fails(failure) = verdict::judge(&prediction, RunResult::Completed(observed), Messages::Exact)
            else {
                panic!("the traces differ")
            };
            Finding {
                index: 0,
                seed: 0,
                program: program.clone(),
                prediction: prediction.clone(),
                class: Triage::none().classify(&Facts::of(&failure)),
                failure,
                profile: Profile::CPYTHON_3_11,
                interpreter: "test".to_string(),
                python: "python3".into(),
                toolchain: None,
                capabilities: Capabilities::FULL,
            }
        };
        let log = |label: &str| Event::Log { label: label.to_string(), info: None };
        // The interpreter logs something more first, twice otherwise: one root cause, no rule, and
        // nothing of its own to show: one shrink.
        let a = finding(&|t| t.events.insert(0, log("L8")));
        let b = finding(&|t| t.events.insert(0, log("L9")));
        assert_eq!(a.class.cause.to_string(), "no-rule: presence");
        assert_eq!(shrink_key(&a), shrink_key(&b));
        // It raises an exception of its own instead: the same root cause, shown otherwise.
        let c = finding(&|t| {
            t.events.clear();
            let exc = ExcRef { ty: "RuntimeError".to_string(), msg: Some("a refusal of its own".to_string()), id: 1 };
            t.outcome = Outcome::Raised(vec![ExcDetail {
                exc,
                context: None,
                cause: None,
                suppress_context: false,
                leaves: Vec::new(),
            }]);
        });
        assert_eq!(c.class, a.class);
        assert_ne!(shrink_key(&c), shrink_key(&a));
    }

    #[test]
    fn jobs_are_capped_by_the_maximum_and_the_cases() {
        assert_eq!(plan_jobs(4, 10_000), (4, None));
        assert_eq!(plan_jobs(300, 100).0, 64);
        assert!(plan_jobs(300, 100).1.is_some_and(|w| w.contains("maximum of 64")));
        assert_eq!(plan_jobs(8, 3), (3, None));
        assert_eq!(plan_jobs(8, 0), (1, None));
    }
}
