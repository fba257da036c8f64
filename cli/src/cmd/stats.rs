//! `withstand stats`: how often each rule of the model fires over generated programs, so that
//! a rule no program reaches is visible; for an implementation's capabilities (`--python NAME`
//! probes them, `--capabilities` names them), over the programs a campaign against it generates.

use std::io::Write;
use std::process::ExitCode;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use generators::{case_seed, from_seed, GenConfig};
use oracle::capability::Capabilities;
use oracle::judge::{Judge, JudgeConfig};
use oracle::model::{predict, Coverage, Rule};
use oracle::profile::Profile;
use oracle::runner::Transport;
use oracle::verdict::Messages;

/// Rule coverage of N generated programs (needs no interpreter, but for --python).
#[derive(clap::Args)]
pub struct Args {
    /// How many programs.
    #[arg(long, default_value_t = 1000)]
    cases: u64,
    /// Campaign seed.
    #[arg(long, default_value = "0", value_parser = crate::args::parse_seed)]
    seed: u64,
    /// The profile to predict for [default: cpython-3.11, or the profile of --python].
    #[arg(long)]
    target: Option<Profile>,
    /// Generate for what this interpreter has: it is started once to probe its capabilities
    /// (and its profile, unless --target says otherwise).
    #[arg(long, conflicts_with = "capabilities")]
    python: Option<PathBuf>,
    /// Generate for these capabilities: `all`, `none`, a list of names (`contextlib.suppress,__context__`)
    /// or of names taken away (`-contextlib.ExitStack,-__context__`) [default: all].
    #[arg(long)]
    capabilities: Option<Capabilities>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (target, capabilities, against) = match &args.python {
        Some(python) => {
            let config = JudgeConfig {
                python: crate::cmd::impls::resolve(python),
                target: args.target,
                messages: Messages::Exact,
                timeout: Duration::from_secs(10),
                transport: Transport::Auto,
                start_timeout: Duration::from_secs(30),
            };
            let judge = Judge::start(&config).context("cannot probe the interpreter")?;
            (judge.profile, judge.capabilities, format!(", for {}", judge.interpreter))
        }
        None => (
            args.target.unwrap_or(Profile::CPYTHON_3_11),
            args.capabilities.unwrap_or(Capabilities::FULL),
            String::new(),
        ),
    };
    let config = GenConfig::full().within(capabilities);
    let mut total = Coverage::default();
    let mut unpredictable = 0;
    for i in 0..args.cases {
        let program = from_seed(case_seed(args.seed, i), &config);
        let prediction = predict(&program, target);
        total.merge(&prediction.coverage);
        unpredictable += u64::from(prediction.unpredictable.is_some());
    }
    let mut out = std::io::stdout().lock();
    let caps =
        if capabilities == Capabilities::FULL { String::new() } else { format!(", capabilities: {capabilities}") };
    writeln!(out, "rule coverage over {} programs ({}{against}{caps}):", args.cases, target.describe())?;
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
