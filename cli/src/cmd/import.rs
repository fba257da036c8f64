//! `withstand import`: libFuzzer artifacts to corpus cases. Each artifact is read the way the
//! fuzz targets read it (`generators::fuzz_input`), judged on the interpreter as the
//! `differential` target judges it, shrunk while it fails the same way, written to
//! `corpus/<topic>/<signature>.case`, and recorded.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use generators::fuzz_input::{program_from_fuzz_input, TEXT_HEADER};
use oracle::corpus::{self, Case, Origin};
use oracle::ir::Program;
use oracle::judge::Judge;
use oracle::verdict::{Failure, Signature};

use crate::args::{parse_duration, JudgeArgs};
use crate::cmd::record::{record, Recording};
use crate::findings::{self, today};
use crate::input::{parse_program, read_bytes};
use crate::shrink::{self, program_lines, ShrinkConfig};

/// Turn libFuzzer artifacts (fuzz/artifacts/differential/crash-...) into shrunk, recorded corpus cases.
#[derive(clap::Args)]
#[command(
    after_help = "Exit status: 0 every artifact imported and recorded, 1 some artifact is no program, no longer fails, or was imported but not recorded (the model disagrees with the interpreter: fix the model, then `withstand record` the case), 2 usage or infrastructure error."
)]
pub struct Args {
    /// The artifacts, in either fuzz-input form: program text after a `#withstand-program` line,
    /// or bytes for the generator.
    #[arg(required = true)]
    artifacts: Vec<PathBuf>,
    /// The interpreter to judge, shrink against and record from, and how it is judged (as the
    /// `differential` fuzz target does: messages exact, unless told otherwise).
    #[command(flatten)]
    judge: JudgeArgs,
    /// The corpus topic: cases go to <corpus>/<topic>/.
    #[arg(long, default_value = "regressions")]
    topic: String,
    /// The corpus directory.
    #[arg(long, default_value = "corpus")]
    corpus: PathBuf,
    /// How long shrinking one artifact may take; the smallest program so far is kept.
    #[arg(long, value_parser = parse_duration, default_value = "60s")]
    shrink_time: Duration,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let topic_ok = !args.topic.is_empty()
        && !args.topic.starts_with('-')
        && args.topic.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !topic_ok {
        anyhow::bail!("--topic {:?} must be kebab-case: lowercase letters, digits and '-'", args.topic);
    }
    let mut judge = Judge::start(&args.judge.config())?;
    let mut all_done = true;
    for artifact in &args.artifacts {
        all_done &= import_one(&args, &mut judge, artifact)?;
    }
    Ok(if all_done { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Imports one artifact; false (with the reason printed) when it is not a failing program or its
/// case could not be recorded.
fn import_one(args: &Args, judge: &mut Judge, artifact: &Path) -> anyhow::Result<bool> {
    let shown = artifact.display();
    let data = read_bytes(artifact)?;
    let Some(program) = program_from_fuzz_input(&data) else {
        // Only program text can fail to be a program: say where, as file:line (the header line
        // is a comment to the parser, so the lines are the file's).
        let why = match std::str::from_utf8(&data) {
            Ok(text) => match parse_program(text, artifact) {
                Err(e) => format!("{e:#}"),
                Ok(_) => format!("{shown}: not a withstand program"),
            },
            Err(e) => format!(
                "{shown}: not a withstand program: program text after `{}` that is not UTF-8 ({e})",
                TEXT_HEADER.trim()
            ),
        };
        eprintln!("{why}");
        return Ok(false);
    };
    let judged = judge.failure(&program).context("the interpreter could not be restarted")?;
    let (prediction, failure) = match judged {
        None => {
            eprintln!(
                "{shown}: {} does what the model predicts ({}): nothing to import (an artifact of the model or roundtrip target is a crash of withstand itself: reproduce it with `cargo +nightly fuzz run TARGET ARTIFACT`)",
                judge.interpreter, judge.profile
            );
            return Ok(false);
        }
        Some(it) => it,
    };
    println!("{shown}: {}; shrinking ({} lines)...", failure.key(), program_lines(&program));

    let mut run = |candidate: &Program| judge.failure(candidate).context("the interpreter could not be restarted");
    let never = || false;
    let config = ShrinkConfig { time: args.shrink_time, stop: &never };
    let shrunk = shrink::shrink(&program, &prediction, &failure, &mut run, &config, &mut |_, _, _, _| Ok(()))?;
    let r = &shrunk.report;
    println!(
        "{shown}: shrunk {} → {} lines in {:.1}s ({} attempts; {})",
        r.lines_before,
        r.lines_after,
        r.secs,
        r.attempts,
        r.status.describe()
    );

    let name = artifact.file_name().map_or_else(|| "artifact".to_string(), |n| n.to_string_lossy().into_owned());
    let origin = Origin::Artifact(format!(
        "{name}, shrunk by withstand import, withstand {}, {}, {}",
        env!("CARGO_PKG_VERSION"),
        judge.interpreter,
        today()
    ));
    let mut header =
        findings::case_header(&shrunk.prediction.coverage, &shrunk.failure, judge.profile, &judge.interpreter, origin);
    let what = header.description.split("; found by").next().unwrap_or_default().to_string();
    header.description = format!("{what}; found by the differential fuzz target");

    let dir = args.corpus.join(&args.topic);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = match free_path(&dir, &slug(&shrunk.failure), &shrunk.program) {
        Slot::Free(path) => path,
        Slot::Same(path) => {
            println!("{shown}: already in the corpus as {}", path.display());
            return Ok(true);
        }
    };
    let case = Case { path, header, program: shrunk.program };
    corpus::write_atomic(&case.path, &corpus::case_text(&case.header, &case.program))
        .with_context(|| format!("cannot write {}", case.path.display()))?;
    println!("{shown}: imported as {}", case.path.display());
    Ok(match record(judge, &case, false)? {
        Recording::Written | Recording::Unchanged => true,
        Recording::Refused => {
            eprintln!(
                "{} is imported but not recorded: once the model is fixed (or the case marked `# known-divergence: <reason>`), run `{}`",
                case.path.display(),
                corpus::regenerate_command(&case.path)
            );
            false
        }
    })
}

/// A file name for a failure: for a divergence, its root cause (`exit-after-return-presence-exit`,
/// `lacks-exit-message-handler`), else the kind of failure (`hang`); lowercase words joined by
/// `-`, at most 60 characters.
fn slug(failure: &Failure) -> String {
    let words = match failure.signature() {
        Some(Signature { rule, differs, kind, .. }) => {
            let rule = rule.map_or_else(|| "no-rule".to_string(), |r| r.name());
            format!("{rule} {differs} {kind}")
        }
        None => failure.kind().word().to_string(),
    };
    let mut res = String::new();
    for c in words.chars() {
        if c.is_ascii_alphanumeric() {
            res.push(c.to_ascii_lowercase());
        } else if !res.ends_with('-') && !res.is_empty() {
            res.push('-');
        }
    }
    let mut res: String = res.chars().take(60).collect();
    while res.ends_with('-') {
        res.pop();
    }
    if res.is_empty() {
        res.push_str("divergence");
    }
    res
}

/// Where a new case goes.
enum Slot {
    /// A name no case has.
    Free(PathBuf),
    /// A case with this very program is already there.
    Same(PathBuf),
}

/// `dir/<slug>.case`, or `dir/<slug>-2.case`, ... if that name holds another program.
fn free_path(dir: &Path, slug: &str, program: &Program) -> Slot {
    for n in 1.. {
        let name =
            if n == 1 { format!("{slug}.{}", corpus::CASE_EXT) } else { format!("{slug}-{n}.{}", corpus::CASE_EXT) };
        let path = dir.join(name);
        if !path.exists() {
            return Slot::Free(path);
        }
        if corpus::load(&path).is_ok_and(|c| c.program == *program) {
            return Slot::Same(path);
        }
    }
    unreachable!("the loop returns")
}

#[cfg(test)]
mod tests {
    use super::slug;
    use oracle::verdict::Failure;

    #[test]
    fn slugs_name_the_root_cause_or_the_kind() {
        assert_eq!(slug(&Failure::Hang { stderr_tail: String::new() }), "hang");
        assert_eq!(slug(&Failure::Crash { status: "killed by signal 11".into(), stderr_tail: String::new() }), "crash");
    }
}
