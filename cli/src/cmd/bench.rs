//! `withstand bench`: where the time goes, stage by stage, and the memory a campaign needs.
//! Speed figures live here (and in `scripts/floor.py`), not in timed tests.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use generators::{case_seed, from_seed, GenConfig};
use oracle::judge;
use oracle::model::predict;
use oracle::profile::Profile;
use oracle::render;
use oracle::runner::Worker;
use oracle::verdict::{self, FailureKind, Messages};

use crate::args::InterpreterArgs;

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
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = GenConfig::full();
    let n = args.cases.max(1);
    let per_sec = |d: Duration| n as f64 / d.as_secs_f64().max(1e-9);

    let t = Instant::now();
    let programs: Vec<_> = (0..n).map(|i| from_seed(case_seed(args.seed, i), &config)).collect();
    let generate = t.elapsed();

    let profile = Profile::CPYTHON_3_11;
    let t = Instant::now();
    let predictions: Vec<_> = programs.iter().map(|p| predict(p, profile)).collect();
    let model = t.elapsed();

    let t = Instant::now();
    let sources: Vec<String> = programs.iter().map(render::body).collect();
    let render_time = t.elapsed();
    let lines: usize = sources.iter().map(|s| s.lines().count()).sum();

    let python = &args.interpreter.python;
    let worker_config = judge::worker_config(python, args.interpreter.timeout);
    let mut worker = Worker::spawn(&worker_config).context("cannot start a worker")?;
    let refs: Vec<&str> = sources.iter().map(String::as_str).collect();
    let t = Instant::now();
    // What failed, by kind: a crash or a hang is not a divergence.
    let mut failed: BTreeMap<FailureKind, u64> = BTreeMap::new();
    for (chunk, predicted) in refs.chunks(64).zip(predictions.chunks(64)) {
        let results = worker.run_many(chunk).context("the interpreter could not be restarted")?;
        for (result, prediction) in results.into_iter().zip(predicted) {
            if let Some(f) = verdict::judge(prediction, result, Messages::Exact).failure() {
                *failed.entry(f.kind()).or_default() += 1;
            }
        }
    }
    let end_to_end = t.elapsed();
    let failures = if failed.is_empty() {
        "no failures".to_string()
    } else {
        failed.iter().map(|(k, n)| format!("{n} {}", k.word())).collect::<Vec<_>>().join(", ")
    };

    println!("{n} programs (seed {}), {:.1} lines each on average", args.seed, lines as f64 / n as f64);
    println!("  generate          {:>10.0} programs/s", per_sec(generate));
    println!("  model (predict)   {:>10.0} programs/s", per_sec(model));
    println!("  render            {:>10.0} programs/s", per_sec(render_time));
    println!(
        "  interpreter round trip, one worker, verdict included: {:.0} programs/s ({failures}) against {}",
        per_sec(end_to_end),
        python.display()
    );
    if let Some(kib) = peak_rss_kib() {
        println!("  peak memory of withstand (all {n} programs and traces held): {:.1} MiB", kib as f64 / 1024.0);
    }
    Ok(ExitCode::SUCCESS)
}

/// `VmHWM` from /proc (Linux); None elsewhere.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
