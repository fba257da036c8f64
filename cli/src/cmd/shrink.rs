//! `withstand shrink`: shrink a saved finding (or any failing program) to a minimal reproducer,
//! against the interpreter, keeping only candidates that fail the same way.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use oracle::corpus::{self, Origin};
use oracle::ir::Program;

use crate::cmd::run::parse_duration;
use crate::cmd::show::read_program;
use crate::findings::{self, FindingKind};
use crate::judge::{Judge, JudgeConfig, MessagesArg, Verdict};
use crate::shrink::{self, ShrinkConfig, ShrinkReport};

/// Shrink a failing program: a finding directory, a program.py or other standalone file, or a .case.
#[derive(clap::Args)]
#[command(
    after_help = "A finding directory gets reduced.py, reduced.case and reduced.diff (and its README a Shrinking section); FILE.py or FILE.case gets FILE.reduced.py, .case and .diff beside it. Every accepted step is saved at once, atomically.\n\nExit status: 0 the program does not fail on this interpreter (nothing to shrink), 1 it fails and was shrunk, 2 usage or infrastructure error."
)]
pub struct Args {
    /// A finding directory (from `withstand run`), a standalone program, or a `.case` file.
    file: PathBuf,
    /// The interpreter.
    #[arg(long, default_value = "python3")]
    python: PathBuf,
    /// Judge the interpreter as this profile instead of the one it reports, e.g. cpython-3.11.
    #[arg(long)]
    target: Option<oracle::profile::Profile>,
    /// Compare exception messages exactly, or types only.
    #[arg(long, value_enum, default_value = "exact")]
    messages: MessagesArg,
    /// Per-program time limit before the interpreter is declared hung.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    timeout: Duration,
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
    let origin = origin_of(&args.file);
    let mut judge = Judge::start(&JudgeConfig {
        python: args.python.clone(),
        target: args.target,
        messages: args.messages.into(),
        timeout: args.timeout,
    })?;
    let kind = match judge.judge(&program)? {
        Verdict::Agrees => {
            outln!(
                "{}: {} does what the model predicts ({}): nothing to shrink",
                args.file.display(),
                judge.interpreter,
                judge.profile
            );
            return Ok(ExitCode::SUCCESS);
        }
        Verdict::Fails(kind) => kind,
    };
    outln!("{}: {}; shrinking ({} lines)...", args.file.display(), kind.signature(), shrink::program_lines(&program));

    let (profile, interpreter) = (judge.profile, judge.interpreter.clone());
    let mut run = |candidate: &Program| judge.failure(candidate);
    let never = || false;
    let config = ShrinkConfig { time: args.shrink_time, stop: &never };
    let mut on_step = |p: &Program, k: &FindingKind, report: &ShrinkReport| -> anyhow::Result<()> {
        let header = findings::case_header(p, k, profile, &interpreter, origin.clone());
        findings::write_reduced(&dir, &stem, p, k, &header)?;
        if is_finding {
            update_readme(&dir, report)?;
        }
        Ok(())
    };
    let shrunk = shrink::shrink(&program, &kind, &mut run, &config, &mut on_step)?;
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
    findings::print_body(&mut out, &shrunk.program, &shrunk.kind);
    Ok(ExitCode::from(1))
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
    let old = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    corpus::write_if_changed(&path, &findings::with_shrink_section(&old, report))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
