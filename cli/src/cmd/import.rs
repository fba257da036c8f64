//! `withstand import`: libFuzzer artifacts to corpus cases. Each artifact is read the way the
//! fuzz targets read it (`generators::fuzz_input`), judged on the interpreter as the
//! `differential` target judges it, shrunk while it fails the same way, written to
//! `corpus/<topic>/<signature>.case`, and recorded.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use generators::fuzz_input::program_from_fuzz_input;
use oracle::compare::Messages;
use oracle::corpus::{self, Case, Origin};
use oracle::ir::Program;
use oracle::profile::Profile;

use crate::cmd::record::{record, Recording};
use crate::cmd::run::parse_duration;
use crate::findings::{self, today};
use crate::judge::{Judge, JudgeConfig, Verdict};
use crate::shrink::{self, ShrinkConfig};

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
    /// The interpreter to judge, shrink against and record from.
    #[arg(long, default_value = "python3")]
    python: PathBuf,
    /// The corpus topic: cases go to <corpus>/<topic>/.
    #[arg(long, default_value = "regressions")]
    topic: String,
    /// The corpus directory.
    #[arg(long, default_value = "corpus")]
    corpus: PathBuf,
    /// Judge the interpreter as this profile instead of the one it reports, e.g. cpython-3.11.
    #[arg(long)]
    target: Option<Profile>,
    /// Per-program time limit before the interpreter is declared hung.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    timeout: Duration,
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
    // Messages are compared exactly, as the `differential` fuzz target compares them.
    let mut judge = Judge::start(&JudgeConfig {
        python: args.python.clone(),
        target: args.target,
        messages: Messages::Exact,
        timeout: args.timeout,
    })?;
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
    let data = fs::read(artifact).with_context(|| format!("cannot read {shown}"))?;
    let Some(program) = program_from_fuzz_input(&data) else {
        eprintln!("{shown}: not a withstand program (program text that does not parse)");
        return Ok(false);
    };
    let kind = match judge.judge(&program)? {
        Verdict::Agrees => {
            eprintln!(
                "{shown}: {} does what the model predicts ({}): nothing to import (an artifact of the model or roundtrip target is a crash of withstand itself: reproduce it with `cargo +nightly fuzz run TARGET ARTIFACT`)",
                judge.interpreter, judge.profile
            );
            return Ok(false);
        }
        Verdict::Fails(kind) => kind,
    };
    println!("{shown}: {}; shrinking ({} lines)...", kind.signature(), shrink::program_lines(&program));

    let mut run = |candidate: &Program| judge.failure(candidate);
    let never = || false;
    let config = ShrinkConfig { time: args.shrink_time, stop: &never };
    let shrunk = shrink::shrink(&program, &kind, &mut run, &config, &mut |_, _, _| Ok(()))?;
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
    let mut header = findings::case_header(&shrunk.program, &shrunk.kind, judge.profile, &judge.interpreter, origin);
    let what = header.description.split("; found by").next().unwrap_or_default().to_string();
    header.description = format!("{what}; found by the differential fuzz target");

    let dir = args.corpus.join(&args.topic);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = match free_path(&dir, &slug(&shrunk.kind.signature()), &shrunk.program) {
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

/// A file name from a signature: lowercase words joined by `-`, at most 60 characters. For a
/// message divergence, the event and the message the model expects
/// (`mn-exit-message-no-active-exception-to-re-raise`), not the whole masked line.
fn slug(signature: &str) -> String {
    let short = match signature.split_once(": message ") {
        Some((kind, rest)) => {
            let message = rest.split('"').nth(1).unwrap_or(rest);
            format!("{kind} message {message}")
        }
        None => signature.to_string(),
    };
    let mut res = String::new();
    for c in short.chars() {
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

    #[test]
    fn slugs() {
        assert_eq!(slug("expected MN.__exit__ | observed => return"), "expected-mn-exit-observed-return");
        assert_eq!(
            slug("MN.__exit__: message MN.__exit__ exc=RuntimeError(\"No active exception to re-raise\")#N vs MN.__exit__ exc=RuntimeError(\"x\")#N"),
            "mn-exit-message-no-active-exception-to-re-raise"
        );
        assert_eq!(slug("=> raise TypeError: exc_info differ"), "raise-typeerror-exc-info-differ");
        assert_eq!(slug("§"), "divergence");
    }
}
