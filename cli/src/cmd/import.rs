//! `withstand import`: libFuzzer artifacts to corpus cases. Each artifact is read the way the
//! fuzz targets read it (`generators::fuzz_input`), run against the interpreter, shrunk while it
//! keeps failing the same way, recorded, and written to `corpus/<topic>/<signature>.case`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use generators::fuzz_input::program_from_fuzz_input;
use oracle::compare::{compare, Messages};
use oracle::ir::Program;
use oracle::model::{predict, Rule};
use oracle::profile::Profile;
use oracle::reduce::{reduce, Budget};
use oracle::render;
use oracle::runner::{RunResult, Worker, WorkerConfig};
use oracle::trace::Trace;

use crate::cmd::run::parse_duration;

/// Turn libFuzzer artifacts (fuzz/artifacts/<target>/crash-...) into shrunk corpus cases.
#[derive(clap::Args)]
#[command(
    after_help = "Exit status: 0 every artifact imported, 1 some artifact is no program or no longer fails, 2 usage or infrastructure error."
)]
pub struct Args {
    /// The artifacts: files in either fuzz-input form (program text after a `#withstand-program`
    /// line, or bytes for the generator).
    #[arg(required = true)]
    artifacts: Vec<PathBuf>,
    /// The interpreter to run and record against.
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

/// Everything an artifact is judged by.
struct Judge {
    worker: Worker,
    profile: Profile,
    interpreter: String,
}

/// What running a program showed: agreement, or a failure with its signature.
enum Verdict {
    Agrees,
    Fails { signature: String, observed: Option<Trace> },
}

impl Judge {
    /// Runs `program` and compares, exactly as the `differential` fuzz target does.
    fn judge(&mut self, program: &Program) -> anyhow::Result<Verdict> {
        let result = self.worker.run(&render::body(program)).context("the interpreter could not be restarted")?;
        Ok(match result {
            RunResult::Completed(observed) => {
                let expected = predict(program, self.profile).trace;
                match compare(&expected, &observed, Messages::Exact) {
                    None => Verdict::Agrees,
                    Some(d) => Verdict::Fails { signature: d.signature, observed: Some(observed) },
                }
            }
            RunResult::Timeout { .. } => Verdict::Fails { signature: "interpreter hang".to_string(), observed: None },
            RunResult::Crashed { status, .. } => {
                Verdict::Fails { signature: format!("interpreter crash ({status})"), observed: None }
            }
            RunResult::Garbage { .. } => {
                Verdict::Fails { signature: "interpreter answered garbage".to_string(), observed: None }
            }
        })
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = WorkerConfig { python: args.python.clone(), prelude: render::PRELUDE.to_string(), timeout: args.timeout };
    let worker = Worker::spawn(&config).context("cannot start a worker")?;
    let info = worker.info().clone();
    let profile = match args.target {
        Some(p) => p,
        None => Profile::for_interpreter(&info.implementation, (info.version.0, info.version.1))
            .map_err(|e| anyhow::format_err!("{e}"))?,
    };
    let interpreter = format!(
        "{} {}.{}.{} ({})",
        info.implementation,
        info.version.0,
        info.version.1,
        info.version.2,
        args.python.display()
    );
    let mut judge = Judge { worker, profile, interpreter };
    let mut all_imported = true;
    for artifact in &args.artifacts {
        match import_one(&args, &mut judge, artifact)? {
            Some(path) => println!("{}: imported as {}", artifact.display(), path.display()),
            None => all_imported = false,
        }
    }
    Ok(if all_imported { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Imports one artifact; `None` (with the reason printed) when it is not a failing program.
fn import_one(args: &Args, judge: &mut Judge, artifact: &Path) -> anyhow::Result<Option<PathBuf>> {
    let data = fs::read(artifact).with_context(|| format!("cannot read {}", artifact.display()))?;
    let Some(program) = program_from_fuzz_input(&data) else {
        eprintln!("{}: not a withstand program (text form that does not parse)", artifact.display());
        return Ok(None);
    };
    let signature = match judge.judge(&program)? {
        Verdict::Agrees => {
            eprintln!(
                "{}: model and {} agree on it as {}: nothing to import (an artifact of the model or roundtrip target reproduces with `cargo +nightly fuzz run TARGET ARTIFACT`)",
                artifact.display(),
                judge.interpreter,
                judge.profile
            );
            return Ok(None);
        }
        Verdict::Fails { signature, .. } => signature,
    };

    // Shrink while the candidate fails with the same signature (the same bug, not another one).
    let started = Instant::now();
    let deadline = started + args.shrink_time;
    let should_stop = || Instant::now() >= deadline;
    let mut infra_error = None;
    let reduced = {
        let mut interesting = |candidate: &Program| match judge.judge(candidate) {
            Ok(Verdict::Fails { signature: s, .. }) => s == signature,
            Ok(Verdict::Agrees) => false,
            Err(err) => {
                infra_error.get_or_insert(err);
                false
            }
        };
        reduce(&program, &Budget { max_attempts: 100_000, should_stop: &should_stop }, &mut interesting, &mut |_| {})
    };
    if let Some(err) = infra_error {
        return Err(err);
    }
    let shrunk = reduced.program;

    // Record: one more run of the shrunk program, whose trace goes into the case.
    let observed = match judge.judge(&shrunk)? {
        Verdict::Fails { signature: s, observed } if s == signature => observed,
        _ => anyhow::bail!("{}: the shrunk program no longer fails the same way (a flaky interpreter?)", artifact.display()),
    };
    let lines_before = render::body(&program).lines().count();
    let lines_after = render::body(&shrunk).lines().count();
    eprintln!(
        "{}: {signature}; shrunk from {lines_before} to {lines_after} lines in {:.1}s ({} attempts{})",
        artifact.display(),
        started.elapsed().as_secs_f64(),
        reduced.attempts,
        if reduced.complete { "" } else { ", budget ran out" }
    );

    let name = artifact.file_name().map_or_else(|| "artifact".to_string(), |n| n.to_string_lossy().into_owned());
    let text = case_text(&shrunk, &signature, &name, judge, observed.as_ref());
    let dir = args.corpus.join(&args.topic);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = free_path(&dir, &slug(&signature), &text)?;
    fs::write(&path, &text).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Some(path))
}

/// The case file: a header of `# key: value` lines, then the program as `render::body` prints it.
///
/// TODO(issue 5): write through `oracle::corpus` once it exists, so that the format has one
/// owner; this writes the format-1 header the parser reads as comments.
fn case_text(program: &Program, signature: &str, artifact: &str, judge: &Judge, observed: Option<&Trace>) -> String {
    let prediction = predict(program, judge.profile);
    let rules: Vec<String> = Rule::ALL
        .iter()
        .filter(|r| prediction.coverage.fired(**r))
        .map(|r| format!("§{} {}", r.section(), r.name()))
        .collect();
    let mut res = String::new();
    res.push_str("# withstand case, format 1\n");
    res.push_str(&format!(
        "# description: the model and {} disagree at {} (found by the differential fuzz target)\n",
        judge.interpreter,
        signature.split(':').next().unwrap_or(signature)
    ));
    res.push_str(&format!("# signature: {signature}\n"));
    res.push_str(&format!("# rule: {}\n", if rules.is_empty() { "-".to_string() } else { rules.join(", ") }));
    res.push_str(&format!(
        "# origin: libFuzzer artifact {artifact}, shrunk by withstand import, withstand {}, {}, {}\n",
        env!("CARGO_PKG_VERSION"),
        judge.interpreter,
        today()
    ));
    res.push_str(&format!("# profile: {}\n", judge.profile));
    if let Some(trace) = observed {
        res.push_str(&format!("# recorded ({}):\n", judge.interpreter));
        for line in trace.lines() {
            res.push_str(&format!("#   {line}\n"));
        }
    }
    res.push('\n');
    res.push_str(&render::body(program));
    res
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

/// `dir/<slug>.case`, or `dir/<slug>-2.case`, ... if that name holds another case; the same
/// path again if it holds exactly this text.
fn free_path(dir: &Path, slug: &str, text: &str) -> anyhow::Result<PathBuf> {
    for n in 1.. {
        let name = if n == 1 { format!("{slug}.case") } else { format!("{slug}-{n}.case") };
        let path = dir.join(name);
        match fs::read_to_string(&path) {
            Ok(existing) if existing == text => return Ok(path),
            Ok(_) => continue,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(path),
            Err(err) => return Err(err).with_context(|| format!("cannot read {}", path.display())),
        }
    }
    unreachable!("the loop returns")
}

/// Today's date (UTC) as YYYY-MM-DD.
fn today() -> String {
    let days = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() / 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
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
