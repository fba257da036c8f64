//! Findings: what a campaign reports and writes to disk, one directory of plain text each.
//!
//! A finding directory is written atomically (a temporary directory renamed into place) the
//! moment it is found, unshrunk. Shrinking then (re)writes `reduced.py`, `reduced.case`,
//! `reduced.diff` and `README.md` on every accepted step, each atomically (a temporary file in
//! the same directory, renamed), so an interrupted shrink leaves the unshrunk or a partly shrunk
//! finding, never a half-written file.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anstyle::{AnsiColor, Style};
use anyhow::Context;
use oracle::compare::Divergence;
use oracle::corpus::{self, Header, Origin};
use oracle::ir::Program;
use oracle::model::{predict, Rule};
use oracle::profile::Profile;
use oracle::render;

use crate::shrink::{ShrinkReport, Shrunk};

/// One thing a campaign found.
#[derive(Clone)]
pub struct Finding {
    /// The case's index in its campaign (0-based).
    pub index: u64,
    /// The case seed (`withstand show SEED` regenerates the program).
    pub seed: u64,
    /// The program.
    pub program: Program,
    /// What went wrong.
    pub kind: FindingKind,
    /// The profile the model predicted for.
    pub profile: Profile,
    /// The interpreter, for reports.
    pub interpreter: String,
    /// The interpreter as given on the command line.
    pub python: PathBuf,
}

/// What went wrong.
#[derive(Clone, Debug)]
pub enum FindingKind {
    /// The interpreter's trace differs from the model's.
    Divergence(Divergence),
    /// The program did not finish within the time limit.
    Hang { stderr_tail: String },
    /// The interpreter died.
    Crash { status: String, stderr_tail: String },
    /// The interpreter answered something that is not a trace.
    Garbage { line: String, stderr_tail: String },
}

impl FindingKind {
    /// A grouping key: the divergence signature, or the kind of failure.
    pub fn signature(&self) -> String {
        match self {
            FindingKind::Divergence(d) => d.signature.clone(),
            FindingKind::Hang { .. } => "interpreter hang".to_string(),
            FindingKind::Crash { status, .. } => format!("interpreter crash ({status})"),
            FindingKind::Garbage { .. } => "interpreter answered garbage".to_string(),
        }
    }

    /// `divergence`, `hang`, `crash`, `garbage`.
    pub fn word(&self) -> &'static str {
        match self {
            FindingKind::Divergence(_) => "divergence",
            FindingKind::Hang { .. } => "hang",
            FindingKind::Crash { .. } => "crash",
            FindingKind::Garbage { .. } => "garbage",
        }
    }

    /// The diff, or what the interpreter left behind: what a `.diff` file holds.
    pub fn details(&self) -> String {
        match self {
            FindingKind::Divergence(d) => d.unified_diff(),
            FindingKind::Hang { stderr_tail } => format!("the interpreter hung\nstderr tail:\n{stderr_tail}"),
            FindingKind::Crash { status, stderr_tail } => {
                format!("the interpreter crashed: {status}\nstderr tail:\n{stderr_tail}")
            }
            FindingKind::Garbage { line, stderr_tail } => {
                format!("the interpreter answered: {line}\nstderr tail:\n{stderr_tail}")
            }
        }
    }
}

impl Finding {
    /// A grouping key: the divergence signature, or the kind of failure.
    pub fn signature(&self) -> String {
        self.kind.signature()
    }

    fn slug(&self) -> String {
        format!("{}-{:016x}", self.kind.word(), self.seed)
    }

    /// The provenance of the finding, for case headers.
    pub fn origin(&self) -> Origin {
        Origin::Seed {
            seed: self.seed,
            withstand: env!("CARGO_PKG_VERSION").to_string(),
            interpreter: self.interpreter.clone(),
            date: today(),
        }
    }
}

/// The header of a case file for a failing program: what fails, the rules the program exercises,
/// where it came from.
pub fn case_header(
    program: &Program,
    kind: &FindingKind,
    profile: Profile,
    interpreter: &str,
    origin: Origin,
) -> Header {
    let coverage = predict(program, profile).coverage;
    let what = match kind {
        FindingKind::Divergence(_) => format!("{interpreter} and the model ({profile}) disagree"),
        FindingKind::Hang { .. } => format!("{interpreter} hangs"),
        FindingKind::Crash { status, .. } => format!("{interpreter} crashes ({status})"),
        FindingKind::Garbage { .. } => format!("{interpreter} answers garbage"),
    };
    Header {
        description: format!("{what}; found by withstand run"),
        rules: Rule::ALL.iter().copied().filter(|r| coverage.fired(*r)).collect(),
        origin,
        signature: Some(kind.signature()),
        profile: Some(profile.to_string()),
        see: None,
        known_divergence: None,
        notes: Vec::new(),
    }
}

/// Writes `finding` under `out`, unshrunk, and returns its directory. Never leaves a half-written
/// one: the files go to a hidden temporary directory, renamed into place.
pub fn save(out: &Path, finding: &Finding) -> anyhow::Result<PathBuf> {
    let dir = out.join(finding.slug());
    if dir.exists() {
        return Ok(dir);
    }
    let tmp = tempfile::Builder::new().prefix(".tmp-").tempdir_in(out)?;
    let expected = predict(&finding.program, finding.profile).trace;
    let header = case_header(&finding.program, &finding.kind, finding.profile, &finding.interpreter, finding.origin());
    fs::write(tmp.path().join("README.md"), readme(finding, None))?;
    fs::write(tmp.path().join("program.py"), render::standalone(&finding.program))?;
    fs::write(tmp.path().join("program.case"), corpus::case_text(&header, &finding.program))?;
    fs::write(tmp.path().join("expected.trace"), expected.lines().join("\n") + "\n")?;
    match &finding.kind {
        FindingKind::Divergence(d) => {
            fs::write(tmp.path().join("observed.trace"), d.observed.join("\n") + "\n")?;
            fs::write(tmp.path().join("diff.txt"), d.unified_diff())?;
        }
        FindingKind::Hang { stderr_tail } => fs::write(tmp.path().join("stderr.txt"), stderr_tail)?,
        FindingKind::Crash { status, stderr_tail } => {
            fs::write(tmp.path().join("stderr.txt"), format!("{status}\n{stderr_tail}"))?
        }
        FindingKind::Garbage { line, stderr_tail } => {
            fs::write(tmp.path().join("stderr.txt"), format!("answered: {line}\n{stderr_tail}"))?
        }
    }
    let tmp = tmp.keep();
    if let Err(err) = fs::rename(&tmp, &dir) {
        let _ = fs::remove_dir_all(&tmp);
        if !dir.exists() {
            return Err(err.into());
        }
    }
    Ok(dir)
}

/// The README of a finding directory, with the shrink so far if there is one.
pub fn readme(finding: &Finding, shrink: Option<&ShrinkReport>) -> String {
    let mut res = String::new();
    res.push_str(&format!("# {}\n\n", finding.slug()));
    res.push_str(&format!("- signature: `{}`\n", finding.signature()));
    res.push_str(&format!("- interpreter: {}\n", finding.interpreter));
    res.push_str(&format!("- profile: {}\n", finding.profile));
    res.push_str(&format!("- seed: {:#x}\n", finding.seed));
    res.push_str(&format!("- withstand: {}\n\n", env!("CARGO_PKG_VERSION")));
    res.push_str("Reproduce:\n\n");
    let file = if shrink.is_some() { "reduced.py" } else { "program.py" };
    res.push_str(&format!("    {} {file}    # prints the observed trace\n", finding.python.display()));
    res.push_str(&format!(
        "    withstand show {file} --target {}    # the program and the predicted trace\n",
        finding.profile
    ));
    res.push_str(&format!(
        "    withstand show {:#x} --target {}    # regenerates the unshrunk program from its seed\n\n",
        finding.seed, finding.profile
    ));
    res.push_str("Files: program.py (runs as it is), program.case (the program in the corpus format), expected.trace (the model), observed.trace and diff.txt (divergences), stderr.txt (interpreter failures).\n");
    if let Some(s) = shrink {
        res.push_str(&shrink_section(s));
    }
    res
}

/// The `## Shrinking` section of a finding's README.
pub fn shrink_section(s: &ShrinkReport) -> String {
    let mut res = String::from("\n## Shrinking\n\n");
    res.push_str(&format!("- status: {}\n", s.status.describe()));
    res.push_str(&format!("- lines: {} → {} (program lines, without the prelude)\n", s.lines_before, s.lines_after));
    res.push_str(&format!("- time: {:.2}s\n", s.secs));
    res.push_str(&format!("- attempts: {} ({} kept)\n", s.attempts, s.accepted));
    res.push_str("- files: reduced.py (runs as it is), reduced.case (promote it with `withstand corpus add DIR --name NAME`), reduced.diff\n");
    res
}

/// A README with its `## Shrinking` section replaced by (or extended with) the one for `s`.
pub fn with_shrink_section(readme: &str, s: &ShrinkReport) -> String {
    let kept = match readme.find("\n## Shrinking\n") {
        Some(i) => &readme[..i],
        None => readme,
    };
    let kept = kept.trim_end_matches('\n');
    format!("{kept}\n{}", shrink_section(s))
}

/// Writes the reduced program of a shrink step into `dir` as `<stem>.py`, `<stem>.case` and
/// `<stem>.diff`, each atomically.
pub fn write_reduced(
    dir: &Path,
    stem: &str,
    program: &Program,
    kind: &FindingKind,
    header: &Header,
) -> anyhow::Result<()> {
    let files = [
        (format!("{stem}.case"), corpus::case_text(header, program)),
        (format!("{stem}.py"), render::standalone(program)),
        (format!("{stem}.diff"), kind.details()),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        corpus::write_if_changed(&path, &text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Saves one shrink step of `finding` in its directory: the reduced files, then the README.
pub fn save_step(
    dir: &Path,
    finding: &Finding,
    program: &Program,
    kind: &FindingKind,
    report: &ShrinkReport,
) -> anyhow::Result<()> {
    let header = case_header(program, kind, finding.profile, &finding.interpreter, finding.origin());
    write_reduced(dir, "reduced", program, kind, &header)?;
    let path = dir.join("README.md");
    corpus::write_if_changed(&path, &readme(finding, Some(report)))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Prints a finding: seed, program and diff (coloured on a terminal). `fresh` is false for a
/// finding whose signature was already reported, which gets one line only; `shrinking` says
/// that the full report comes when the shrink is done.
pub fn print(finding: &Finding, dir: &Path, fresh: bool, shrinking: bool) {
    let bold = Style::new().bold();
    let mut out = anstream::stdout().lock();
    let head = head(&finding.kind);
    let _ = writeln!(out, "{bold}{head}{bold:#} seed {:#x} -> {}", finding.seed, dir.display());
    if !fresh {
        let _ = writeln!(out, "  (same signature as an earlier finding)");
        return;
    }
    let _ = writeln!(out, "  signature: {}", finding.signature());
    if shrinking {
        let _ = writeln!(out, "  shrinking ({} lines)...", crate::shrink::program_lines(&finding.program));
        return;
    }
    print_body(&mut out, &finding.program, &finding.kind);
}

/// Prints the result of shrinking a finding.
pub fn print_shrunk(finding: &Finding, dir: &Path, shrunk: &Shrunk) {
    let bold = Style::new().bold();
    let mut out = anstream::stdout().lock();
    let r = &shrunk.report;
    let _ = writeln!(
        out,
        "{bold}shrunk{bold:#} {} -> {}/reduced.py: {} → {} lines in {:.1}s ({} attempts; {})",
        head(&finding.kind),
        dir.display(),
        r.lines_before,
        r.lines_after,
        r.secs,
        r.attempts,
        r.status.short()
    );
    let _ = writeln!(out, "  signature: {}", finding.signature());
    print_body(&mut out, &shrunk.program, &shrunk.kind);
}

fn head(kind: &FindingKind) -> &'static str {
    match kind {
        FindingKind::Divergence(_) => "divergence",
        FindingKind::Hang { .. } => "interpreter hang",
        FindingKind::Crash { .. } => "interpreter crash",
        FindingKind::Garbage { .. } => "interpreter garbage",
    }
}

/// The program, then the coloured diff or the interpreter's stderr.
pub fn print_body(out: &mut dyn Write, program: &Program, kind: &FindingKind) {
    let _ = writeln!(out, "{}", indent(&render::body(program)));
    match kind {
        FindingKind::Divergence(d) => print_diff(out, d),
        FindingKind::Hang { stderr_tail } | FindingKind::Crash { stderr_tail, .. } => {
            let _ = writeln!(out, "  stderr tail:\n{}", indent(stderr_tail));
        }
        FindingKind::Garbage { line, stderr_tail } => {
            let _ = writeln!(out, "  answered: {line}\n  stderr tail:\n{}", indent(stderr_tail));
        }
    }
    let _ = writeln!(out);
}

/// A unified diff, `-` lines red and `+` lines green (on a terminal), indented.
pub fn print_diff(out: &mut dyn Write, d: &Divergence) {
    let red = Style::new().fg_color(Some(AnsiColor::Red.into()));
    let green = Style::new().fg_color(Some(AnsiColor::Green.into()));
    for line in d.unified_diff().lines() {
        let style = match line.as_bytes().first() {
            Some(b'-') if !line.starts_with("---") => red,
            Some(b'+') if !line.starts_with("+++") => green,
            _ => Style::new(),
        };
        let _ = writeln!(out, "  {style}{line}{style:#}");
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}

/// Findings grouped by signature.
#[derive(Default)]
pub struct Summary {
    by_signature: BTreeMap<String, Group>,
    divergences: u64,
    /// The lowest case index that found something.
    first_index: Option<u64>,
    crashes: u64,
    hangs: u64,
    garbage: u64,
}

/// The findings of one signature.
#[derive(Default)]
struct Group {
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
        match finding.kind {
            FindingKind::Divergence(_) => self.divergences += 1,
            FindingKind::Hang { .. } => self.hangs += 1,
            FindingKind::Crash { .. } => self.crashes += 1,
            FindingKind::Garbage { .. } => self.garbage += 1,
        }
        self.first_index = Some(self.first_index.map_or(finding.index, |i| i.min(finding.index)));
        let g = self.by_signature.entry(finding.signature()).or_default();
        g.count += 1;
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

    /// For the progress bar.
    pub fn short(&self) -> String {
        format!("{} divergences, {} crashes, {} hangs", self.divergences, self.crashes, self.hangs)
    }

    /// The end-of-campaign report: totals, then one line per signature with how many raw
    /// findings had it and where its (shrunk) reproducer is.
    pub fn print(&self) -> std::io::Result<()> {
        outln!(
            "  divergences: {} ({} distinct signatures); crashes: {}; hangs: {}; garbage answers: {}",
            self.divergences,
            self.by_signature.len(),
            self.crashes,
            self.hangs,
            self.garbage
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

/// Today's date (UTC) as YYYY-MM-DD.
pub fn today() -> String {
    let days = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() / 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}
