//! What a campaign reports: each finding as it comes (seed, program, coloured diff, cut to a
//! readable size; the finding's files have the rest), each shrink, and at the end the report by
//! root cause ([`data`]), printed as the summary, written as `report.json`, `report.md`
//! ([`markdown`]) and JUnit.

pub mod data;
pub mod markdown;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use anstyle::{AnsiColor, Style};
use oracle::ir::Program;
use oracle::render;
use oracle::triage::{Class, Facts};
use oracle::verdict::{Divergence, Failure, FailureKind};

use crate::findings::Finding;
use crate::limits::{clip_lines, MAX_PRINTED_LINES};
use crate::shrink::{program_lines, Shrunk};
use data::{FindingRecord, Report, ShrinkRecord, SignatureRecord};

/// Prints a finding: seed, program and diff (coloured on a terminal). `fresh` is false for a
/// finding whose root cause was already reported, which gets one line only; `shrinking` says
/// that the full report comes when the shrink is done. A known difference gets one line the
/// first time, and nothing after.
pub fn print(finding: &Finding, dir: &Path, fresh: bool, shrinking: bool) {
    let bold = Style::new().bold();
    let mut out = anstream::stdout().lock();
    let head = head(finding.failure.kind());
    if let Some(id) = &finding.class.known {
        if fresh {
            let _ = writeln!(out, "known {head} ({id}) seed {:#x} -> {}", finding.seed, dir.display());
        }
        return;
    }
    let _ = writeln!(out, "{bold}{head}{bold:#} seed {:#x} -> {}", finding.seed, dir.display());
    if !fresh {
        let _ = writeln!(out, "  (root cause {} again)", finding.class.cause);
        return;
    }
    let _ = writeln!(out, "  root cause: {}", finding.class.cause);
    let _ = writeln!(out, "  signature: {}", finding.failure.key());
    if shrinking {
        let _ = writeln!(out, "  shrinking ({} lines)...", program_lines(&finding.program));
        return;
    }
    print_body(&mut out, &finding.program, &finding.failure);
}

/// Prints the result of shrinking a finding.
pub fn print_shrunk(finding: &Finding, dir: &Path, shrunk: &Shrunk) {
    let bold = Style::new().bold();
    let mut out = anstream::stdout().lock();
    let r = &shrunk.report;
    let _ = writeln!(
        out,
        "{bold}shrunk{bold:#} {} -> {}/reduced.py: {} → {} lines in {:.1}s ({} attempts; {})",
        head(finding.failure.kind()),
        dir.display(),
        r.lines_before,
        r.lines_after,
        r.secs,
        r.attempts,
        r.status.short()
    );
    let _ = writeln!(out, "  root cause: {}", finding.class.cause);
    let _ = writeln!(out, "  signature: {}", shrunk.failure.key());
    print_body(&mut out, &shrunk.program, &shrunk.failure);
}

fn head(kind: FailureKind) -> &'static str {
    match kind {
        FailureKind::Divergence => "divergence",
        FailureKind::Hang => "interpreter hang",
        FailureKind::Crash => "interpreter crash",
        FailureKind::Garbage => "interpreter garbage",
        FailureKind::Compile => "compile",
    }
}

/// The program, then the coloured diff or the interpreter's stderr, each cut to a readable size.
pub fn print_body(out: &mut dyn Write, program: &Program, failure: &Failure) {
    let _ = writeln!(out, "{}", indent(&clip_lines(&render::body(program), MAX_PRINTED_LINES)));
    match failure {
        Failure::Divergence(d) => print_diff(out, d),
        other => {
            let _ = writeln!(out, "{}", indent(&clip_lines(&other.details(), MAX_PRINTED_LINES)));
        }
    }
    let _ = writeln!(out);
}

/// A unified diff, `-` lines red and `+` lines green (on a terminal), indented, cut to
/// [`MAX_PRINTED_LINES`] lines.
pub fn print_diff(out: &mut dyn Write, d: &Divergence) {
    let red = Style::new().fg_color(Some(AnsiColor::Red.into()));
    let green = Style::new().fg_color(Some(AnsiColor::Green.into()));
    for line in clip_lines(&d.unified_diff(), MAX_PRINTED_LINES).lines() {
        let style = match line.as_bytes().first() {
            Some(b'-') if !line.starts_with("---") => red,
            Some(b'+') if !line.starts_with("+++") => green,
            _ => Style::new(),
        };
        let _ = writeln!(out, "  {style}{line}{style:#}");
    }
}

/// `text`, every line indented by four spaces.
pub fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}

/// What a run collects as findings come: a record of each (what goes into the report), and what
/// the progress bar shows.
#[derive(Default)]
pub struct Summary {
    records: Vec<FindingRecord>,
    by_dir: HashMap<PathBuf, usize>,
    seen: HashSet<Class>,
    counts: BTreeMap<FailureKind, u64>,
    new: u64,
}

impl Summary {
    /// Records a finding saved in `dir` (inside `run_dir`); true if it is the first of its class.
    pub fn add(&mut self, finding: &Finding, dir: &Path, run_dir: &Path) -> bool {
        *self.counts.entry(finding.failure.kind()).or_default() += 1;
        if finding.class.known.is_none() {
            self.new += 1;
        }
        let facts = Facts::of(&finding.failure);
        let rel = dir.strip_prefix(run_dir).unwrap_or(dir);
        self.by_dir.insert(dir.to_path_buf(), self.records.len());
        self.records.push(FindingRecord {
            index: finding.index,
            seed: format!("{:#x}", finding.seed),
            dir: rel.display().to_string(),
            failure: facts.failure.word().to_string(),
            signature: facts.signature.as_ref().map(SignatureRecord::of),
            status: facts.status.clone(),
            text: facts.text.clone(),
            unraised: facts.unraised.clone(),
            root_cause: finding.class.cause.to_string(),
            counted_in: String::new(),
            known: finding.class.known.clone(),
            shrink: None,
        });
        self.seen.insert(finding.class.clone())
    }

    /// Records the shrink of the finding saved in `dir`.
    pub fn shrunk(&mut self, dir: &Path, shrunk: &Shrunk) {
        if let Some(&i) = self.by_dir.get(dir) {
            self.records[i].shrink = Some(ShrinkRecord::of(&shrunk.report));
        }
    }

    /// The records, for the report.
    pub fn into_records(self) -> Vec<FindingRecord> {
        self.records
    }

    fn count(&self, kind: FailureKind) -> u64 {
        self.counts.get(&kind).copied().unwrap_or(0)
    }

    /// For the progress bar.
    pub fn short(&self) -> String {
        format!(
            "{} root causes, {} new findings, {} known; {} crashes, {} hangs",
            self.seen.len(),
            self.new,
            self.records.len() as u64 - self.new,
            self.count(FailureKind::Crash),
            self.count(FailureKind::Hang)
        )
    }
}

/// Prints the end of a run: one line `root causes: N (K known, M new)`, the totals, one block per
/// new root cause (name, count, the reproducer and its diff; its signatures with `verbose`), one
/// line per known one, and the stale entries.
pub fn print_report(report: &Report, run_dir: &Path, verbose: bool) -> std::io::Result<()> {
    let s = &report.summary;
    let mut out = anstream::stdout().lock();
    let bold = Style::new().bold();
    writeln!(out, "  {bold}root causes: {} ({} known, {} new){bold:#}", s.root_causes, s.known, s.new)?;
    writeln!(
        out,
        "  findings: {} ({} new, {} known); divergences: {}; crashes: {}; hangs: {}; garbage answers: {}",
        s.findings, s.new_findings, s.known_findings, s.divergences, s.crashes, s.hangs, s.garbage
    )?;
    if s.compile > 0 {
        writeln!(out, "  compile failures: {} (programs the compiler did not build)", s.compile)?;
    }
    if let Some(i) = s.first_new_index {
        writeln!(out, "  first new finding at case {} (index {i})", i + 1)?;
    }
    for (n, r) in report.root_causes.iter().enumerate() {
        let signatures = if r.signatures.len() == 1 { "signature" } else { "signatures" };
        let findings = if r.count == 1 { "finding" } else { "findings" };
        match &r.known {
            Some(id) => {
                writeln!(out, "  known {id}: {} ({} {findings})", r.name, r.count)?;
                if verbose {
                    print_signatures(&mut out, r)?;
                }
            }
            None => {
                writeln!(out)?;
                writeln!(
                    out,
                    "  {bold}new root cause {}: {}{bold:#} ({} {findings}, {} {signatures})",
                    n + 1,
                    r.name,
                    r.count,
                    r.signatures.len()
                )?;
                if !r.joined.is_empty() {
                    writeln!(out, "    {}", markdown::joined_text(r, ""))?;
                }
                let shrink = match &r.shrink {
                    Some(sh) => format!(", shrunk from {} in {:.1}s", sh.lines_before, sh.secs),
                    None => String::new(),
                };
                writeln!(
                    out,
                    "    reproducer ({} lines{shrink}): {}",
                    r.reproducer_lines,
                    run_dir.join(&r.reproducer).display()
                )?;
                writeln!(out, "{}", indent(&clip_lines(&r.program, MAX_PRINTED_LINES)))?;
                print_diff_text(&mut out, &r.diff)?;
                if verbose {
                    print_signatures(&mut out, r)?;
                }
            }
        }
    }
    if !report.stale.is_empty() {
        writeln!(out)?;
        writeln!(out, "  stale known entries (they matched nothing in {} programs; fixed?):", s.programs)?;
        for e in &report.stale {
            writeln!(out, "    {} ({}:{}): {}", e.id, e.file, e.line, e.summary)?;
        }
    }
    Ok(())
}

fn print_signatures(out: &mut dyn Write, r: &data::RootCauseRecord) -> std::io::Result<()> {
    for sig in &r.signatures {
        writeln!(out, "      {:>6} x {}", sig.count, clip_lines(&sig.signature, 1))?;
    }
    Ok(())
}

/// A diff's text, `-` lines red and `+` lines green (on a terminal), indented.
fn print_diff_text(out: &mut dyn Write, diff: &str) -> std::io::Result<()> {
    let red = Style::new().fg_color(Some(AnsiColor::Red.into()));
    let green = Style::new().fg_color(Some(AnsiColor::Green.into()));
    for line in clip_lines(diff, MAX_PRINTED_LINES).lines() {
        let style = match line.as_bytes().first() {
            Some(b'-') if !line.starts_with("---") => red,
            Some(b'+') if !line.starts_with("+++") => green,
            _ => Style::new(),
        };
        writeln!(out, "    {style}{line}{style:#}")?;
    }
    Ok(())
}

/// Writes a report: `report.json` and `report.md` into the run directory, and the JSON again to
/// `json` and the JUnit XML to `junit` when asked. Each file is written atomically.
pub fn write(report: &Report, run_dir: &Path, json: Option<&Path>, junit: Option<&Path>) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let text = serde_json::to_string_pretty(report).expect("a report serialises") + "\n";
    let mut files =
        vec![(run_dir.join("report.json"), text.clone()), (run_dir.join("report.md"), markdown::render(report))];
    if let Some(p) = json {
        files.push((p.to_path_buf(), text));
    }
    if let Some(p) = junit {
        files.push((p.to_path_buf(), crate::junit::root_causes(report)));
    }
    for (path, text) in files {
        oracle::corpus::write_atomic(&path, &text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
