//! `withstand bench`: where the time goes, stage by stage, and the memory a campaign needs.
//! Speed figures live here (and in `scripts/floor.py`), not in timed tests.
//!
//! With `--floor`, the interpreter round trip is measured against the in-process floor of the
//! same programs on the same interpreter (`scripts/floor.py`, embedded), chunk by chunk and
//! alternating which of the two goes first, so that a machine busy with other work slows both
//! alike and the ratio is a figure one command reproduces.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::ops::ControlFlow;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitCode, Stdio};
use std::sync::{mpsc, Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use generators::{case_seed, from_seed, GenConfig};
use oracle::capability::Capabilities;
use oracle::judge::{self, Judge};
use oracle::model::{predict, Prediction};
use oracle::render;
use oracle::runner::{Transport, Worker, WorkerConfig};
use oracle::verdict::{self, FailureKind, Messages};

use crate::args::InterpreterArgs;

/// `scripts/floor.py`, run with `--serve` for `--floor`.
const FLOOR_PY: &str = include_str!("../../../scripts/floor.py");

/// Measure generation, the model, rendering and the interpreter round trip, one core each.
#[derive(clap::Args)]
pub struct Args {
    /// The interpreter for the end-to-end figure.
    #[command(flatten)]
    interpreter: InterpreterArgs,
    /// How many programs per stage.
    #[arg(long, default_value_t = 20_000)]
    cases: u64,
    /// Campaign seed (the programs are those `withstand run --seed S` would run).
    #[arg(long, default_value_t = 5)]
    seed: u64,
    /// Also measure the in-process floor of the same programs on the same interpreter
    /// (scripts/floor.py), interleaved with the round trip, and print the ratio.
    #[arg(long)]
    floor: bool,
    /// Workers running at once for the round trip (and floor processes with --floor).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=256))]
    jobs: u64,
    /// Programs per chunk with --floor: the floor and the round trip alternate every chunk.
    #[arg(long, default_value_t = 250, value_parser = clap::value_parser!(u64).range(1..))]
    chunk: u64,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // The interpreter first: what it has decides what is generated, its transport how programs
    // reach it (`--transport`).
    let probe = Judge::start(&args.interpreter.native()).context("cannot start the interpreter")?;
    let (profile, capabilities, worker_config) = (probe.profile, probe.capabilities, probe.worker.config());
    let transport = probe.worker.transport();
    let transport_description = probe.worker.transport_description();
    drop(probe);
    anyhow::ensure!(
        !args.floor || transport == Transport::Worker,
        "--floor needs an interpreter that hosts the persistent worker (scripts/floor.py runs the same way)"
    );
    let config = GenConfig::full().within(capabilities);
    let n = args.cases.max(1);
    let per_sec = |d: Duration| n as f64 / d.as_secs_f64().max(1e-9);

    let t = Instant::now();
    let programs: Vec<_> = (0..n).map(|i| from_seed(case_seed(args.seed, i), &config)).collect();
    let generate = t.elapsed();

    let t = Instant::now();
    let predictions: Vec<_> = programs.iter().map(|p| predict(p, profile).within(capabilities)).collect();
    let model = t.elapsed();

    let t = Instant::now();
    let sources: Vec<String> = programs.iter().map(|p| judge::source_for(p, capabilities)).collect();
    let render_time = t.elapsed();
    let lines: usize = sources.iter().map(|s| s.lines().count()).sum();

    outln!("{n} programs (seed {}), {:.1} lines each on average", args.seed, lines as f64 / n as f64);
    outln!("  generate          {:>10.0} programs/s", per_sec(generate));
    outln!("  model (predict)   {:>10.0} programs/s", per_sec(model));
    outln!("  render            {:>10.0} programs/s", per_sec(render_time));

    // As a campaign does, the interpreter runs only what the model predicts (a program that never
    // ends, or depends on the garbage collector, would be a false divergence or a hang).
    let (sources, predictions): (Vec<String>, Vec<Prediction>) =
        sources.into_iter().zip(predictions).filter(|(_, p)| p.unpredictable.is_none()).unzip();
    let skipped = n - sources.len() as u64;
    if skipped > 0 {
        outln!("  skipped: {skipped} programs the model does not predict (as in a campaign)");
    }
    let n = sources.len().max(1) as u64;

    let jobs = args.jobs as usize;
    let chunk = if args.floor { args.chunk as usize } else { sources.len().div_ceil(jobs) };
    let ours = process_cpu_seconds();
    let python = &worker_config.python;
    let setup = Setup { worker: &worker_config, capabilities };
    let rounds = round_trip(&setup, &sources, &predictions, jobs, chunk, args.floor)?;
    let ours_cpu = process_cpu_seconds() - ours;

    let worker_secs: f64 = rounds.iter().map(|r| r.worker).sum();
    // What failed, by kind: a crash or a hang is not a divergence.
    let mut failed: BTreeMap<FailureKind, u64> = BTreeMap::new();
    for (kind, n) in rounds.iter().flat_map(|r| &r.failed) {
        *failed.entry(*kind).or_default() += n;
    }
    let failures = if failed.is_empty() {
        "no failures".to_string()
    } else {
        failed.iter().map(|(k, n)| format!("{n} {}", k.word())).collect::<Vec<_>>().join(", ")
    };
    outln!(
        "  interpreter round trip, {jobs} worker(s) through {}, verdict included: {:.0} programs/s ({failures}) against {} as {}",
        transport_description,
        n as f64 / worker_secs.max(1e-9),
        python.display(),
        profile.describe()
    );
    if args.floor {
        let floor_secs: f64 = rounds.iter().map(|r| r.floor).sum();
        outln!(
            "  floor, {jobs} process(es) of scripts/floor.py on the same programs: {:.0} programs/s",
            n as f64 / floor_secs.max(1e-9)
        );
        let mut ratios: Vec<f64> = rounds.iter().map(|r| r.floor / r.worker.max(1e-9)).collect();
        ratios.sort_by(f64::total_cmp);
        outln!(
            "  round trip / floor: {:.1}% (per chunk of {chunk} x {jobs}: min {:.1}%, median {:.1}%, max {:.1}%)",
            100.0 * floor_secs / worker_secs.max(1e-9),
            100.0 * ratios[0],
            100.0 * ratios[ratios.len() / 2],
            100.0 * ratios[ratios.len() - 1]
        );
        let (worker_cpu, floor_cpu) = rounds.iter().fold((0.0, 0.0), |(w, f), r| (w + r.worker_cpu, f + r.floor_cpu));
        if worker_cpu > 0.0 && floor_cpu > 0.0 {
            let us = |secs: f64| secs / n as f64 * 1e6;
            outln!(
                "  CPU per program: the interpreter {:.0} us as a worker, {:.0} us in the floor ({:.1}%); withstand (all its threads) {:.0} us",
                us(worker_cpu),
                us(floor_cpu),
                100.0 * floor_cpu / worker_cpu,
                us(ours_cpu)
            );
        }
    }
    if let Some(kib) = peak_rss_kib() {
        outln!("  peak memory of withstand (all {n} programs and traces held): {:.1} MiB", kib as f64 / 1024.0);
    }
    Ok(ExitCode::SUCCESS)
}

/// The wall time of one round: every job's chunk through the floor, then through the worker
/// (or the other way round), each phase timed from a common start to the last job's end.
#[derive(Default)]
struct Round {
    worker: f64,
    floor: f64,
    /// CPU seconds of the worker's interpreter and of the floor process (its loop only),
    /// summed over the jobs; 0 where /proc does not say.
    worker_cpu: f64,
    floor_cpu: f64,
    /// Programs that failed, by kind.
    failed: BTreeMap<FailureKind, u64>,
}

/// How every job's worker starts, and what its traces are masked by.
struct Setup<'a> {
    worker: &'a WorkerConfig,
    capabilities: Capabilities,
}

/// Runs `sources` on `jobs` workers at once, in rounds of one chunk per job; with `floor`, each
/// round runs the same chunks through `jobs` floor processes too, alternating which goes first.
fn round_trip(
    setup: &Setup<'_>,
    sources: &[String],
    predictions: &[Prediction],
    jobs: usize,
    chunk: usize,
    floor: bool,
) -> anyhow::Result<Vec<Round>> {
    let n_rounds = sources.len().div_ceil(chunk * jobs);
    let barrier = Arc::new(Barrier::new(jobs));
    let (tx, rx) = mpsc::channel::<anyhow::Result<(usize, Round)>>();
    thread::scope(|scope| {
        for job in 0..jobs {
            let (barrier, tx) = (Arc::clone(&barrier), tx.clone());
            scope.spawn(move || {
                let mut state = match Job::start(setup, floor) {
                    Ok(it) => Some(it),
                    Err(err) => {
                        let _ = tx.send(Err(err));
                        None
                    }
                };
                for round in 0..n_rounds {
                    let start = (round * jobs + job) * chunk;
                    let range = start.min(sources.len())..(start + chunk).min(sources.len());
                    let res = match &mut state {
                        Some(state) => state.round(&barrier, round, &sources[range.clone()], &predictions[range]),
                        None => {
                            // Keep the others' rounds in step.
                            barrier.wait();
                            barrier.wait();
                            continue;
                        }
                    };
                    match res {
                        Ok(it) => {
                            let _ = tx.send(Ok((round, it)));
                        }
                        Err(err) => {
                            let _ = tx.send(Err(err));
                            state = None;
                        }
                    }
                }
            });
        }
        drop(tx);
        let mut rounds: Vec<Round> = (0..n_rounds).map(|_| Round::default()).collect();
        for it in rx {
            let (idx, r) = it?;
            let round = &mut rounds[idx];
            round.worker = round.worker.max(r.worker);
            round.floor = round.floor.max(r.floor);
            round.worker_cpu += r.worker_cpu;
            round.floor_cpu += r.floor_cpu;
            for (kind, n) in r.failed {
                *round.failed.entry(kind).or_default() += n;
            }
        }
        Ok(rounds)
    })
}

/// One job's worker and, with `--floor`, its floor process.
struct Job {
    worker: Worker,
    floor: Option<Floor>,
    capabilities: Capabilities,
}

impl Job {
    fn start(setup: &Setup<'_>, floor: bool) -> anyhow::Result<Job> {
        let worker = Worker::spawn(setup.worker).context("cannot start a worker")?;
        let floor = if floor { Some(Floor::start(&setup.worker.python)?) } else { None };
        Ok(Job { worker, floor, capabilities: setup.capabilities })
    }

    /// One chunk through both, the floor first on even rounds. Every job passes the barrier
    /// twice a round, whatever its chunk, so that all the floors run at once and all the workers.
    fn round(
        &mut self,
        barrier: &Barrier,
        round: usize,
        sources: &[String],
        predictions: &[Prediction],
    ) -> anyhow::Result<Round> {
        let mut res = Round::default();
        let mut failed = None;
        for phase in 0..2 {
            barrier.wait();
            if sources.is_empty() || failed.is_some() {
                continue;
            }
            let floor_now = (phase == 0) == (round % 2 == 0);
            let step = match (&mut self.floor, floor_now) {
                (Some(floor), true) => floor.measure(sources).map(|(wall, cpu)| {
                    res.floor = wall;
                    res.floor_cpu = cpu;
                }),
                (None, true) => Ok(()),
                (_, false) => self.run(sources, predictions, &mut res),
            };
            failed = step.err();
        }
        match failed {
            Some(err) => Err(err),
            None => Ok(res),
        }
    }

    /// The round trip of one chunk, compared as the answers come.
    fn run(&mut self, sources: &[String], predictions: &[Prediction], res: &mut Round) -> anyhow::Result<()> {
        let refs: Vec<&str> = sources.iter().map(String::as_str).collect();
        let pid = self.worker.pid();
        let cpu = cpu_seconds(&format!("/proc/{pid}/schedstat"));
        let t = Instant::now();
        let capabilities = self.capabilities;
        let ran = self
            .worker
            .run_each(&refs, |idx, result| {
                let result = judge::observed_within(result, capabilities);
                if let Some(f) = verdict::judge(&predictions[idx], result, Messages::Exact).failure() {
                    *res.failed.entry(f.kind()).or_default() += 1;
                }
                ControlFlow::Continue(())
            })
            .context("the interpreter could not be restarted")?;
        res.worker = t.elapsed().as_secs_f64();
        if self.worker.pid() == pid && self.worker.restarts() == 0 {
            res.worker_cpu = cpu_seconds(&format!("/proc/{pid}/schedstat")) - cpu;
        }
        anyhow::ensure!(ran == refs.len(), "the interpreter could not be restarted");
        Ok(())
    }
}

/// `scripts/floor.py --serve` on the interpreter under test.
struct Floor {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Floor {
    fn start(python: &Path) -> anyhow::Result<Floor> {
        let mut child = Command::new(python)
            .args(["-c", FLOOR_PY, "--serve"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {} for the floor", python.display()))?;
        let mut stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        stdin.write_all(&frame(render::PRELUDE)).context("cannot send the prelude to the floor")?;
        Ok(Floor { child, stdin, stdout })
    }

    /// Seconds the floor took for `sources`, as it measured them: wall and CPU.
    fn measure(&mut self, sources: &[String]) -> anyhow::Result<(f64, f64)> {
        let mut request = format!("{}\n", sources.len()).into_bytes();
        for s in sources {
            request.extend_from_slice(&frame(s));
        }
        self.stdin.write_all(&request).context("the floor process is gone")?;
        self.stdin.flush()?;
        let mut line = String::new();
        self.stdout.read_line(&mut line).context("the floor process is gone")?;
        let bad = || anyhow::format_err!("the floor answered {line:?}");
        let (wall, cpu) = line.trim().split_once(' ').ok_or_else(bad)?;
        Ok((wall.parse().map_err(|_| bad())?, cpu.parse().map_err(|_| bad())?))
    }
}

impl Drop for Floor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A request frame, as the worker reads them.
fn frame(source: &str) -> Vec<u8> {
    let mut res = format!("{}\n", source.len()).into_bytes();
    res.extend_from_slice(source.as_bytes());
    res
}

/// The CPU time (seconds) in a `/proc/.../schedstat` file (Linux); 0 elsewhere.
fn cpu_seconds(path: &str) -> f64 {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.split_whitespace().next().and_then(|ns| ns.parse::<u64>().ok()).map_or(0.0, |ns| ns as f64 / 1e9)
}

/// The CPU time (seconds) of this whole process, every thread, from /proc (Linux, at the
/// kernel's 100 ticks a second); 0 elsewhere.
fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit_once(") ").map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    // utime and stime are the 12th and 13th fields after the command name.
    let ticks: u64 = [11, 12].iter().filter_map(|&i| fields.get(i)?.parse::<u64>().ok()).sum();
    ticks as f64 / 100.0
}

/// `VmHWM` from /proc (Linux); None elsewhere.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
