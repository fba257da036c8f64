//! `withstand`: generate programs full of context managers, predict what a correct Python must
//! do with them, run them on a real interpreter, and report every difference.

/// `println!` that returns the error instead of panicking, so that a closed pipe
/// (`withstand replay | head`) ends the command quietly with exit status 0.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)?
    }};
}

mod args;
mod cmd;
mod findings;
mod input;
mod junit;
mod limits;
mod report;
mod shrink;
mod signals;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Differential tester for Python's `with` statement.
#[derive(Parser)]
#[command(name = "withstand", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Run(cmd::run::Args),
    Gen(cmd::gen::Args),
    Show(cmd::show::Args),
    Stats(cmd::stats::Args),
    Import(cmd::import::Args),
    Shrink(cmd::shrink::Args),
    Record(cmd::record::Args),
    Corpus(cmd::corpus::Args),
    Replay(cmd::replay::Args),
    Bench(cmd::bench::Args),
    Merge(cmd::merge::Args),
    Impls(cmd::impls::Args),
}

fn main() -> ExitCode {
    let _workers = signals::install();
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Run(args) => cmd::run::run(args),
        Command::Gen(args) => cmd::gen::run(args),
        Command::Show(args) => cmd::show::run(args),
        Command::Stats(args) => cmd::stats::run(args),
        Command::Import(args) => cmd::import::run(args),
        Command::Shrink(args) => cmd::shrink::run(args),
        Command::Record(args) => cmd::record::run(args),
        Command::Corpus(args) => cmd::corpus::run(args),
        Command::Replay(args) => cmd::replay::run(args),
        Command::Bench(args) => cmd::bench::run(args),
        Command::Merge(args) => cmd::merge::run(args),
        Command::Impls(args) => cmd::impls::run(args),
    };
    match res {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            // One clear message; what it quotes is cut to a printable length.
            let text = limits::clip_lines(&format!("{err:#}"), limits::MAX_PRINTED_LINES);
            anstream::eprintln!("withstand: error: {text}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|e| e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

#[cfg(test)]
mod tests;
