//! The arguments several commands share (`#[command(flatten)]`), and the parsers of values with
//! a unit or a bound: durations, seeds, job counts, shards; and the known-differences files.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use oracle::judge::JudgeConfig;
use oracle::profile::Profile;
use oracle::runner::Transport;
use oracle::triage::{known, KnownFile};
use oracle::verdict::Messages;

use crate::limits::{MAX_DURATION, MAX_PRINTED_LINES};

/// The interpreter and its per-program time limit.
#[derive(clap::Args, Clone, Debug)]
pub struct InterpreterArgs {
    /// The interpreter: any executable, a wrapper script included (`exec` the interpreter in it).
    #[arg(long, default_value = "python3")]
    pub python: PathBuf,
    /// Per-program time limit before the interpreter is declared hung, e.g. 10s, 500ms.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub timeout: Duration,
    /// How programs reach the interpreter: a persistent worker, one process per batch of
    /// programs (for interpreters that cannot host the worker, e.g. MicroPython), or the worker
    /// and, when it does not start, one process per batch.
    #[arg(long, value_enum, default_value = "auto")]
    pub transport: TransportArg,
    /// The least time an interpreter gets to start (a restart gets more after a slow start), e.g.
    /// 30s: Pyodide takes 3 to 15 s.
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    pub start_timeout: Duration,
}

/// `--transport`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum TransportArg {
    /// The persistent worker only.
    Worker,
    /// One process per batch of programs.
    Process,
    /// The worker, or one process per batch when its handshake fails.
    Auto,
}

impl From<TransportArg> for Transport {
    fn from(t: TransportArg) -> Transport {
        match t {
            TransportArg::Worker => Transport::Worker,
            TransportArg::Process => Transport::Process,
            TransportArg::Auto => Transport::Auto,
        }
    }
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
        JudgeConfig { target: self.target, messages: self.messages.into(), ..self.interpreter.native() }
    }
}

impl InterpreterArgs {
    /// A judge of this interpreter as its own profile, messages exact: how `record` and `corpus
    /// add` see it.
    pub fn native(&self) -> JudgeConfig {
        JudgeConfig {
            python: crate::cmd::impls::resolve(&self.python),
            target: None,
            messages: Messages::Exact,
            timeout: self.timeout,
            transport: self.transport.into(),
            start_timeout: self.start_timeout,
        }
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

/// `--known FILE`, repeatable: known differences of the implementation under test.
#[derive(clap::Args, Clone, Debug)]
pub struct KnownArgs {
    /// A known-differences file (TOML; see known/ and README); may be repeated. Findings an entry
    /// describes are counted and listed as known, and do not fail the command.
    #[arg(long = "known", value_name = "FILE")]
    pub known: Vec<PathBuf>,
}

impl KnownArgs {
    /// Reads and parses every file: all problems at once, each as `file:line: what`, before
    /// anything starts.
    pub fn load(&self) -> anyhow::Result<Vec<KnownFile>> {
        load_known(&self.known)
    }
}

/// Reads and parses known-differences files; an id used twice (in one file or across files) is
/// an error too.
pub fn load_known(paths: &[PathBuf]) -> anyhow::Result<Vec<KnownFile>> {
    let mut files = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    for path in paths {
        let text = crate::input::read_text(path)?;
        match known::parse(&text, &path.display().to_string()) {
            Ok(f) => files.push(f),
            Err(es) => errors.extend(es.iter().map(ToString::to_string)),
        }
    }
    errors.extend(known::duplicate_ids(&files).iter().map(ToString::to_string));
    if !errors.is_empty() {
        let n = errors.len();
        let text = crate::limits::clip_lines(&errors.join("\n"), MAX_PRINTED_LINES);
        anyhow::bail!("{n} problem(s) in the known-differences files:\n{text}");
    }
    Ok(files)
}

/// Where an entry's `case` is: relative to the directory of the known file that names it
/// (`known/../corpus/x.case` is `corpus/x.case`; `..` is resolved as text, as a person reads it).
pub fn known_case_path(file: &str, case: &str) -> PathBuf {
    use std::path::Component;
    let joined = Path::new(file).parent().unwrap_or(Path::new("")).join(case);
    let mut res = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir if matches!(res.components().next_back(), Some(Component::Normal(_))) => {
                res.pop();
            }
            Component::CurDir => {}
            other => res.push(other),
        }
    }
    res
}

/// `--shard K/N`: the K-th (1-based) of N disjoint slices of a campaign's case indices; slice K
/// holds the indices `i` with `i % N == K - 1`, so that the shards of one seed and `--cases`
/// together run exactly the unsharded campaign's programs, and a `--time` campaign shards too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 1-based.
    pub k: u64,
    /// How many shards.
    pub n: u64,
}

/// The most shards `--shard` accepts.
pub const MAX_SHARDS: u64 = 1 << 20;

impl Shard {
    /// The whole campaign.
    pub const ALL: Shard = Shard { k: 1, n: 1 };

    /// How many of the first `total` case indices are in this shard.
    pub fn count(self, total: u64) -> u64 {
        let first = self.k - 1;
        if total <= first {
            0
        } else {
            (total - first - 1) / self.n + 1
        }
    }

    /// The case index of this shard's `j`-th case (0-based).
    pub fn index(self, j: u64) -> u64 {
        (self.k - 1).saturating_add(j.saturating_mul(self.n))
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// `K/N` with 1 <= K <= N <= [`MAX_SHARDS`].
pub fn parse_shard(s: &str) -> Result<Shard, String> {
    let shown = crate::limits::clip_message(s.trim(), 40);
    let bad = || format!("{shown:?} is not a shard: K/N with 1 <= K <= N (e.g. 2/4)");
    let (k, n) = s.trim().split_once('/').ok_or_else(bad)?;
    let (k, n): (u64, u64) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if n == 0 || n > MAX_SHARDS {
        return Err(format!("{shown:?}: the number of shards must be 1 to {MAX_SHARDS}"));
    }
    if k == 0 || k > n {
        return Err(format!("{shown:?}: the shard must be 1 to {n}"));
    }
    Ok(Shard { k, n })
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
    fn shards_are_disjoint_and_cover_every_index_once() {
        for n in 1..=5u64 {
            for total in [0u64, 1, 4, 5, 6, 17] {
                let mut all: Vec<u64> = (1..=n)
                    .flat_map(|k| {
                        let s = Shard { k, n };
                        (0..s.count(total)).map(move |j| s.index(j))
                    })
                    .collect();
                all.sort_unstable();
                assert_eq!(all, (0..total).collect::<Vec<_>>(), "{n} shards of {total}");
            }
        }
        assert_eq!(Shard { k: 2, n: 3 }.count(u64::MAX), u64::MAX / 3);
        assert_eq!(parse_shard("2/4"), Ok(Shard { k: 2, n: 4 }));
        for bad in ["0/4", "5/4", "1/0", "x", "1/2/3", "-1/2", "", "1/99999999999"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_shipped_known_files_parse_and_name_cases_that_load() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace");
        let paths: Vec<PathBuf> = std::fs::read_dir(root.join("known"))
            .expect("known/")
            .map(|e| e.expect("an entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        assert!(paths.len() >= 2, "{paths:?}");
        let files = load_known(&paths).unwrap_or_else(|e| panic!("{e:#}"));
        for e in files.iter().flat_map(|f| &f.entries) {
            let case = e.case.as_deref().unwrap_or_else(|| panic!("{}:{}: {} names no case", e.file, e.line, e.id));
            let path = known_case_path(&e.file, case);
            let loaded = oracle::corpus::load(&path)
                .unwrap_or_else(|errs| panic!("{}:{}: {}: {errs:?}", e.file, e.line, path.display()));
            assert!(loaded.header.description.len() > 20, "{}: say what it shows", path.display());
            assert!(e.cpython.is_some() && e.actual.is_some() && e.reason.is_some(), "{}: document it", e.id);
        }
    }

    #[test]
    fn jobs_and_seeds() {
        assert!(parse_jobs("0").is_err());
        assert_eq!(parse_jobs("3"), Ok(3));
        assert_eq!(parse_seed("0x1f"), Ok(31));
        assert!(parse_seed("zz").is_err());
    }
}
