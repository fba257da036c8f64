//! `withstand replay`: run every corpus case on an interpreter, diff against the model, report
//! (on the terminal and, for CI, as JUnit XML). It also says when a recorded trace has gone
//! stale against the model. With `--known`, a case that diverges the way a known entry of the
//! implementation describes passes as known, and an entry whose own case agrees is stale.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use oracle::corpus::{self, Case};
use oracle::judge::Judge;
use oracle::triage::{Facts, Triage};
use oracle::verdict::{Failure, Verdict};

use crate::args::{known_case_path, JudgeArgs, KnownArgs};
use crate::compile::{find_toolchain, CompileArgs, Exec, Prepared};
use crate::junit::{self, TestCase, TestResult};
use crate::limits::{clip_lines, MAX_PRINTED_LINES};
use crate::report::{indent, print_diff};

/// Replay the corpus on an interpreter and diff against the model.
#[derive(clap::Args)]
#[command(
    after_help = "Exit status: 0 every case agrees with the model (or diverges as a --known entry describes), 1 some case diverges otherwise (or the interpreter hung or crashed on it), 2 a case file or known file is invalid, or usage or infrastructure error."
)]
pub struct Args {
    /// Corpus directories (searched recursively) or `.case` files.
    #[arg(default_value = "corpus")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    judge: JudgeArgs,
    #[command(flatten)]
    known: KnownArgs,
    /// Also write a JUnit XML report here (one testcase per corpus file).
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Print failures only, not one line per passing case.
    #[arg(long)]
    quiet: bool,
    #[command(flatten)]
    compile: CompileArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let known_files = args.known.load()?;
    let files = corpus::list(&args.paths)?;
    let mut judge = Judge::start(&args.judge.config())?;
    let toolchain = find_toolchain(&args.compile, &args.judge.interpreter.python)?;
    let builds = crate::compile::scratch_dir(&args.compile)?;
    let exec =
        Exec::start(toolchain, &args.compile, &mut judge.worker, builds.path(), 1, std::sync::Arc::new(|| false))?;
    judge.capabilities = exec.capabilities(judge.capabilities);
    // With --compile, every case is built first, a batch at a time.
    let prebuilt = prebuild(&exec, &files, judge.capabilities)?;
    // With --compile, known entries are those of the compiler (`implementation = "cython"`).
    let triage = match exec.toolchain() {
        Some(t) => Triage::new(&known_files, &t.known_info(judge.worker.info())),
        None => Triage::new(&known_files, judge.worker.info()),
    };
    // The case each applicable entry names, to say when it agrees now.
    let entry_cases: Vec<(String, Option<PathBuf>)> = triage
        .entries()
        .iter()
        .map(|e| (e.id.clone(), e.case.as_ref().and_then(|c| known_case_path(&e.file, c).canonicalize().ok())))
        .collect();
    let mut results = Vec::with_capacity(files.len());
    let (mut failed, mut invalid, mut known, mut stale) = (0, 0, 0, 0);
    let (mut known_entries, mut stale_entries) = (0, 0);
    let mut out = anstream::stdout().lock();
    // An interpreter that cannot be restarted ends the replay, after the report of what ran.
    let mut gave_up = None;
    for file in &files {
        let case_started = Instant::now();
        let (result, notes) = match corpus::load(file) {
            Ok(case) => match replay_one(&mut judge, &exec, prebuilt.get(file), &triage, &case, &mut out) {
                Ok(it) => it,
                Err(err) => {
                    gave_up = Some(err);
                    break;
                }
            },
            Err(errors) => {
                let message = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
                writeln!(
                    out,
                    "INVALID {}\n{}",
                    corpus::display_path(file),
                    indent(&clip_lines(&message, MAX_PRINTED_LINES))
                )?;
                (TestResult::Error { kind: "invalid-case".to_string(), message }, Vec::new())
            }
        };
        match &result {
            TestResult::Passed | TestResult::Skipped { .. } => {}
            TestResult::Failure { .. } => failed += 1,
            TestResult::Error { .. } => invalid += 1,
        }
        // A known entry whose own case agrees with the model: the implementation fixed it.
        let mut notes = notes;
        if matches!(result, TestResult::Passed) && !notes.iter().any(|n| n.starts_with("known")) {
            let here = file.canonicalize().ok();
            for (id, case) in &entry_cases {
                if here.is_some() && *case == here {
                    notes.push(format!("stale known entry {id}: its case agrees with the model now (fixed?)"));
                    stale_entries += 1;
                }
            }
        }
        known += usize::from(notes.iter().any(|n| n.starts_with("known divergence")));
        known_entries += usize::from(notes.iter().any(|n| n.starts_with("known difference")));
        stale += usize::from(notes.iter().any(|n| n.starts_with("stale:")));
        let shown = corpus::display_path(file);
        if matches!(result, TestResult::Passed) && !args.quiet {
            writeln!(out, "ok      {shown}")?;
        }
        for n in &notes {
            writeln!(out, "        {shown}: {n}")?;
        }
        let path = Path::new(&shown);
        results.push(TestCase {
            suite: path.parent().map_or_else(String::new, |p| p.display().to_string()),
            name: path.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
            file: shown.clone(),
            secs: case_started.elapsed().as_secs_f64(),
            result,
            notes,
        });
    }
    let secs = started.elapsed().as_secs_f64();
    let passed = results.len() - failed - invalid;
    let mut notes = Vec::new();
    if known > 0 {
        notes.push(format!("{known} known divergences"));
    }
    if known_entries > 0 {
        notes.push(format!("{known_entries} known differences of the implementation"));
    }
    writeln!(
        out,
        "replay: {} cases against {} as {}: {passed} passed{}, {failed} failed, {invalid} invalid{}{} ({secs:.1}s)",
        results.len(),
        judge.interpreter,
        judge.profile.describe(),
        if notes.is_empty() { String::new() } else { format!(" ({})", notes.join(", ")) },
        if stale > 0 { format!("; {stale} recorded traces are stale against the model") } else { String::new() },
        if stale_entries > 0 { format!("; {stale_entries} known entries are stale") } else { String::new() },
    )?;
    if let Some(kept) = exec.finish() {
        writeln!(out, "builds kept in {}", kept.display())?;
    }
    if !triage.not_applicable.is_empty() {
        writeln!(out, "        {} known entries do not apply to {}", triage.not_applicable.len(), judge.interpreter)?;
    }
    if let Some(path) = &args.junit {
        let xml = junit::render("withstand replay", &results, secs);
        corpus::write_atomic(path, &xml).with_context(|| format!("cannot write {}", path.display()))?;
        writeln!(out, "junit report: {}", path.display())?;
    }
    if let Some(err) = gave_up {
        return Err(err);
    }
    Ok(if invalid > 0 {
        ExitCode::from(2)
    } else if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The cases built with `--compile`, each by its file: its batch and its place in it.
struct Prebuilt {
    batches: Vec<Prepared>,
    by_file: std::collections::HashMap<std::path::PathBuf, (usize, usize)>,
}

impl Prebuilt {
    fn get(&self, file: &Path) -> Option<(Option<&str>, Option<&Failure>)> {
        let &(b, i) = self.by_file.get(file)?;
        let p = &self.batches[b];
        Some((p.requests[i].as_deref(), p.failures[i].as_ref()))
    }
}

/// With `--compile`, builds every valid case, `--batch` at a time (invalid ones are reported
/// when they are replayed).
fn prebuild(
    exec: &Exec,
    files: &[std::path::PathBuf],
    capabilities: oracle::capability::Capabilities,
) -> anyhow::Result<Prebuilt> {
    let mut res = Prebuilt { batches: Vec::new(), by_file: Default::default() };
    if exec.toolchain().is_none() {
        return Ok(res);
    }
    let cases: Vec<Case> = files.iter().filter_map(|f| corpus::load(f).ok()).collect();
    let size = exec.batch_size(1) as usize;
    for chunk in cases.chunks(size.max(1)) {
        let programs: Vec<&oracle::ir::Program> = chunk.iter().map(|c| &c.program).collect();
        let prepared = exec.prepare(&programs, capabilities)?;
        for (i, c) in chunk.iter().enumerate() {
            res.by_file.insert(c.path.clone(), (res.batches.len(), i));
        }
        res.batches.push(prepared);
    }
    Ok(res)
}

/// Runs one case; its result and notes (a known divergence, a stale recording). `pre` is the
/// case's build with `--compile`: the request that runs it, or how the build failed.
fn replay_one(
    judge: &mut Judge,
    exec: &Exec,
    pre: Option<(Option<&str>, Option<&Failure>)>,
    triage: &Triage,
    case: &Case,
    out: &mut dyn Write,
) -> anyhow::Result<(TestResult, Vec<String>)> {
    let shown = corpus::display_path(&case.path);
    let mut notes = Vec::new();
    let lacks = judge.lacks(&case.program);
    if !lacks.is_empty() {
        let names: Vec<&str> = lacks.iter().map(|c| c.name()).collect();
        notes.push(format!("not run: the interpreter lacks {}", names.join(", ")));
        return Ok((TestResult::Passed, notes));
    }
    let judged = match pre {
        Some((request, failure)) => {
            exec.judge_prepared(&mut judge.worker, &case.program, judge.profile, judge.messages, request, failure)?
        }
        None => judge.judge(&case.program).context("the interpreter could not be restarted")?,
    };
    let Some(judged) = judged else {
        notes.push(format!("not run: the model does not predict it on {}", judge.profile));
        return Ok((TestResult::Passed, notes));
    };
    // Is the recording for this profile still what the model predicts?
    match case.recorded(judge.profile) {
        Ok(Some(lines)) => {
            if lines != judged.prediction.trace.lines() && case.header.known_divergence.is_none() {
                notes.push(format!(
                    "stale: the recorded {} trace differs from the model; re-record with `{}`",
                    judge.profile,
                    corpus::regenerate_command(&case.path)
                ));
            }
        }
        Ok(None) => {}
        Err(e) => notes.push(format!("stale: {e}")),
    }
    let result = match (judged.verdict, &case.header.known_divergence) {
        (Verdict::Agrees(_), None) => TestResult::Passed,
        (Verdict::Fails(Failure::Divergence(_)), Some(reason)) => {
            notes.push(format!("known divergence: {reason}"));
            TestResult::Passed
        }
        (Verdict::Agrees(_), Some(reason)) => {
            let message = format!(
                "the known divergence ({reason}) is gone: {} agrees with the model; remove the `known-divergence` line and re-record",
                judge.interpreter
            );
            writeln!(out, "FAIL    {shown}: {message}")?;
            TestResult::Failure { kind: "known-divergence-gone".to_string(), message: message.clone(), text: message }
        }
        (Verdict::Fails(failure), None) if triage.classify(&Facts::of(&failure)).known.is_some() => {
            let id = triage.classify(&Facts::of(&failure)).known.unwrap_or_default();
            let summary = triage.entry(&id).map_or_else(String::new, |e| e.summary.clone());
            notes.push(format!("known difference {id}: {summary}"));
            TestResult::Passed
        }
        (Verdict::Fails(failure), _) => {
            writeln!(out, "FAIL    {shown}: {}", failure.key())?;
            match &failure {
                Failure::Divergence(d) => print_diff(out, d),
                other => writeln!(out, "{}", indent(&clip_lines(&other.details(), MAX_PRINTED_LINES)))?,
            }
            let details = crate::limits::clip_file(&failure.details());
            TestResult::Failure {
                kind: failure.kind().word().to_string(),
                message: format!("{} ({} as {})", failure.key(), judge.interpreter, judge.profile),
                text: details,
            }
        }
    };
    Ok((result, notes))
}
