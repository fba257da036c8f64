//! `withstand gen`: print generated programs.

use std::io::Write;
use std::process::ExitCode;

use generators::{case_seed, from_seed, GenConfig};
use oracle::render;

/// Print generated programs (the program body; `show` prints one with its predicted trace).
#[derive(clap::Args)]
pub struct Args {
    /// Campaign seed; case i uses the same seed `run` would give it.
    #[arg(long, default_value = "0", value_parser = crate::args::parse_seed)]
    seed: u64,
    /// How many programs.
    #[arg(long, default_value_t = 1)]
    count: u64,
    /// One JSON string per line (the program body), for scripts such as scripts/floor.py.
    #[arg(long)]
    jsonl: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = GenConfig::full();
    let mut out = std::io::stdout().lock();
    for i in 0..args.count {
        let seed = case_seed(args.seed, i);
        let program = from_seed(seed, &config);
        if args.jsonl {
            writeln!(out, "{}", serde_json::to_string(&render::body(&program))?)?;
            continue;
        }
        writeln!(out, "# case {i}, seed {seed:#018x}")?;
        writeln!(out, "{}", render::body(&program))?;
    }
    Ok(ExitCode::SUCCESS)
}
