//! `withstand show`: a program and the trace the model predicts for it.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use generators::{from_seed, GenConfig};
use oracle::model::predict;
use oracle::profile::Profile;
use oracle::render;

/// Print a program and its predicted trace.
#[derive(clap::Args)]
pub struct Args {
    /// A case seed (decimal or 0x-hex), as `run` prints it.
    case: String,
    /// The profile to predict for.
    #[arg(long, default_value = "cpython-3.11")]
    target: Profile,
    /// Print the standalone program (prelude included) instead of the body only.
    #[arg(long)]
    standalone: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let seed = parse_seed(&args.case).with_context(|| format!("{:?} is not a seed", args.case))?;
    let program = from_seed(seed, &GenConfig::full());
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

/// A seed in decimal or `0x` hex.
pub fn parse_seed(s: &str) -> anyhow::Result<u64> {
    let s = s.trim();
    let res = match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16)?,
        None => s.parse()?,
    };
    Ok(res)
}
