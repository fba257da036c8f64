//! `withstand merge DIR... --out DIR`: the run directories of the shards of one campaign (or of
//! several campaigns) into one, triaged again as one run would have been: every finding's
//! directory is copied, every finding is classified anew (with `--known`, or the known files the
//! runs used), and the merged directory gets its own `report.md` and `report.json`.
//!
//! Runs of different seeds, profiles, interpreters, message modes or `--cases` are refused unless
//! `--allow-mixed`. A finding found by two inputs (the same seed and case index) counts once.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use oracle::triage::Triage;

use crate::args::{load_known, KnownArgs};
use crate::limits::MAX_REPORT_BYTES;
use crate::report::data::{self, FindingRecord, Report, RunInfo, REPORT_FORMAT};
use crate::report::{self as reporting};

/// Merge the run directories of a campaign's shards into one, and triage them again.
#[derive(clap::Args)]
#[command(
    after_help = "Exit status: 0 nothing new (no finding, or only known differences), 1 new root causes, 2 usage error, runs that do not belong together (without --allow-mixed), or a directory that is no finished run."
)]
pub struct Args {
    /// Run directories written by `withstand run` (each has a report.json).
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// The merged run directory; created, and it must not exist or be empty.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    known: KnownArgs,
    /// Merge runs with different seeds, profiles, interpreters, message modes or --cases.
    #[arg(long)]
    allow_mixed: bool,
    /// Also write the merged report as JSON here.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Write a JUnit XML report here: one testcase per root cause.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// List every root cause's signatures in the summary.
    #[arg(long, short)]
    verbose: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let runs: Vec<(PathBuf, Report)> =
        args.dirs.iter().map(|d| read_run(d).map(|r| (d.clone(), r))).collect::<Result<_, _>>()?;
    let first = &runs[0].1.run;
    let mismatches = mismatches(runs.iter().map(|(d, r)| (d.as_path(), &r.run)));
    if !mismatches.is_empty() && !args.allow_mixed {
        bail!(
            "these runs do not belong to one campaign (pass --allow-mixed to merge them anyway):\n{}",
            mismatches.join("\n")
        );
    }
    for (dir, r) in &runs {
        if !r.run.complete {
            eprintln!("withstand: warning: {} stopped early; merging what it found", dir.display());
        }
    }
    // The known files: as given, or those the runs used.
    let known_paths: Vec<PathBuf> = if args.known.known.is_empty() {
        first.known_files.iter().map(PathBuf::from).collect()
    } else {
        args.known.known.clone()
    };
    let known =
        load_known(&known_paths).context("cannot read the known-differences files the runs used (pass --known)")?;
    let triage = Triage::new(&known, &first.known_info());

    let out = &args.out;
    if out.exists() && fs::read_dir(out).map(|mut d| d.next().is_some()).unwrap_or(true) {
        bail!("{} exists and is not empty: merge writes a new directory", out.display());
    }
    fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;

    let mut seen: HashSet<(String, u64)> = HashSet::new();
    let mut names: HashSet<String> = HashSet::new();
    let mut findings: Vec<FindingRecord> = Vec::new();
    let mut duplicates = 0u64;
    for (dir, r) in &runs {
        for f in &r.findings {
            if !seen.insert((f.seed.clone(), f.index)) {
                duplicates += 1;
                continue;
            }
            let name = free_name(&mut names, &f.dir);
            copy_dir(&dir.join(&f.dir), &out.join(&name))
                .with_context(|| format!("cannot copy {} into {}", dir.join(&f.dir).display(), out.display()))?;
            findings.push(FindingRecord { dir: name, ..f.clone() });
        }
    }
    if duplicates > 0 {
        eprintln!(
            "withstand: warning: {duplicates} findings were in more than one input (the same case); counted once"
        );
    }

    let info = merged_info(&runs, out, &known_paths);
    let report = data::build(info, findings, &triage, out);
    let shards = shard_note(runs.iter().map(|(_, r)| &r.run));
    outln!(
        "withstand merge: {} runs, {} programs{shards}, against {} as {}, seed {}",
        runs.len(),
        report.run.programs,
        report.run.interpreter.name,
        report.run.profile,
        report.run.seed
    );
    reporting::print_report(&report, out, args.verbose)?;
    reporting::write(&report, out, args.report.as_deref(), args.junit.as_deref())?;
    outln!("  report: {}", out.join("report.md").display());
    outln!("  findings: {}", out.display());
    Ok(if report.summary.new > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The report of a finished run directory.
fn read_run(dir: &Path) -> anyhow::Result<Report> {
    let path = dir.join("report.json");
    if !path.is_file() {
        bail!("{}: no report.json (not a run directory of `withstand run`, or the run did not finish)", dir.display());
    }
    let meta = fs::metadata(&path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.len() > MAX_REPORT_BYTES {
        bail!("{}: larger than the limit of {MAX_REPORT_BYTES} bytes", path.display());
    }
    let text = fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let report: Report =
        serde_json::from_str(&text).with_context(|| format!("{} is not a withstand report", path.display()))?;
    if report.format != REPORT_FORMAT {
        bail!("{}: report format {} (this withstand reads {REPORT_FORMAT})", path.display(), report.format);
    }
    for f in &report.findings {
        f.facts().map_err(|e| anyhow::format_err!("{}: finding {}: {e}", path.display(), f.dir))?;
        if Path::new(&f.dir).components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
            bail!("{}: finding directory {:?} is not inside the run", path.display(), f.dir);
        }
    }
    Ok(report)
}

/// What differs between the runs and the first, one line each.
fn mismatches<'a>(mut runs: impl Iterator<Item = (&'a Path, &'a RunInfo)>) -> Vec<String> {
    let Some((first_dir, first)) = runs.next() else { return Vec::new() };
    let mut res = Vec::new();
    for (dir, r) in runs {
        let checks: [(&str, String, String); 6] = [
            ("seed", first.seed.clone(), r.seed.clone()),
            ("profile", first.profile.clone(), r.profile.clone()),
            ("messages", first.messages.clone(), r.messages.clone()),
            ("interpreter", interp(first), interp(r)),
            ("--cases", format!("{:?}", first.cases), format!("{:?}", r.cases)),
            ("known files", first.known_files.join(", "), r.known_files.join(", ")),
        ];
        for (what, a, b) in checks {
            if a != b {
                res.push(format!("  {what}: {a} in {} but {b} in {}", first_dir.display(), dir.display()));
            }
        }
    }
    res
}

fn interp(r: &RunInfo) -> String {
    let v = r.interpreter.version;
    format!("{} {}.{}.{}", r.interpreter.implementation, v[0], v[1], v[2])
}

/// `name`, or `name-2`, ... if a finding already took it.
fn free_name(names: &mut HashSet<String>, name: &str) -> String {
    let base = Path::new(name).file_name().map_or_else(|| name.to_string(), |n| n.to_string_lossy().into_owned());
    let mut n = 1;
    loop {
        let candidate = if n == 1 { base.clone() } else { format!("{base}-{n}") };
        if names.insert(candidate.clone()) {
            return candidate;
        }
        n += 1;
    }
}

/// Copies a finding directory (plain files) into a new directory.
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let ty = entry.file_type()?;
        let target = to.join(entry.file_name());
        if ty.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else if ty.is_file() {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// The description of the merged run.
fn merged_info(runs: &[(PathBuf, Report)], out: &Path, known: &[PathBuf]) -> RunInfo {
    let first = &runs[0].1.run;
    let programs = runs.iter().map(|(_, r)| r.run.programs).sum();
    let skipped = runs.iter().map(|(_, r)| r.run.skipped).sum();
    let secs = runs.iter().map(|(_, r)| r.run.secs).fold(0.0, f64::max);
    let whole = covers_all_shards(runs.iter().map(|(_, r)| &r.run));
    let mut info = RunInfo {
        programs,
        skipped,
        secs,
        shard: if whole { None } else { first.shard.clone() },
        known_files: known.iter().map(|p| p.display().to_string()).collect(),
        complete: runs.iter().all(|(_, r)| r.run.complete),
        run_dir: out.display().to_string(),
        merged: runs.iter().map(|(d, _)| d.display().to_string()).collect(),
        ..first.clone()
    };
    // The unsharded command runs the same campaign in one go.
    info.reproduce = unshard(&first.reproduce, whole);
    info
}

/// Whether the runs are every shard of one split (or include an unsharded run).
fn covers_all_shards<'a>(runs: impl Iterator<Item = &'a RunInfo>) -> bool {
    let mut by_n: BTreeMap<u64, BTreeSet<u64>> = BTreeMap::new();
    for r in runs {
        let Some((k, n)) = r.shard.as_deref().and_then(|s| s.split_once('/')) else { return true };
        if let (Ok(k), Ok(n)) = (k.parse::<u64>(), n.parse::<u64>()) {
            by_n.entry(n).or_default().insert(k);
        }
    }
    by_n.iter().any(|(n, ks)| ks.len() as u64 == *n)
}

/// ", shards 1/4, 2/4" or ", all 4 shards".
fn shard_note<'a>(runs: impl Iterator<Item = &'a RunInfo>) -> String {
    let runs: Vec<&RunInfo> = runs.collect();
    let shards: Vec<&str> = runs.iter().filter_map(|r| r.shard.as_deref()).collect();
    if shards.is_empty() {
        String::new()
    } else if covers_all_shards(runs.iter().copied()) && shards.len() == runs.len() {
        format!(", all {} shards", shards.len())
    } else {
        format!(", shards {}", shards.join(", "))
    }
}

/// The first run's command without its `--shard K/N`, when the merge covers every shard.
fn unshard(command: &str, whole: bool) -> String {
    if !whole {
        return command.to_string();
    }
    let words: Vec<&str> = command.split(' ').collect();
    let mut res = Vec::new();
    let mut skip = false;
    for w in words {
        if skip {
            skip = false;
            continue;
        }
        if w == "--shard" {
            skip = true;
            continue;
        }
        res.push(w);
    }
    res.join(" ")
}
