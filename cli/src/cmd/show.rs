//! `withstand show`: a program and the trace the model predicts for it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use generators::{from_seed, GenConfig};
use oracle::ir::Program;
use oracle::model::predict;
use oracle::profile::Profile;
use oracle::render;

/// Print a program and its predicted trace.
#[derive(clap::Args)]
pub struct Args {
    /// A case seed (decimal or 0x-hex), as `run` prints it; or a file: a `.case`, a `program.py`
    /// or other standalone program, or a finding directory.
    case: String,
    /// The profile to predict for.
    #[arg(long, default_value = "cpython-3.11")]
    target: Profile,
    /// Print the standalone program (prelude included) instead of the body only.
    #[arg(long)]
    standalone: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let path = Path::new(&args.case);
    let program = if path.exists() {
        read_program(path)?
    } else {
        let seed = parse_seed(&args.case).with_context(|| format!("{:?} is neither a file nor a seed", args.case))?;
        from_seed(seed, &GenConfig::for_profile(args.target))
    };
    let prediction = predict(&program, args.target);
    let mut out = std::io::stdout().lock();
    let text = if args.standalone { render::standalone(&program) } else { render::body(&program) };
    writeln!(out, "{text}")?;
    writeln!(out, "# predicted trace ({})", args.target)?;
    for line in prediction.trace.lines() {
        writeln!(out, "{line}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The program in a file (a `.case`, a standalone `.py`, a program body) or in a finding
/// directory (its `program.py`), read with `oracle::parse`. Every problem is reported, with the
/// file name and line.
pub fn read_program(path: &Path) -> anyhow::Result<Program> {
    let file: PathBuf = if path.is_dir() { path.join("program.py") } else { path.to_path_buf() };
    let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
    oracle::parse::parse(&text).map_err(|diags| {
        let lines: Vec<String> = diags
            .iter()
            .map(|d| match d.loc.line() {
                Some(n) => format!("{}:{n}: {}", file.display(), d.kind),
                None => format!("{}: {d}", file.display()),
            })
            .collect();
        anyhow::format_err!("{} is not a withstand program:\n{}", file.display(), lines.join("\n"))
    })
}

/// A seed in decimal or `0x` hex.
pub fn parse_seed(s: &str) -> anyhow::Result<u64> {
    let s = s.trim();
    let res = match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16)?,
        None => s.parse()?,
    };
    Ok(res)
}
