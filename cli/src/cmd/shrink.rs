//! `withstand shrink`: shrink a saved finding (or any failing program) to a minimal reproducer,
//! against the interpreter, keeping only candidates that fail the same way. It resumes from the
//! smallest program already saved and never replaces a reduced program by a larger one.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use oracle::corpus::{self, Origin};
use oracle::ir::Program;
use oracle::judge::Judge;
use oracle::model::Prediction;
use oracle::verdict::Failure;

use crate::args::{parse_duration, JudgeArgs};
use crate::findings::{self, no_larger, saved_program};
use crate::input::read_program;
use crate::report;
use crate::shrink::{self, program_lines, ShrinkConfig, ShrinkReport};

/// Shrink a failing program: a finding directory, a program.py or other standalone file, or a .case.
#[derive(clap::Args)]
#[command(
    after_help = "A finding directory gets reduced.py, reduced.case and reduced.diff (and its README a Shrinking section); FILE.py or FILE.case gets FILE.reduced.py, .case and .diff beside it. Every accepted step is saved at once, atomically. It starts from the smallest program already saved there (reduced.case, else the program) and never replaces it by a larger one.\n\nExit status: 0 the program does not fail on this interpreter (nothing to shrink), 1 it fails and was shrunk, 2 usage or infrastructure error."
)]
pub struct Args {
    /// A finding directory (from `withstand run`), a standalone program, or a `.case` file.
    file: PathBuf,
    #[command(flatten)]
    judge: JudgeArgs,
    /// How long shrinking may take; the smallest program so far is kept.
    #[arg(long, value_parser = parse_duration, default_value = "60s")]
    shrink_time: Duration,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let program = read_program(&args.file)?;
    let is_finding = args.file.is_dir();
    let (dir, stem) = if is_finding {
        (args.file.clone(), "reduced".to_string())
    } else {
        let dir = match args.file.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let stem = args.file.file_stem().map_or_else(|| "program".to_string(), |s| s.to_string_lossy().into_owned());
        (dir, format!("{stem}.reduced"))
    };
    // Resume from the smallest program saved so far, if it still fails.
    let mut starts = vec![program];
    if let Some(saved) = saved_program(&dir, &stem) {
        if no_larger(&saved, &starts[0]) {
            starts.insert(0, saved);
        }
    }
    let origin = origin_of(&args.file);
    let mut judge = Judge::start(&args.judge.config())?;
    let mut start = None;
    for (i, p) in starts.into_iter().enumerate() {
        if let Some((prediction, failure)) = judge.failure(&p).context("the interpreter could not be restarted")? {
            if i == 0 && is_resumed(&dir, &stem, &p) {
                outln!("{}: resuming from {stem}.case ({} lines)", args.file.display(), program_lines(&p));
            }
            start = Some((p, prediction, failure));
            break;
        }
    }
    let Some((program, prediction, failure)) = start else {
        outln!(
            "{}: {} does what the model predicts ({}): nothing to shrink",
            args.file.display(),
            judge.interpreter,
            judge.profile
        );
        return Ok(ExitCode::SUCCESS);
    };
    outln!("{}: {}; shrinking ({} lines)...", args.file.display(), failure.key(), program_lines(&program));

    let (profile, interpreter) = (judge.profile, judge.interpreter.clone());
    let mut run = |candidate: &Program| judge.failure(candidate).context("the interpreter could not be restarted");
    let never = || false;
    let config = ShrinkConfig { time: args.shrink_time, stop: &never };
    let mut on_step =
        |p: &Program, prediction: &Prediction, f: &Failure, report: &ShrinkReport| -> anyhow::Result<()> {
            let header = findings::case_header(&prediction.coverage, f, profile, &interpreter, origin.clone());
            if findings::write_reduced(&dir, &stem, p, f, &header)? && is_finding {
                update_readme(&dir, report)?;
            }
            Ok(())
        };
    let shrunk = shrink::shrink(&program, &prediction, &failure, &mut run, &config, &mut on_step)?;
    let r = &shrunk.report;
    outln!(
        "shrunk {} → {} lines in {:.1}s ({} attempts; {}): {}",
        r.lines_before,
        r.lines_after,
        r.secs,
        r.attempts,
        r.status.short(),
        dir.join(format!("{stem}.py")).display()
    );
    let mut out = anstream::stdout().lock();
    report::print_body(&mut out, &shrunk.program, &shrunk.failure);
    Ok(ExitCode::from(1))
}

/// Whether `program` is the one saved as `<stem>.case` in `dir`.
fn is_resumed(dir: &Path, stem: &str, program: &Program) -> bool {
    saved_program(dir, stem).is_some_and(|p| p == *program)
}

/// Where the program came from: the origin in its case file (or its finding's), else
/// `hand-written`.
fn origin_of(file: &Path) -> Origin {
    let case = if file.is_dir() { file.join("program.case") } else { file.to_path_buf() };
    if case.extension().is_some_and(|e| e == corpus::CASE_EXT) {
        if let Ok(c) = corpus::load(&case) {
            return c.header.origin;
        }
    }
    Origin::HandWritten
}

fn update_readme(dir: &Path, report: &ShrinkReport) -> anyhow::Result<()> {
    let path = dir.join("README.md");
    let old = match crate::input::read_text(&path) {
        Ok(t) => t,
        Err(_) if !path.exists() => return Ok(()),
        Err(e) => return Err(e),
    };
    corpus::write_if_changed(&path, &findings::with_shrink_section(&old, report))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
