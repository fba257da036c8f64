//! `withstand stats`: how often each rule of the model fires over generated programs, so that
//! a rule no program reaches is visible.

use std::io::Write;
use std::process::ExitCode;

use generators::{case_seed, from_seed, GenConfig};
use oracle::model::{predict, Coverage, Rule};
use oracle::profile::Profile;

/// Rule coverage of N generated programs (needs no interpreter).
#[derive(clap::Args)]
pub struct Args {
    /// How many programs.
    #[arg(long, default_value_t = 1000)]
    cases: u64,
    /// Campaign seed.
    #[arg(long, default_value = "0", value_parser = crate::args::parse_seed)]
    seed: u64,
    /// The profile to predict for.
    #[arg(long, default_value = "cpython-3.11")]
    target: Profile,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = GenConfig::full();
    let mut total = Coverage::default();
    let mut unpredictable = 0;
    for i in 0..args.cases {
        let program = from_seed(case_seed(args.seed, i), &config);
        let prediction = predict(&program, args.target);
        total.merge(&prediction.coverage);
        unpredictable += u64::from(prediction.unpredictable.is_some());
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "rule coverage over {} programs ({}):", args.cases, args.target)?;
    let mut never = 0;
    for rule in Rule::ALL {
        let n = total.count(*rule);
        let mark = if n == 0 { "  NEVER" } else { "" };
        if n == 0 {
            never += 1;
        }
        writeln!(out, "  §{:<6} {:<36} {n:>8}{mark}", rule.section(), rule.name())?;
    }
    writeln!(out, "{} of {} rules fired", Rule::ALL.len() - never, Rule::ALL.len())?;
    if unpredictable > 0 {
        writeln!(
            out,
            "{unpredictable} programs never end on a correct Python or depend on the garbage collector (not run)"
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
