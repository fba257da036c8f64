//! What a campaign prints: each finding (seed, program, coloured diff, cut to a readable size;
//! the finding's files have the rest), each shrink, and the summary grouped by signature.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anstyle::{AnsiColor, Style};
use oracle::ir::Program;
use oracle::render;
use oracle::verdict::{Divergence, Failure, FailureKind};

use crate::findings::Finding;
use crate::limits::{clip_lines, MAX_PRINTED_LINES};
use crate::shrink::{program_lines, ShrinkReport, Shrunk};

/// Prints a finding: seed, program and diff (coloured on a terminal). `fresh` is false for a
/// finding whose signature was already reported, which gets one line only; `shrinking` says
/// that the full report comes when the shrink is done.
pub fn print(finding: &Finding, dir: &Path, fresh: bool, shrinking: bool) {
    let bold = Style::new().bold();
    let mut out = anstream::stdout().lock();
    let head = head(finding.failure.kind());
    let _ = writeln!(out, "{bold}{head}{bold:#} seed {:#x} -> {}", finding.seed, dir.display());
    if !fresh {
        let _ = writeln!(out, "  (same signature as an earlier finding)");
        return;
    }
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
    let _ = writeln!(out, "  signature: {}", shrunk.failure.key());
    print_body(&mut out, &shrunk.program, &shrunk.failure);
}

fn head(kind: FailureKind) -> &'static str {
    match kind {
        FailureKind::Divergence => "divergence",
        FailureKind::Hang => "interpreter hang",
        FailureKind::Crash => "interpreter crash",
        FailureKind::Garbage => "interpreter garbage",
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

/// Findings grouped by signature.
#[derive(Default)]
pub struct Summary {
    by_signature: BTreeMap<String, Group>,
    counts: BTreeMap<FailureKind, u64>,
    /// The lowest case index that found something.
    first_index: Option<u64>,
}

/// The findings of one signature.
#[derive(Default)]
struct Group {
    /// Divergence or an interpreter failure.
    kind: Option<FailureKind>,
    /// How many raw findings had it.
    count: u64,
    /// The first one's directory.
    dir: PathBuf,
    /// Its shrink, once done.
    shrunk: Option<ShrinkReport>,
}

impl Summary {
    /// Counts a finding saved in `dir`; true if its signature is new.
    pub fn add(&mut self, finding: &Finding, dir: &Path) -> bool {
        *self.counts.entry(finding.failure.kind()).or_default() += 1;
        self.first_index = Some(self.first_index.map_or(finding.index, |i| i.min(finding.index)));
        let g = self.by_signature.entry(finding.failure.key()).or_default();
        g.count += 1;
        g.kind = Some(finding.failure.kind());
        if g.count == 1 {
            g.dir = dir.to_path_buf();
        }
        g.count == 1
    }

    /// Records the shrink of the finding of a signature saved in `dir` (the one that was
    /// shrunk, which may not be the first reported when several jobs find it at once).
    pub fn shrunk(&mut self, signature: &str, dir: &Path, report: &ShrinkReport) {
        if let Some(g) = self.by_signature.get_mut(signature) {
            g.dir = dir.to_path_buf();
            g.shrunk = Some(report.clone());
        }
    }

    /// Whether anything was found.
    pub fn any(&self) -> bool {
        !self.by_signature.is_empty()
    }

    fn count(&self, kind: FailureKind) -> u64 {
        self.counts.get(&kind).copied().unwrap_or(0)
    }

    /// For the progress bar.
    pub fn short(&self) -> String {
        format!(
            "{} divergences, {} crashes, {} hangs",
            self.count(FailureKind::Divergence),
            self.count(FailureKind::Crash),
            self.count(FailureKind::Hang)
        )
    }

    /// The end-of-campaign report: totals, then one line per signature with how many raw
    /// findings had it and where its (shrunk) reproducer is.
    pub fn print(&self) -> std::io::Result<()> {
        let signatures = self.by_signature.values().filter(|g| g.kind == Some(FailureKind::Divergence)).count();
        let divergences = self.count(FailureKind::Divergence);
        let distinct = match signatures {
            0 => String::new(),
            1 => " (1 signature)".to_string(),
            n => format!(" ({n} distinct signatures)"),
        };
        outln!(
            "  divergences: {divergences}{distinct}; crashes: {}; hangs: {}; garbage answers: {}",
            self.count(FailureKind::Crash),
            self.count(FailureKind::Hang),
            self.count(FailureKind::Garbage)
        );
        if let Some(i) = self.first_index {
            outln!("  first finding at case {} (index {i})", i + 1);
        }
        for (sig, g) in &self.by_signature {
            let raw = if g.count == 1 { "raw finding" } else { "raw findings" };
            outln!("  {:>6} {raw} x {sig}", g.count);
            match &g.shrunk {
                Some(r) => outln!(
                    "         shrunk {} → {} lines in {:.1}s: {}",
                    r.lines_before,
                    r.lines_after,
                    r.secs,
                    g.dir.join("reduced.py").display()
                ),
                None => outln!("         {}", g.dir.join("program.py").display()),
            }
        }
        Ok(())
    }
}
