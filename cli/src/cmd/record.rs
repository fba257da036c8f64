//! `withstand record`: run corpus cases on an interpreter and (re)write the files generated
//! beside each `.case`: the standalone `.py` and the `<profile>.trace` the interpreter produced.
//! A recording that disagrees with the model is refused unless `--force`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use oracle::compare::{compare, Messages};
use oracle::corpus::{self, Case};
use oracle::model::predict;
use oracle::render;
use oracle::runner::RunResult;

use crate::cmd::run::parse_duration;
use crate::findings;
use crate::judge::{Judge, JudgeConfig};

/// Record corpus cases from an interpreter: (re)write each case's .py and <profile>.trace.
#[derive(clap::Args)]
#[command(
    after_help = "Exit status: 0 every case recorded, 1 some recording refused (it disagrees with the model, or the interpreter failed), 2 a case file is invalid, or usage or infrastructure error."
)]
pub struct Args {
    /// Corpus directories (searched recursively) or `.case` files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The interpreter to record from; the trace file is named after its profile.
    #[arg(long, default_value = "python3")]
    python: PathBuf,
    /// Record a trace even where it disagrees with the model.
    #[arg(long)]
    force: bool,
    /// Per-program time limit before the interpreter is declared hung.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    timeout: Duration,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (cases, load_failed) = load_cases(&args.paths)?;
    let mut judge = Judge::start(&JudgeConfig {
        python: args.python.clone(),
        target: None,
        messages: Messages::Exact,
        timeout: args.timeout,
    })?;
    let mut refused = 0;
    let mut written = 0;
    for case in &cases {
        match record(&mut judge, case, args.force)? {
            Recording::Written => written += 1,
            Recording::Unchanged => {}
            Recording::Refused => refused += 1,
        }
    }
    outln!(
        "record: {} cases from {} as {}: {written} recorded, {refused} refused{}",
        cases.len(),
        judge.interpreter,
        judge.profile,
        if load_failed { ", some case files invalid" } else { "" }
    );
    Ok(if load_failed {
        ExitCode::from(2)
    } else if refused > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Every case under `paths`; problems with case files are printed, and flagged by the bool.
pub fn load_cases(paths: &[PathBuf]) -> anyhow::Result<(Vec<Case>, bool)> {
    let files = corpus::list(paths)?;
    let mut cases = Vec::new();
    let mut failed = false;
    for f in files {
        match corpus::load(&f) {
            Ok(c) => cases.push(c),
            Err(errors) => {
                failed = true;
                for e in errors {
                    eprintln!("{e}");
                }
            }
        }
    }
    Ok((cases, failed))
}

/// What [`record`] did.
pub enum Recording {
    /// The files were written (at least one of them changed).
    Written,
    /// The files already held exactly this recording.
    Unchanged,
    /// Refused: the recording disagrees with the model (without `force`), or the interpreter
    /// failed. Why is printed.
    Refused,
}

/// Runs `case` on the judge's interpreter and writes its `.py` and trace, unless the trace
/// disagrees with the model for the interpreter's own profile (and `force` is off).
pub fn record(judge: &mut Judge, case: &Case, force: bool) -> anyhow::Result<Recording> {
    let shown = corpus::display_path(&case.path);
    let profile = judge.native_profile()?;
    let info = judge.worker.info().clone();
    let version = format!("{} {}.{}.{}", info.implementation, info.version.0, info.version.1, info.version.2);
    let result = judge.worker.run(&render::body(&case.program))?;
    let observed = match result {
        RunResult::Completed(t) => t,
        other => {
            eprintln!("refused {shown}: {} failed on it, there is nothing to record: {other:?}", judge.interpreter);
            return Ok(Recording::Refused);
        }
    };
    let expected = predict(&case.program, profile).trace;
    let divergence = compare(&expected, &observed, Messages::Exact);
    match (&divergence, &case.header.known_divergence) {
        (None, None) | (Some(_), Some(_)) => {}
        (None, Some(reason)) => eprintln!(
            "warning: {shown}: the known divergence ({reason}) is gone: the model and {} agree; remove the `known-divergence` line",
            judge.interpreter
        ),
        (Some(d), None) => {
            let mut err = anstream::stderr().lock();
            let verb = if force { "recording anyway (--force)" } else { "refused" };
            let _ = writeln!(err, "{verb} {shown}: {} disagrees with the model ({profile}): {}", judge.interpreter, d.signature);
            findings::print_diff(&mut err, d);
            if !force {
                let _ = writeln!(
                    err,
                    "  (fix the model or the case, or add a `# known-divergence: <reason>` line; `--force` records it as it is)"
                );
                return Ok(Recording::Refused);
            }
        }
    }
    let py = case.write_py()?;
    let trace = case.write_trace(profile, &version, &observed.lines())?;
    let changed = py || trace;
    outln!(
        "{} {shown}: {} ({} trace lines)",
        if changed { "recorded" } else { "unchanged" },
        case.trace_path(profile).file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        observed.lines().len()
    );
    Ok(if changed { Recording::Written } else { Recording::Unchanged })
}
