//! The arguments several commands share (`#[command(flatten)]`), and the parsers of values with
//! a unit or a bound: durations, seeds, job counts.

use std::path::PathBuf;
use std::time::Duration;

use oracle::judge::JudgeConfig;
use oracle::profile::Profile;
use oracle::verdict::Messages;

use crate::limits::MAX_DURATION;

/// The interpreter and its per-program time limit.
#[derive(clap::Args, Clone, Debug)]
pub struct InterpreterArgs {
    /// The interpreter: any executable, a wrapper script included (`exec` the interpreter in it).
    #[arg(long, default_value = "python3")]
    pub python: PathBuf,
    /// Per-program time limit before the interpreter is declared hung, e.g. 10s, 500ms.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub timeout: Duration,
}

/// The interpreter, and how it is judged.
#[derive(clap::Args, Clone, Debug)]
pub struct JudgeArgs {
    #[command(flatten)]
    pub interpreter: InterpreterArgs,
    /// Judge the interpreter as this profile instead of the one it reports, e.g. cpython-3.11.
    #[arg(long)]
    pub target: Option<Profile>,
    /// Compare exception messages exactly, or types only.
    #[arg(long, value_enum, default_value = "exact")]
    pub messages: MessagesArg,
}

impl JudgeArgs {
    /// How to start the judge.
    pub fn config(&self) -> JudgeConfig {
        JudgeConfig {
            python: self.interpreter.python.clone(),
            target: self.target,
            messages: self.messages.into(),
            timeout: self.interpreter.timeout,
        }
    }
}

impl InterpreterArgs {
    /// A judge of this interpreter as its own profile, messages exact: how `record` and `corpus
    /// add` see it.
    pub fn native(&self) -> JudgeConfig {
        JudgeConfig { python: self.python.clone(), target: None, messages: Messages::Exact, timeout: self.timeout }
    }
}

/// `--messages`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum MessagesArg {
    /// Exception messages must match exactly.
    Exact,
    /// Compare exception types, identities and chains only.
    Types,
}

impl From<MessagesArg> for Messages {
    fn from(m: MessagesArg) -> Messages {
        match m {
            MessagesArg::Exact => Messages::Exact,
            MessagesArg::Types => Messages::Types,
        }
    }
}

/// `30s`, `10m`, `2h`, `1h30m`, `500ms` (jiff's friendly format, or ISO 8601 `PT30S`), or plain
/// seconds; more than zero and at most [`MAX_DURATION`]. A huge value is an error, never a panic.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let shown = crate::limits::clip_message(s, 40);
    let bad = || format!("{shown:?} is not a duration (e.g. 30s, 10m, 2h, 500ms)");
    let too_long = || format!("{shown:?} is too long: at most {}h", MAX_DURATION.as_secs() / 3600);
    let d = if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        // Plain seconds.
        let secs: f64 = s.parse().map_err(|_| bad())?;
        if secs > MAX_DURATION.as_secs_f64() {
            return Err(too_long());
        }
        Duration::from_secs_f64(secs)
    } else {
        let d: jiff::SignedDuration = s.parse().map_err(|_| bad())?;
        Duration::try_from(d).map_err(|_| bad())?
    };
    if d.is_zero() {
        return Err(bad());
    }
    if d > MAX_DURATION {
        return Err(too_long());
    }
    Ok(d)
}

/// A seed in decimal or `0x` hex.
pub fn parse_seed(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let res = match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    };
    res.map_err(|e| format!("{:?} is not a seed: {e}", crate::limits::clip_message(s, 40)))
}

/// `--jobs`: at least 1.
pub fn parse_jobs(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("--jobs must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{:?} is not a number of jobs: {e}", crate::limits::clip_message(s, 40))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_have_units_and_a_maximum() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        for bad in ["", "0", "-1s", "1y", "nan", "inf", "1e400"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        for huge in ["99999999999999999999", "18000000000000000000", "721h", "100000000h"] {
            let err = parse_duration(huge).expect_err(huge);
            assert!(err.contains("too long"), "{err}");
        }
        assert!(parse_duration("720h").is_ok());
    }

    #[test]
    fn jobs_and_seeds() {
        assert!(parse_jobs("0").is_err());
        assert_eq!(parse_jobs("3"), Ok(3));
        assert_eq!(parse_seed("0x1f"), Ok(31));
        assert!(parse_seed("zz").is_err());
    }
}
