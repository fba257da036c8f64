//! `withstand run`: a differential campaign. Generate, predict, execute, diff; report and save
//! every finding the moment it is found, then shrink the first finding of each signature on the
//! worker that found it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use generators::{case_seed, from_seed, GenConfig};
use indicatif::{ProgressBar, ProgressStyle};
use oracle::compare::Messages;
use oracle::ir::Program;
use oracle::profile::Profile;
use oracle::render;
use oracle::runner::{Worker, WorkerConfig};

use crate::findings::{self, Finding, FindingKind};
use crate::judge::{self, classify, MessagesArg};
use crate::shrink::{self, ShrinkConfig, Shrunk};

/// Run a differential campaign against an interpreter.
#[derive(clap::Args)]
#[command(
    after_help = "Exit status: 0 no divergence, 1 divergences or interpreter failures found, 2 usage or infrastructure error."
)]
pub struct Args {
    /// The interpreter: any executable, a wrapper script included.
    #[arg(long, default_value = "python3")]
    python: PathBuf,
    /// How many programs to run [default: 10000 unless --time is given].
    #[arg(long, conflicts_with = "time")]
    cases: Option<u64>,
    /// Run for this long instead, e.g. 30s, 10m, 2h.
    #[arg(long, value_parser = parse_duration)]
    time: Option<Duration>,
    /// Campaign seed (decimal or 0x-hex) [default: from the clock; printed in the summary].
    #[arg(long, value_parser = parse_seed_arg)]
    seed: Option<u64>,
    /// Parallel workers, one interpreter each [default: number of CPUs].
    #[arg(long)]
    jobs: Option<usize>,
    /// Compare exception messages exactly, or types only.
    #[arg(long, value_enum, default_value = "exact")]
    messages: MessagesArg,
    /// Where findings are written, one directory each.
    #[arg(long, default_value = "findings")]
    out: PathBuf,
    /// Judge the interpreter as this profile instead of the one it reports, e.g. cpython-3.11.
    #[arg(long)]
    target: Option<Profile>,
    /// Per-program time limit before the interpreter is declared hung.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    timeout: Duration,
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
    Done {
        cases: u64,
        skipped: u64,
    },
    /// A finding, already saved in its directory; `shrinking` if this thread shrinks it next.
    Found {
        finding: Box<Finding>,
        dir: PathBuf,
        shrinking: bool,
    },
    /// The shrink of a finding reported before.
    Shrunk {
        finding: Box<Finding>,
        dir: PathBuf,
        shrunk: Box<Shrunk>,
    },
    Failed(anyhow::Error),
}

const BATCH: u64 = 64;

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let seed = args.seed.unwrap_or_else(clock_seed);
    let total = match (args.cases, args.time) {
        (Some(n), _) => n,
        (None, Some(_)) => u64::MAX,
        (None, None) => 10_000,
    };
    let jobs = args.jobs.unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let messages = Messages::from(args.messages);
    let worker_config = judge::worker_config(&args.python, args.timeout);

    // The first worker tells us what we are testing; failing here is an infrastructure error.
    let first = Worker::spawn(&worker_config).with_context(|| "cannot start a worker")?;
    let info = first.info().clone();
    let profile = judge::profile_for(&info, args.target)?;
    let interpreter = judge::interpreter_name(&info, &args.python);
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;

    let started = Instant::now();
    let deadline = args.time.map(|t| started + t);
    let next = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let claimed = Arc::new(Mutex::new(HashSet::new()));
    let (tx, rx) = mpsc::channel::<Report>();
    let mut first = Some(first);
    let mut handles = Vec::with_capacity(jobs);
    for _ in 0..jobs {
        let worker = first.take();
        let ctx = Ctx {
            next: Arc::clone(&next),
            stop: Arc::clone(&stop),
            tx: tx.clone(),
            worker_config: worker_config.clone(),
            seed,
            total,
            deadline,
            profile,
            messages,
            interpreter: interpreter.clone(),
            out: args.out.clone(),
            shrink_time: if args.no_shrink { None } else { Some(args.shrink_time) },
            claimed: Arc::clone(&claimed),
        };
        handles.push(thread::spawn(move || ctx.work(worker)));
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

    let mut done = 0u64;
    let mut skipped = 0u64;
    let mut summary = findings::Summary::default();
    let mut failure = None;
    for report in rx {
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
                bar.suspend(|| findings::print(&finding, &dir, fresh || shrinking, shrinking));
                bar.set_message(summary.short());
            }
            Report::Shrunk { finding, dir, shrunk } => {
                summary.shrunk(&finding.signature(), &dir, &shrunk.report);
                bar.suspend(|| findings::print_shrunk(&finding, &dir, &shrunk));
            }
            Report::Failed(err) => {
                stop.store(true, Ordering::Relaxed);
                failure.get_or_insert(err);
            }
        }
    }
    for h in handles {
        h.join().expect("worker threads do not panic");
    }
    bar.finish_and_clear();
    if let Some(err) = failure {
        return Err(err);
    }

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
    summary.print()?;
    Ok(if summary.any() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

struct Ctx {
    next: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    tx: mpsc::Sender<Report>,
    worker_config: WorkerConfig,
    seed: u64,
    total: u64,
    deadline: Option<Instant>,
    profile: Profile,
    messages: Messages,
    interpreter: String,
    out: PathBuf,
    /// The shrink budget, or `None` with `--no-shrink`.
    shrink_time: Option<Duration>,
    /// Signatures some thread has claimed to shrink: only the first finding of each is shrunk.
    claimed: Arc<Mutex<HashSet<String>>>,
}

impl Ctx {
    fn work(self, worker: Option<Worker>) {
        if let Err(err) = self.work_inner(worker) {
            let _ = self.tx.send(Report::Failed(err));
        }
    }

    fn work_inner(&self, worker: Option<Worker>) -> anyhow::Result<()> {
        let mut worker = match worker {
            Some(w) => w,
            None => Worker::spawn(&self.worker_config).context("cannot start a worker")?,
        };
        let config = GenConfig::for_profile(self.profile);
        loop {
            if self.stop.load(Ordering::Relaxed) || self.deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(());
            }
            let start = self.next.fetch_add(BATCH, Ordering::Relaxed);
            if start >= self.total {
                return Ok(());
            }
            let end = (start + BATCH).min(self.total);
            let seeds: Vec<u64> = (start..end).map(|i| case_seed(self.seed, i)).collect();
            let mut cases: Vec<(u64, u64, Program)> = (start..end)
                .zip(seeds)
                .map(|(index, seed)| (index, seed, from_seed(seed, &config)))
                .filter(|(_, _, p)| judge::runnable(p, self.profile))
                .collect();
            let skipped = (end - start) - cases.len() as u64;
            let sources: Vec<String> = cases.iter().map(|(_, _, p)| render::body(p)).collect();
            let refs: Vec<&str> = sources.iter().map(String::as_str).collect();
            let results = worker.run_many(&refs).context("the interpreter could not be restarted")?;
            for ((index, seed, program), result) in cases.drain(..).zip(results) {
                let kind = match classify(&program, result, self.profile, self.messages) {
                    Ok(_) => continue,
                    Err(kind) => kind,
                };
                let finding = Finding {
                    index,
                    seed,
                    program,
                    kind,
                    profile: self.profile,
                    interpreter: self.interpreter.clone(),
                    python: self.worker_config.python.clone(),
                };
                let dir = findings::save(&self.out, &finding)
                    .with_context(|| format!("cannot write a finding to {}", self.out.display()))?;
                let shrinking = self.shrink_time.is_some()
                    && self.claimed.lock().unwrap_or_else(|e| e.into_inner()).insert(finding.signature());
                let finding = Box::new(finding);
                if !shrinking {
                    if self.tx.send(Report::Found { finding, dir, shrinking }).is_err() {
                        return Ok(());
                    }
                    continue;
                }
                let copy = finding.clone();
                if self.tx.send(Report::Found { finding: copy, dir: dir.clone(), shrinking }).is_err() {
                    return Ok(());
                }
                let shrunk = self.shrink(&mut worker, &finding, &dir)?;
                if self.tx.send(Report::Shrunk { finding, dir, shrunk: Box::new(shrunk) }).is_err() {
                    return Ok(());
                }
            }
            if self.tx.send(Report::Done { cases: end - start, skipped }).is_err() {
                return Ok(());
            }
        }
    }
}

impl Ctx {
    /// Shrinks a saved finding on this thread's worker, saving every step in its directory.
    fn shrink(&self, worker: &mut Worker, finding: &Finding, dir: &Path) -> anyhow::Result<Shrunk> {
        let time = self.shrink_time.expect("only called when shrinking");
        let mut run = |candidate: &Program| -> anyhow::Result<Option<FindingKind>> {
            if !judge::runnable(candidate, self.profile) {
                return Ok(None);
            }
            let result = worker.run(&render::body(candidate)).context("the interpreter could not be restarted")?;
            Ok(classify(candidate, result, self.profile, self.messages).err())
        };
        let stop = || self.stop.load(Ordering::Relaxed);
        let config = ShrinkConfig { time, stop: &stop };
        let mut on_step = |program: &Program, kind: &FindingKind, report: &shrink::ShrinkReport| {
            findings::save_step(dir, finding, program, kind, report)
        };
        shrink::shrink(&finding.program, &finding.kind, &mut run, &config, &mut on_step)
    }
}

fn clock_seed() -> u64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    now.as_nanos() as u64 ^ u64::from(std::process::id())
}

fn parse_seed_arg(s: &str) -> Result<u64, String> {
    crate::cmd::show::parse_seed(s).map_err(|e| format!("{s:?} is not a seed: {e}"))
}

/// `30s`, `10m`, `2h`, `500ms`, or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let bad = || format!("{s:?} is not a duration (e.g. 30s, 10m, 2h, 500ms)");
    let split = s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().map_err(|_| bad())?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(bad()),
    };
    if !secs.is_finite() || secs <= 0.0 {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(secs))
}
