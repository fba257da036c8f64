//! `withstand corpus add`: promote a finding into the regression corpus with one command.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use oracle::corpus::{self, Case};
use oracle::judge::Judge;

use crate::args::InterpreterArgs;
use crate::cmd::record::{record, Recording};

/// Manage the regression corpus.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    Add(AddArgs),
}

/// Promote a finding into the corpus: its reduced program (or the program, if it was not
/// shrunk) becomes corpus/<topic>/<name>.case, recorded from the interpreter.
#[derive(clap::Args)]
#[command(
    after_help = "Exit status: 0 added and recorded, 1 added but the recording was refused (the model disagrees with the interpreter: fix the model, then `withstand record` the case), 2 usage or infrastructure error."
)]
struct AddArgs {
    /// A finding directory, as `withstand run` writes them.
    finding: PathBuf,
    /// The case name, kebab-case: the rule or root cause (`exit-skipped-on-return`,
    /// `issue-17-exit-skipped-on-return`, `pypy-...`).
    #[arg(long)]
    name: String,
    /// The topic directory under the corpus.
    #[arg(long, default_value = "regressions")]
    topic: String,
    /// The corpus directory.
    #[arg(long, default_value = "corpus")]
    corpus: PathBuf,
    /// The one-line description [default: the one the finding's case file has].
    #[arg(long)]
    description: Option<String>,
    /// The interpreter to record from.
    #[command(flatten)]
    interpreter: InterpreterArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Add(a) => add(a),
    }
}

fn add(args: AddArgs) -> anyhow::Result<ExitCode> {
    for (what, value) in [("name", &args.name), ("topic", &args.topic)] {
        let ok = !value.is_empty()
            && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !value.starts_with('-');
        if !ok {
            anyhow::bail!("--{what} {value:?} must be kebab-case: lowercase letters, digits and '-'");
        }
    }
    let source = ["reduced.case", "program.case"]
        .iter()
        .map(|f| args.finding.join(f))
        .find(|p| p.exists())
        .with_context(|| {
            format!("{} is not a finding directory (it has no reduced.case or program.case)", args.finding.display())
        })?;
    let case = corpus::load(&source).map_err(|errors| {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| crate::limits::clip_message(&e.to_string(), crate::limits::MAX_PRINTED_LINE_BYTES))
            .collect();
        anyhow::format_err!("{} is not a valid case:\n{}", source.display(), lines.join("\n"))
    })?;
    let mut header = case.header;
    if let Some(d) = args.description {
        header.description = d;
    }
    let dir = args.corpus.join(&args.topic);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(format!("{}.{}", args.name, corpus::CASE_EXT));
    if path.exists() {
        anyhow::bail!("{} already exists; pick another --name", path.display());
    }
    let text = corpus::case_text(&header, &case.program);
    corpus::write_atomic(&path, &text).with_context(|| format!("cannot write {}", path.display()))?;
    outln!("added {} (from {})", path.display(), source.display());
    let case = Case { path, header, program: case.program };
    let mut judge = Judge::start(&args.interpreter.native())?;
    match record(&mut judge, &case, false)? {
        Recording::Written | Recording::Unchanged => Ok(ExitCode::SUCCESS),
        Recording::Refused => {
            eprintln!(
                "{} is added but not recorded: once the model is fixed, run `{}`",
                case.path.display(),
                corpus::regenerate_command(&case.path)
            );
            Ok(ExitCode::from(1))
        }
    }
}
