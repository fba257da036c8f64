//! `withstand record`: run corpus cases on an interpreter and (re)write the files generated
//! beside each `.case`: the standalone `.py` and the `<profile>.trace` the interpreter produced.
//! A recording that disagrees with the model is refused unless `--force`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use oracle::corpus::{self, Case};
use oracle::judge::Judge;
use oracle::verdict::{Failure, Messages, Verdict};

use crate::args::InterpreterArgs;
use crate::report::print_diff;

/// Record corpus cases from an interpreter: (re)write each case's .py and <profile>.trace.
#[derive(clap::Args)]
#[command(
    after_help = "Exit status: 0 every case recorded, 1 some recording refused (it disagrees with the model, or the interpreter failed), 2 a case file is invalid, or usage or infrastructure error."
)]
pub struct Args {
    /// Corpus directories (searched recursively) or `.case` files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The interpreter to record from (the trace file is named after its profile).
    #[command(flatten)]
    interpreter: InterpreterArgs,
    /// Record a trace even where it disagrees with the model.
    #[arg(long)]
    force: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (cases, load_failed) = load_cases(&args.paths)?;
    let mut judge = Judge::start(&args.interpreter.native())?;
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
/// disagrees with the model for the interpreter's own profile (and `force` is off). Whatever
/// the judge's target and messages, a recording is judged as the interpreter's own profile,
/// messages exact.
pub fn record(judge: &mut Judge, case: &Case, force: bool) -> anyhow::Result<Recording> {
    let native = judge.native_profile().map_err(anyhow::Error::msg)?;
    let saved = (judge.profile, judge.messages);
    (judge.profile, judge.messages) = (native, Messages::Exact);
    let res = record_native(judge, case, force);
    (judge.profile, judge.messages) = saved;
    res
}

fn record_native(judge: &mut Judge, case: &Case, force: bool) -> anyhow::Result<Recording> {
    let shown = corpus::display_path(&case.path);
    let profile = judge.profile;
    // A trace is recorded whole: not from an interpreter that cannot show all of it.
    let lacks = judge.lacks(&case.program);
    if judge.capabilities.masks() || !lacks.is_empty() {
        let missing: Vec<&str> = judge.capabilities.missing().map(|c| c.name()).collect();
        eprintln!(
            "refused {shown}: {} lacks {}, so its trace cannot be recorded",
            judge.interpreter,
            missing.join(", ")
        );
        return Ok(Recording::Refused);
    }
    let Some(judged) = judge.judge(&case.program).context("the interpreter could not be restarted")? else {
        eprintln!("refused {shown}: the model does not predict it on {profile}, there is nothing to record");
        return Ok(Recording::Refused);
    };
    let observed = match (judged.verdict, &case.header.known_divergence) {
        (Verdict::Agrees(t), None) => t,
        (Verdict::Fails(Failure::Divergence(d)), Some(_)) => d.observed,
        (Verdict::Agrees(t), Some(reason)) => {
            eprintln!(
                "warning: {shown}: the known divergence ({reason}) is gone: the model and {} agree; remove the `known-divergence` line",
                judge.interpreter
            );
            t
        }
        (Verdict::Fails(Failure::Divergence(d)), None) => {
            let mut err = anstream::stderr().lock();
            let verb = if force { "recording anyway (--force)" } else { "refused" };
            let _ = writeln!(
                err,
                "{verb} {shown}: {} disagrees with the model ({profile}): {}",
                judge.interpreter, d.signature
            );
            print_diff(&mut err, &d);
            if !force {
                let _ = writeln!(
                    err,
                    "  (fix the model or the case, or add a `# known-divergence: <reason>` line; `--force` records it as it is)"
                );
                return Ok(Recording::Refused);
            }
            d.observed
        }
        (Verdict::Fails(other), _) => {
            eprintln!(
                "refused {shown}: {} failed on it, there is nothing to record: {}",
                judge.interpreter,
                other.key()
            );
            return Ok(Recording::Refused);
        }
    };
    let lines = observed.lines();
    let py = case.write_py()?;
    let trace = case.write_trace(profile, &judge.version(), &lines)?;
    let changed = py || trace;
    outln!(
        "{} {shown}: {} ({} trace lines)",
        if changed { "recorded" } else { "unchanged" },
        case.trace_path(profile).file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        lines.len()
    );
    Ok(if changed { Recording::Written } else { Recording::Unchanged })
}
