//! The report of a run as data: what `report.json` holds (and `--report FILE`), what `report.md`,
//! the summary and the JUnit report are printed from, and what `withstand merge` reads back.
//!
//! A report is built from the run's description and its findings, each with the facts triage
//! needs, so that a merge triages the findings of several runs exactly as one run would have.
//! The reproducer of each root cause is read from its finding's directory on disk.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use oracle::triage::join::{Joint, Part};
use oracle::triage::{Cause, Class, Culprit, Facts, Triage};
use oracle::verdict::{Differs, FailureKind, Kind, Messages, Signature};
use serde::{Deserialize, Serialize};

use crate::shrink::{program_lines, ShrinkReport};

/// The version of `report.json`'s format; a merge refuses another.
pub const REPORT_FORMAT: u32 = 1;

/// Everything a run found, triaged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`REPORT_FORMAT`].
    pub format: u32,
    /// What was run.
    pub run: RunInfo,
    /// The totals.
    pub summary: Totals,
    /// One per root cause: the new ones first, most findings first; then the known ones.
    pub root_causes: Vec<RootCauseRecord>,
    /// Known entries that matched nothing in a campaign of at least 1,000 programs.
    pub stale: Vec<StaleRecord>,
    /// Every finding, by case index.
    pub findings: Vec<FindingRecord>,
}

/// What was run, enough to run it again and to merge it with other shards.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// The withstand version.
    pub withstand: String,
    /// The campaign seed, `0x…`.
    pub seed: String,
    /// The campaign's `--cases` (of the whole campaign, not of this shard), if it had one.
    pub cases: Option<u64>,
    /// Its `--time` in seconds, if it had one.
    pub time_secs: Option<f64>,
    /// `K/N` for a shard.
    pub shard: Option<String>,
    /// Programs run.
    pub programs: u64,
    /// Programs not run because the model does not predict them.
    pub skipped: u64,
    /// Wall-clock seconds.
    pub secs: f64,
    /// The profile the model predicted for.
    pub profile: String,
    /// `--target`, if given.
    pub target: Option<String>,
    /// `exact` or `types`.
    pub messages: String,
    /// The interpreter.
    pub interpreter: InterpreterRecord,
    /// With `--compile`: the compiler as known files see it (its name and version, `cython 3.3.1
    /// for 3.11.7 ...`), so that `merge` matches the entries the run matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compiler: Option<InterpreterRecord>,
    /// The known-differences files, as given.
    pub known_files: Vec<String>,
    /// False if the run stopped early (an infrastructure error, or the `--time` bound while a
    /// worker was busy).
    pub complete: bool,
    /// The run directory.
    pub run_dir: String,
    /// For a merge: the run directories merged.
    pub merged: Vec<String>,
    /// The command that reproduces the run.
    pub reproduce: String,
}

/// The interpreter, as it reported itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InterpreterRecord {
    /// `pypy 3.9.16 (pypy3)`.
    pub name: String,
    /// As given on the command line.
    pub python: String,
    /// `sys.implementation.name`.
    pub implementation: String,
    /// `sys.version_info[:3]`.
    pub version: [u32; 3],
    /// `sys.version`.
    pub version_string: String,
}

impl RunInfo {
    /// What the known files were matched against: the compiler, if any, else the interpreter.
    pub fn known_info(&self) -> oracle::runner::InterpreterInfo {
        self.compiler.as_ref().unwrap_or(&self.interpreter).info()
    }
}

impl InterpreterRecord {
    /// The record of what an interpreter (or, with `--compile`, a compiler) reported of itself.
    pub fn new(name: String, python: String, info: &oracle::runner::InterpreterInfo) -> InterpreterRecord {
        InterpreterRecord {
            name,
            python,
            implementation: info.implementation.clone(),
            version: [info.version.0, info.version.1, info.version.2],
            version_string: oracle::corpus::format::one_line(&info.version_string.replace('\n', " "), 1000),
        }
    }

    /// What triage needs of it.
    pub fn info(&self) -> oracle::runner::InterpreterInfo {
        oracle::runner::InterpreterInfo {
            implementation: self.implementation.clone(),
            version: (self.version[0], self.version[1], self.version[2]),
            version_string: self.version_string.clone(),
            // Triage reads only the name and the version; the report does not record capabilities.
            capabilities: oracle::capability::Capabilities::default(),
        }
    }
}

/// The totals.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Programs run.
    pub programs: u64,
    /// Findings.
    pub findings: u64,
    /// Divergences.
    pub divergences: u64,
    /// Hangs.
    pub hangs: u64,
    /// Crashes.
    pub crashes: u64,
    /// Garbage answers.
    pub garbage: u64,
    /// Programs a compiler did not build, or whose module did not import (`--compile`).
    #[serde(default)]
    pub compile: u64,
    /// Root causes.
    pub root_causes: usize,
    /// Root causes a known entry describes.
    pub known: usize,
    /// The others: what fails the run.
    pub new: usize,
    /// Findings of known root causes.
    pub known_findings: u64,
    /// Findings of new root causes.
    pub new_findings: u64,
    /// The lowest case index of a new finding.
    pub first_new_index: Option<u64>,
}

/// One root cause.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RootCauseRecord {
    /// `missing-protocol: message`, `interpreter crash (killed by signal 11)`.
    pub name: String,
    /// The rule or family behind it (a divergence's).
    pub rule: Option<String>,
    /// The rules its findings were attributed to (more than one for a family).
    pub rules: Vec<String>,
    /// What differs (a divergence's).
    pub differs: Option<String>,
    /// `divergence`, `hang`, `crash`, `garbage`.
    pub failure: String,
    /// The known entry that describes it, or null: a new root cause.
    pub known: Option<String>,
    /// That entry's summary.
    pub known_summary: Option<String>,
    /// That entry's corpus case (as the known file names it, resolved against its directory).
    pub known_case: Option<String>,
    /// How many findings.
    pub count: u64,
    /// The lowest case index among them.
    pub first_index: u64,
    /// Its signatures (the finer level) with their counts, most first.
    pub signatures: Vec<SignatureCount>,
    /// The finding directory whose program is the reproducer (relative to the run directory):
    /// the shrunk finding (the one with the lowest index if several were), else the first.
    pub finding: String,
    /// The reproducer (relative to the run directory): `<finding>/reduced.py`, or
    /// `<finding>/program.py` when it was not shrunk.
    pub reproducer: String,
    /// Its program lines (not the prelude).
    pub reproducer_lines: usize,
    /// How its shrink went.
    pub shrink: Option<ShrinkRecord>,
    /// The reproducer's program (without the prelude).
    pub program: String,
    /// Its diff (or what the interpreter left).
    pub diff: String,
    /// New root causes joined to this one, as one bug (see `shared`), each with its findings
    /// (counted in `count`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub joined: Vec<JoinedCause>,
    /// What the joined root causes share: `the interpreter raises RuntimeError: ...`, or
    /// `descriptor-get: first difference expected ... | observed ...`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared: Vec<String>,
}

/// A root cause joined to another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JoinedCause {
    /// Its name.
    pub name: String,
    /// Its findings.
    pub count: u64,
}

/// A signature and how many findings had it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignatureCount {
    /// The signature.
    pub signature: String,
    /// How many.
    pub count: u64,
}

/// A known entry that matched nothing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaleRecord {
    /// Its id.
    pub id: String,
    /// Where it is defined.
    pub file: String,
    /// At which line.
    pub line: usize,
    /// Its summary.
    pub summary: String,
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FindingRecord {
    /// The case index in the campaign.
    pub index: u64,
    /// The case seed, `0x…`.
    pub seed: String,
    /// Its directory, relative to the run directory.
    pub dir: String,
    /// `divergence`, `hang`, `crash`, `garbage`.
    pub failure: String,
    /// A divergence's signature.
    pub signature: Option<SignatureRecord>,
    /// A crash's status.
    pub status: Option<String>,
    /// What an interpreter failure left (the end of it).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// A divergence's exceptions the model raised and the interpreter did not (what a known
    /// entry's `expected-raised` reads).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unraised: String,
    /// Its root cause.
    pub root_cause: String,
    /// The root cause of the report it is counted in: its own, or the one it was joined to
    /// (empty in a report written before joining was recorded).
    #[serde(default)]
    pub counted_in: String,
    /// The known entry that describes it.
    pub known: Option<String>,
    /// Its shrink, if it was shrunk.
    pub shrink: Option<ShrinkRecord>,
}

/// A signature, field by field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignatureRecord {
    /// The first differing line.
    pub position: usize,
    /// The kind of the expected event there.
    pub kind: String,
    /// What differs.
    pub differs: String,
    /// The rule behind it.
    pub rule: Option<String>,
    /// The masked detail.
    pub detail: String,
    /// The expected and observed messages, for a type or message difference.
    pub messages: Option<(String, String)>,
    /// An exception of the interpreter's own at the first difference (digits masked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raised: Option<String>,
    /// What the model expected there and the interpreter does not show: a rule, and a type or
    /// the subject of an event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<(String, String)>,
}

/// How a shrink went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShrinkRecord {
    /// `complete`, `time budget ran out`, ...
    pub status: String,
    /// Program lines before.
    pub lines_before: usize,
    /// Program lines after.
    pub lines_after: usize,
    /// Seconds.
    pub secs: f64,
    /// Candidates run.
    pub attempts: u64,
}

impl ShrinkRecord {
    /// From a shrink's report.
    pub fn of(r: &ShrinkReport) -> ShrinkRecord {
        ShrinkRecord {
            status: r.status.short().to_string(),
            lines_before: r.lines_before,
            lines_after: r.lines_after,
            secs: (r.secs * 1000.0).round() / 1000.0,
            attempts: r.attempts,
        }
    }
}

impl SignatureRecord {
    /// From a signature.
    pub fn of(s: &Signature) -> SignatureRecord {
        SignatureRecord {
            position: s.position,
            kind: s.kind.name().to_string(),
            differs: s.differs.name().to_string(),
            rule: s.rule.map(|r| r.name()),
            detail: s.detail.clone(),
            messages: s.messages.clone(),
            raised: s.raised.clone(),
            missing: s.missing.as_ref().map(|(r, what)| (r.name(), what.clone())),
        }
    }

    /// Back to a signature; an error names what this withstand does not know.
    pub fn signature(&self) -> Result<Signature, String> {
        let rule_named = |name: &str| {
            oracle::corpus::format::rule_from_name(name)
                .ok_or_else(|| format!("unknown rule {name:?} (a report of another withstand version?)"))
        };
        let rule = self.rule.as_deref().map(rule_named).transpose()?;
        let missing = match &self.missing {
            None => None,
            Some((name, what)) => Some((rule_named(name)?, what.clone())),
        };
        Ok(Signature {
            position: self.position,
            kind: self.kind.parse::<Kind>()?,
            differs: self.differs.parse::<Differs>()?,
            rule,
            detail: self.detail.clone(),
            messages: self.messages.clone(),
            raised: self.raised.clone(),
            missing,
        })
    }
}

/// `divergence` back to a kind of failure.
pub fn failure_kind(word: &str) -> Result<FailureKind, String> {
    [FailureKind::Divergence, FailureKind::Hang, FailureKind::Crash, FailureKind::Garbage, FailureKind::Compile]
        .into_iter()
        .find(|k| k.word() == word)
        .ok_or_else(|| format!("unknown kind of failure {word:?}"))
}

impl FindingRecord {
    /// What triage reads of it.
    pub fn facts(&self) -> Result<Facts, String> {
        Ok(Facts {
            failure: failure_kind(&self.failure)?,
            signature: self.signature.as_ref().map(SignatureRecord::signature).transpose()?,
            status: self.status.clone(),
            text: self.text.clone(),
            unraised: self.unraised.clone(),
        })
    }
}

/// `exact` or `types`.
pub fn messages_word(m: Messages) -> &'static str {
    match m {
        Messages::Exact => "exact",
        Messages::Types => "types",
    }
}

/// Builds the report: triages every finding with `triage`, groups them (a new finding by its root
/// cause; a known one by its entry, which is one documented difference however many root causes it
/// shows as), and reads each group's reproducer from `run_dir`.
pub fn build(run: RunInfo, mut findings: Vec<FindingRecord>, triage: &Triage, run_dir: &Path) -> Report {
    findings.sort_by_key(|f| f.index);
    let messages = if run.messages == "types" { Messages::Types } else { Messages::Exact };
    let mut groups: BTreeMap<Group, Vec<usize>> = BTreeMap::new();
    let mut totals = Totals { programs: run.programs, findings: findings.len() as u64, ..Totals::default() };
    // Each finding's signature as read back, for joining.
    let mut signatures: Vec<Option<Signature>> = Vec::with_capacity(findings.len());
    for (i, f) in findings.iter_mut().enumerate() {
        let class = match f.facts() {
            Ok(facts) => {
                let class = triage.classify(&facts);
                signatures.push(facts.signature);
                class
            }
            // A record this withstand cannot read (edited by hand, another version) stays new.
            Err(_) => {
                signatures.push(None);
                Class { cause: oracle::triage::Cause::Garbage, known: None }
            }
        };
        f.root_cause = class.cause.to_string();
        f.known = class.known.clone();
        match f.failure.as_str() {
            "divergence" => totals.divergences += 1,
            "hang" => totals.hangs += 1,
            "crash" => totals.crashes += 1,
            "compile" => totals.compile += 1,
            _ => totals.garbage += 1,
        }
        if class.known.is_some() {
            totals.known_findings += 1;
        } else {
            totals.new_findings += 1;
            totals.first_new_index = Some(totals.first_new_index.map_or(f.index, |x| x.min(f.index)));
        }
        let group = match class.known {
            Some(id) => Group::Known(id),
            None => Group::New(class.cause),
        };
        groups.entry(group).or_default().push(i);
    }
    let mut matched: BTreeMap<String, u64> = BTreeMap::new();
    let mut counted_in: Vec<(usize, String)> = Vec::new();
    let shown: Vec<&str> = findings.iter().map(|f| f.text.as_str()).collect();
    let mut root_causes: Vec<RootCauseRecord> = join(groups, &signatures, &shown)
        .into_iter()
        .map(|j| {
            if let Group::Known(id) = &j.group {
                *matched.entry(id.clone()).or_default() += j.members.len() as u64;
            }
            let mut record = root_cause(&j.group, j.members.iter().map(|&i| &findings[i]).collect(), triage, run_dir);
            counted_in.extend(j.members.iter().map(|&i| (i, record.name.clone())));
            record.joined = j.joined;
            record.shared = j.shared;
            record
        })
        .collect();
    for (i, name) in counted_in {
        findings[i].counted_in = name;
    }
    root_causes.sort_by(|a, b| {
        (a.known.is_some(), std::cmp::Reverse(a.count), &a.name).cmp(&(
            b.known.is_some(),
            std::cmp::Reverse(b.count),
            &b.name,
        ))
    });
    totals.root_causes = root_causes.len();
    totals.known = root_causes.iter().filter(|r| r.known.is_some()).count();
    totals.new = totals.root_causes - totals.known;
    let stale = triage
        .stale(&matched, run.programs, messages)
        .into_iter()
        .map(|e| StaleRecord { id: e.id.clone(), file: e.file.clone(), line: e.line, summary: e.summary.clone() })
        .collect();
    Report { format: REPORT_FORMAT, run, summary: totals, root_causes, stale, findings }
}

/// How findings are grouped into root causes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    /// A new root cause.
    New(Cause),
    /// A known difference, by its entry's id.
    Known(String),
}

/// A group of findings after [`join`]: the group that names it, all its findings, and the
/// groups joined to it.
struct Joined {
    group: Group,
    members: Vec<usize>,
    joined: Vec<JoinedCause>,
    shared: Vec<String>,
}

/// The groups, new root causes that are one bug joined ([`oracle::triage::join`]); `signatures`
/// are the findings' own, by index.
///
/// A `no-rule` root cause is split first, finding by finding: no rule of the model decided what
/// differs there, so its findings are one root cause only by default (PyPy's refusal of
/// `athrow().throw()`, its exit stack binding a None `__exit__`, its refused `throw()` arguments
/// all show as an extra or a missing `except` somewhere). Each joins what it shows itself; those
/// that join nothing stay together under the name.
fn join<'a>(
    groups: BTreeMap<Group, Vec<usize>>,
    signatures: &'a [Option<Signature>],
    shown: &[&'a str],
) -> Vec<Joined> {
    let groups: Vec<(Group, Vec<usize>)> = groups.into_iter().collect();
    // (the group, its findings in this part)
    let mut pieces: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut parts: Vec<Part<'_>> = Vec::new();
    for (g, (group, members)) in groups.iter().enumerate() {
        let sigs: Vec<&Signature> = members.iter().filter_map(|&i| signatures[i].as_ref()).collect();
        let culprit = match group {
            // Every finding must have been read back, or the half is not a half.
            Group::New(Cause::Divergence { culprit, .. }) if sigs.len() == members.len() => Some(*culprit),
            _ => None,
        };
        if culprit == Some(Culprit::NoRule) {
            for (&i, sig) in members.iter().zip(sigs) {
                pieces.push((g, vec![i]));
                parts.push(Part { culprit, signatures: vec![sig], shown: vec![shown[i]] });
            }
        } else {
            pieces.push((g, members.clone()));
            let shown = members.iter().map(|&i| shown[i]).collect();
            parts.push(Part { culprit, signatures: sigs, shown });
        }
    }
    // The pieces of one group that joined nothing else are that group again, whole.
    let alone = |j: &Joint| -> Option<usize> {
        let g = pieces[j.parts[0]].0;
        j.parts.iter().all(|&p| pieces[p].0 == g).then_some(g)
    };
    let mut merged: Vec<Joint> = Vec::new();
    let mut first_alone: BTreeMap<usize, usize> = BTreeMap::new();
    for joint in oracle::triage::join::join(&parts) {
        match alone(&joint) {
            Some(g) => match first_alone.get(&g) {
                Some(&at) => merged[at].parts.extend(joint.parts),
                None => {
                    first_alone.insert(g, merged.len());
                    merged.push(Joint { shared: Vec::new(), ..joint });
                }
            },
            None => merged.push(joint),
        }
    }
    merged
        .into_iter()
        .map(|joint| {
            let mut members: Vec<usize> = joint.parts.iter().flat_map(|&p| pieces[p].1.iter().copied()).collect();
            members.sort_unstable();
            let lead = pieces[joint.parts[0]].0;
            // Joined groups in the order their first piece came, each counted once.
            let mut joined: Vec<JoinedCause> = Vec::new();
            let mut seen: Vec<usize> = vec![lead];
            for &p in &joint.parts[1..] {
                let g = pieces[p].0;
                if seen.contains(&g) {
                    continue;
                }
                seen.push(g);
                let here = joint.parts.iter().filter(|&&q| pieces[q].0 == g).map(|&q| pieces[q].1.len() as u64).sum();
                joined.push(JoinedCause {
                    name: match &groups[g].0 {
                        Group::New(cause) => cause.to_string(),
                        Group::Known(id) => id.clone(),
                    },
                    count: here,
                });
            }
            Joined { group: groups[lead].0.clone(), members, joined, shared: joint.shared }
        })
        .collect()
}

/// One group's record: counts, signatures, and its reproducer read from disk.
fn root_cause(group: &Group, members: Vec<&FindingRecord>, triage: &Triage, run_dir: &Path) -> RootCauseRecord {
    let mut signatures: BTreeMap<String, u64> = BTreeMap::new();
    let mut rules: BTreeSet<String> = BTreeSet::new();
    let mut causes: BTreeMap<&str, u64> = BTreeMap::new();
    for f in &members {
        *causes.entry(f.root_cause.as_str()).or_default() += 1;
        let sig = match &f.signature {
            Some(s) => {
                if let Some(r) = &s.rule {
                    rules.insert(r.clone());
                }
                format!("{}: {} of {} ({})", s.rule.as_deref().unwrap_or("no-rule"), s.differs, s.kind, s.detail)
            }
            None => f.root_cause.clone(),
        };
        *signatures.entry(sig).or_default() += 1;
    }
    let mut signatures: Vec<SignatureCount> =
        signatures.into_iter().map(|(signature, count)| SignatureCount { signature, count }).collect();
    signatures
        .sort_by(|a, b| (std::cmp::Reverse(a.count), &a.signature).cmp(&(std::cmp::Reverse(b.count), &b.signature)));
    let first_index = members.iter().map(|f| f.index).min().unwrap_or(0);
    // The reproducer: the shrunk finding with the lowest index, else the first finding; of a
    // joined root cause, one of the root cause that names it, when it has one.
    let named: Vec<&FindingRecord> = match group {
        Group::New(cause) => {
            let name = cause.to_string();
            members.iter().copied().filter(|f| f.root_cause == name).collect()
        }
        Group::Known(_) => Vec::new(),
    };
    let pool = if named.is_empty() { &members } else { &named };
    let chosen = pool
        .iter()
        .filter(|f| f.shrink.is_some())
        .min_by_key(|f| f.index)
        .or_else(|| pool.iter().min_by_key(|f| f.index))
        .expect("a class has findings");
    let (stem, diff_file) = match (&chosen.shrink, chosen.failure.as_str()) {
        (Some(_), _) => ("reduced", "reduced.diff"),
        (None, "divergence") => ("program", "diff.txt"),
        (None, _) => ("program", "stderr.txt"),
    };
    let dir = run_dir.join(&chosen.dir);
    let program = match oracle::corpus::load(&dir.join(format!("{stem}.case"))) {
        Ok(case) => oracle::render::body(&case.program),
        Err(_) => format!("# (cannot read {}/{stem}.case)\n", chosen.dir),
    };
    let diff = std::fs::read_to_string(dir.join(diff_file))
        .map(|t| crate::limits::clip_message(&t, crate::limits::MAX_FINDING_FILE_BYTES / 16))
        .unwrap_or_else(|_| format!("(cannot read {}/{diff_file})\n", chosen.dir));
    // A known entry's root causes, most findings first.
    let mut causes: Vec<(&str, u64)> = causes.into_iter().collect();
    causes.sort_by(|a, b| (std::cmp::Reverse(a.1), a.0).cmp(&(std::cmp::Reverse(b.1), b.0)));
    let (name, culprit, differs, known) = match group {
        Group::New(cause) => {
            let (culprit, differs) = match cause {
                Cause::Divergence { culprit, differs } => (Some(culprit.name()), Some(differs.name().to_string())),
                _ => (None, None),
            };
            (cause.to_string(), culprit, differs, None)
        }
        Group::Known(id) => {
            let name = causes.iter().map(|c| c.0).collect::<Vec<_>>().join(", ");
            let first = members.iter().find(|f| f.root_cause == causes[0].0).and_then(|f| f.signature.as_ref());
            let culprit = first.and_then(|s| s.signature().ok()).map(|s| Culprit::of_signature(&s).name());
            (name, culprit, first.map(|s| s.differs.clone()), Some(id.clone()))
        }
    };
    let entry = known.as_deref().and_then(|id| triage.entry(id));
    RootCauseRecord {
        name,
        rule: culprit,
        rules: rules.into_iter().collect(),
        differs,
        failure: chosen.failure.clone(),
        known,
        known_summary: entry.map(|e| e.summary.clone()),
        known_case: entry
            .and_then(|e| e.case.as_ref().map(|c| crate::args::known_case_path(&e.file, c).display().to_string())),
        count: members.len() as u64,
        first_index,
        signatures,
        finding: chosen.dir.clone(),
        reproducer: format!("{}/{stem}.py", chosen.dir),
        reproducer_lines: program_lines_of(&program),
        shrink: chosen.shrink.clone(),
        program,
        diff,
        joined: Vec::new(),
        shared: Vec::new(),
    }
}

/// Program lines of a rendered body, as [`program_lines`] counts them.
fn program_lines_of(body: &str) -> usize {
    match oracle::parse::parse(body) {
        Ok(p) => program_lines(&p),
        Err(_) => body.lines().filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> RunInfo {
        let interpreter = InterpreterRecord {
            name: "pypy 3.9.16 (pypy3)".to_string(),
            python: "pypy3".to_string(),
            implementation: "pypy".to_string(),
            version: [3, 9, 16],
            version_string: "3.9.16".to_string(),
        };
        RunInfo {
            withstand: "test".to_string(),
            seed: "0x1".to_string(),
            cases: Some(100),
            time_secs: None,
            shard: None,
            programs: 100,
            skipped: 0,
            secs: 1.0,
            profile: "pypy-3.9".to_string(),
            target: None,
            messages: "exact".to_string(),
            interpreter,
            compiler: None,
            known_files: Vec::new(),
            complete: true,
            run_dir: "nowhere".to_string(),
            merged: Vec::new(),
            reproduce: "withstand run".to_string(),
        }
    }

    /// A divergence attributed to `rule` (`differs` there), at `detail`, with `raised`.
    fn finding(index: u64, rule: &str, differs: &str, detail: &str, raised: Option<&str>) -> FindingRecord {
        FindingRecord {
            index,
            seed: format!("{index:#x}"),
            dir: format!("divergence-{index}"),
            failure: "divergence".to_string(),
            signature: Some(SignatureRecord {
                position: 3,
                kind: "handler".to_string(),
                differs: differs.to_string(),
                rule: Some(rule.to_string()),
                detail: detail.to_string(),
                messages: None,
                raised: raised.map(str::to_string),
                missing: None,
            }),
            status: None,
            text: String::new(),
            unraised: String::new(),
            root_cause: String::new(),
            counted_in: String::new(),
            known: None,
            shrink: None,
        }
    }

    fn names(report: &Report) -> Vec<(String, u64, Vec<String>)> {
        report
            .root_causes
            .iter()
            .map(|r| (r.name.clone(), r.count, r.joined.iter().map(|j| format!("{} x{}", j.name, j.count)).collect()))
            .collect()
    }

    const REFUSAL: &str = "RuntimeError: can't do async_generator.athrow().throw()";

    #[test]
    fn root_causes_that_mostly_show_one_refusal_or_one_first_difference_are_joined() {
        let findings = vec![
            // One refusal under three rules: joined, named by the culprit with most findings.
            finding(0, "async-gen-awaitable-throw", "type", "exc type: EN vs RuntimeError", Some(REFUSAL)),
            finding(1, "async-gen-awaitable-throw", "presence", "expected except | observed x", Some(REFUSAL)),
            finding(2, "async-generator-stop-iteration", "message", "exc message", Some(REFUSAL)),
            finding(3, "async-generator-stop-iteration", "message", "exc message", Some(REFUSAL)),
            finding(4, "async-generator-stop-iteration", "message", "exc message", None),
            finding(5, "async-gen-awaitable-throw", "type", "exc type: EN vs RuntimeError", Some(REFUSAL)),
            // One lookup out of order, as `order` and as `presence`: one rule, one first difference.
            finding(6, "descriptor-get", "order", "expected get MN.__enter__ | observed get MN.__exit__", None),
            finding(7, "descriptor-get", "presence", "expected get MN.__enter__ | observed get MN.__exit__", None),
            // The same first difference under another rule is another bug.
            finding(8, "gen-throw-finished", "value", "expected get MN.__enter__ | observed get MN.__exit__", None),
            // A refusal in fewer than half of a root cause's findings does not join it.
            finding(9, "raise-none", "message", "exc message of TypeError", Some(REFUSAL)),
            finding(10, "raise-none", "message", "exc message of TypeError", None),
            finding(11, "raise-none", "message", "exc message of TypeError", None),
            finding(12, "async-gen-aclose-throw", "presence", "expected except | observed y", Some(REFUSAL)),
            finding(13, "descriptor-get", "order", "expected get MN.__enter__ | observed get MN.__exit__", None),
        ];
        let dir = std::path::Path::new("/nonexistent");
        let report = build(run(), findings, &Triage::none(), dir);
        assert_eq!(
            names(&report),
            vec![
                (
                    "awaitable-throw: presence".to_string(),
                    7,
                    vec!["awaitable-throw: type x2".to_string(), "pep-479: message x3".to_string()]
                ),
                ("descriptor-get: order".to_string(), 3, vec!["descriptor-get: presence x1".to_string()]),
                ("raise-none: message".to_string(), 3, vec![]),
                ("gen-throw-finished: value".to_string(), 1, vec![]),
            ]
        );
        assert_eq!(report.summary.root_causes, 4);
        assert_eq!(report.summary.new, 4);
        assert_eq!(report.root_causes[0].shared, vec![format!("the interpreter raises {REFUSAL}")]);
        assert_eq!(
            report.root_causes[1].shared,
            vec!["descriptor-get: first difference expected get MN.__enter__ | observed get MN.__exit__".to_string()]
        );
        // Each finding keeps its own root cause; the reproducer is one of the root cause that names
        // the joined one (finding 1, not finding 0 of `awaitable-throw: type`);
        // the report's markdown says what was joined.
        assert_eq!(report.findings[2].root_cause, "pep-479: message");
        assert_eq!(report.root_causes[0].finding, "divergence-1");
        assert_eq!(report.root_causes[1].finding, "divergence-6");
        let md = crate::report::markdown::render(&report);
        assert!(md.contains("`awaitable-throw: presence` (+2 joined)"), "{md}");
        assert!(md.contains("Joined to it as one bug (the interpreter raises"), "{md}");
    }

    #[test]
    fn a_no_rule_root_cause_joins_finding_by_finding_and_what_joins_nothing_stays_together() {
        let no_rule = |index: u64, raised: Option<&str>| {
            let mut f = finding(index, "-", "presence", &format!("expected except | observed x{index}"), raised);
            f.signature.as_mut().expect("a divergence").rule = None;
            f
        };
        let findings = vec![
            finding(0, "async-gen-awaitable-throw", "type", "exc type: EN vs RuntimeError", Some(REFUSAL)),
            finding(1, "async-gen-awaitable-throw", "type", "exc type: EN vs RuntimeError", Some(REFUSAL)),
            // Half of the no-rule findings show the refusal: those two are that bug, the other two
            // are not, whatever half of a root cause would say.
            no_rule(2, Some(REFUSAL)),
            no_rule(3, Some(REFUSAL)),
            no_rule(4, None),
            no_rule(5, None),
        ];
        let report = build(run(), findings, &Triage::none(), std::path::Path::new("/nonexistent"));
        assert_eq!(
            names(&report),
            vec![
                ("awaitable-throw: type".to_string(), 4, vec!["no-rule: presence x2".to_string()]),
                ("no-rule: presence".to_string(), 2, vec![]),
            ]
        );
        assert_eq!(report.summary.root_causes, 2);
        // The two left are reproduced by one of their own; each finding says where it is counted.
        assert_eq!(report.root_causes[1].finding, "divergence-4");
        let counted: Vec<(&str, &str)> =
            report.findings.iter().map(|f| (f.root_cause.as_str(), f.counted_in.as_str())).collect();
        assert_eq!(
            counted[2..],
            [
                ("no-rule: presence", "awaitable-throw: type"),
                ("no-rule: presence", "awaitable-throw: type"),
                ("no-rule: presence", "no-rule: presence"),
                ("no-rule: presence", "no-rule: presence"),
            ]
        );
    }

    /// A finding as merge reads it: through report.json.
    fn through_json(f: &FindingRecord) -> FindingRecord {
        let json = serde_json::to_string(f).expect("serialises");
        serde_json::from_str(&json).expect("reads back")
    }

    #[test]
    fn a_finding_that_raises_a_root_cause_s_exception_elsewhere_is_counted_there() {
        let later = |index: u64, observed: &str, text: &str| {
            let mut f = finding(index, "-", "presence", &format!("expected got | observed {observed}"), None);
            f.signature.as_mut().expect("a divergence").rule = None;
            f.text = text.to_string();
            through_json(&f)
        };
        let ignored = "RuntimeError: async generator ignored GeneratorExit";
        let mut findings: Vec<FindingRecord> = (0..4)
            .map(|i| finding(i, "async-gen-awaitable-throw", "type", "exc type: EN vs RuntimeError", Some(REFUSAL)))
            .collect();
        findings.extend([
            // First differing where a cleanup says it ignored GeneratorExit, the refusal further on.
            later(4, "cleanup close raised", &format!("{ignored}\n{REFUSAL}\n")),
            // Not the refusal: stays a root cause of its own.
            later(5, "except", &format!("{ignored}\n")),
        ]);
        let report = build(run(), findings, &Triage::none(), std::path::Path::new("/nonexistent"));
        assert_eq!(
            names(&report),
            vec![
                ("awaitable-throw: type".to_string(), 5, vec!["no-rule: presence x1".to_string()]),
                ("no-rule: presence".to_string(), 1, vec![]),
            ]
        );
        assert_eq!(report.findings[4].counted_in, "awaitable-throw: type");
        assert_eq!(report.findings[5].counted_in, "no-rule: presence");
        let md = crate::report::markdown::render(&report);
        assert!(md.contains("elsewhere in the program"), "{md}");
    }

    #[test]
    fn what_a_finding_leaves_out_is_read_back_from_report_json_and_joins_its_root_causes() {
        let left_out = |mut f: FindingRecord| {
            f.signature.as_mut().expect("a divergence").missing =
                Some(("gen-throw-finished".to_string(), "got".to_string()));
            through_json(&f)
        };
        let findings = vec![
            left_out(finding(0, "gen-throw-finished", "presence", "expected got | observed except", None)),
            left_out(finding(1, "gen-throw-finished", "presence", "expected got | observed => raise BN", None)),
            left_out(finding(2, "gen-throw-bad-args", "presence", "expected got | observed => raise TypeError", None)),
            finding(3, "gen-throw-bad-args", "message", "exc message of TypeError", None),
        ];
        let sig = findings[2].signature.as_ref().expect("a divergence").signature().expect("known names");
        assert_eq!(sig.missing, Some((oracle::model::Rule::GenThrowFinished, "got".to_string())));
        let report = build(run(), findings, &Triage::none(), std::path::Path::new("/nonexistent"));
        assert_eq!(
            names(&report),
            vec![
                ("gen-throw-finished: presence".to_string(), 3, vec!["gen-throw-bad-args: presence x1".to_string()]),
                ("gen-throw-bad-args: message".to_string(), 1, vec![]),
            ]
        );
    }
}
