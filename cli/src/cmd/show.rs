//! `withstand show`: a program and the trace the model predicts for it.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use generators::{from_seed, GenConfig};
use oracle::capability::Capabilities;
use oracle::model::predict;
use oracle::profile::Profile;
use oracle::render;

use crate::args::parse_seed;
use crate::input::read_program;

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
    /// Generate (for a seed) and mask the predicted trace for these capabilities, as a campaign
    /// against an implementation that has only them did (its finding's README gives them)
    /// [default: all].
    #[arg(long)]
    capabilities: Option<Capabilities>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let path = Path::new(&args.case);
    let program = if path.exists() {
        read_program(path)?
    } else {
        let seed = parse_seed(&args.case).map_err(|e| anyhow::format_err!("neither a file nor a seed: {e}"))?;
        from_seed(seed, &GenConfig::full().within(args.capabilities.unwrap_or(Capabilities::FULL)))
    };
    // Masked as a campaign for those capabilities compared it.
    let prediction = predict(&program, args.target).within(args.capabilities.unwrap_or(Capabilities::FULL));
    let mut out = std::io::stdout().lock();
    let text = if args.standalone { render::standalone(&program) } else { render::body(&program) };
    writeln!(out, "{text}")?;
    writeln!(out, "# predicted trace ({})", args.target)?;
    for line in prediction.trace.lines() {
        writeln!(out, "{line}")?;
    }
    Ok(ExitCode::SUCCESS)
}
