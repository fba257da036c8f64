//! Findings: what a campaign reports and writes to disk, one directory of plain text each,
//! written atomically (a temporary directory renamed into place) the moment it is found.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anstyle::{AnsiColor, Style};
use oracle::compare::Divergence;
use oracle::ir::Program;
use oracle::model::predict;
use oracle::profile::Profile;
use oracle::render;

/// One thing a campaign found.
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

impl Finding {
    /// A grouping key: the divergence signature, or the kind of failure.
    pub fn signature(&self) -> String {
        match &self.kind {
            FindingKind::Divergence(d) => d.signature.clone(),
            FindingKind::Hang { .. } => "interpreter hang".to_string(),
            FindingKind::Crash { status, .. } => format!("interpreter crash ({status})"),
            FindingKind::Garbage { .. } => "interpreter answered garbage".to_string(),
        }
    }

    fn slug(&self) -> String {
        let kind = match &self.kind {
            FindingKind::Divergence(_) => "divergence",
            FindingKind::Hang { .. } => "hang",
            FindingKind::Crash { .. } => "crash",
            FindingKind::Garbage { .. } => "garbage",
        };
        format!("{kind}-{:016x}", self.seed)
    }
}

/// Writes `finding` under `out` and returns its directory. Never leaves a half-written one.
pub fn save(out: &Path, finding: &Finding) -> anyhow::Result<PathBuf> {
    let dir = out.join(finding.slug());
    if dir.exists() {
        return Ok(dir);
    }
    let tmp = tempfile::Builder::new().prefix(".tmp-").tempdir_in(out)?;
    let expected = predict(&finding.program, finding.profile).trace;
    let mut readme = String::new();
    readme.push_str(&format!("# {}\n\n", finding.slug()));
    readme.push_str(&format!("- signature: `{}`\n", finding.signature()));
    readme.push_str(&format!("- interpreter: {}\n", finding.interpreter));
    readme.push_str(&format!("- profile: {}\n", finding.profile));
    readme.push_str(&format!("- seed: {:#x}\n", finding.seed));
    readme.push_str(&format!("- withstand: {}\n\n", env!("CARGO_PKG_VERSION")));
    readme.push_str("Reproduce:\n\n");
    readme.push_str(&format!(
        "    {} program.py    # prints the observed trace\n",
        finding.python.display()
    ));
    readme.push_str(&format!(
        "    withstand show {:#x} --target {}    # the program and the predicted trace\n\n",
        finding.seed, finding.profile
    ));
    readme.push_str("Files: program.py (runs as it is), expected.trace (the model), observed.trace and diff.txt (divergences), stderr.txt (interpreter failures).\n");
    fs::write(tmp.path().join("README.md"), readme)?;
    fs::write(tmp.path().join("program.py"), render::standalone(&finding.program))?;
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

/// Prints a finding: seed, program and diff (coloured on a terminal). `fresh` is false for a
/// finding whose signature was already reported, which gets one line only.
pub fn print(finding: &Finding, dir: &Path, fresh: bool) {
    let bold = Style::new().bold();
    let mut out = anstream::stdout().lock();
    let head = match &finding.kind {
        FindingKind::Divergence(_) => "divergence",
        FindingKind::Hang { .. } => "interpreter hang",
        FindingKind::Crash { .. } => "interpreter crash",
        FindingKind::Garbage { .. } => "interpreter garbage",
    };
    let _ = writeln!(out, "{bold}{head}{bold:#} seed {:#x} -> {}", finding.seed, dir.display());
    if !fresh {
        let _ = writeln!(out, "  (same signature as an earlier finding)");
        return;
    }
    let _ = writeln!(out, "  signature: {}", finding.signature());
    let _ = writeln!(out, "{}", indent(&render::body(&finding.program)));
    match &finding.kind {
        FindingKind::Divergence(d) => {
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
        FindingKind::Hang { stderr_tail } | FindingKind::Crash { stderr_tail, .. } => {
            let _ = writeln!(out, "  stderr tail:\n{}", indent(stderr_tail));
        }
        FindingKind::Garbage { line, stderr_tail } => {
            let _ = writeln!(out, "  answered: {line}\n  stderr tail:\n{}", indent(stderr_tail));
        }
    }
    let _ = writeln!(out);
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}

/// Findings grouped by signature.
#[derive(Default)]
pub struct Summary {
    by_signature: BTreeMap<String, u64>,
    divergences: u64,
    /// The lowest case index that found something.
    first_index: Option<u64>,
    crashes: u64,
    hangs: u64,
    garbage: u64,
}

impl Summary {
    /// Counts a finding; true if its signature is new.
    pub fn add(&mut self, finding: &Finding) -> bool {
        match finding.kind {
            FindingKind::Divergence(_) => self.divergences += 1,
            FindingKind::Hang { .. } => self.hangs += 1,
            FindingKind::Crash { .. } => self.crashes += 1,
            FindingKind::Garbage { .. } => self.garbage += 1,
        }
        self.first_index = Some(self.first_index.map_or(finding.index, |i| i.min(finding.index)));
        let n = self.by_signature.entry(finding.signature()).or_insert(0);
        *n += 1;
        *n == 1
    }

    /// Whether anything was found.
    pub fn any(&self) -> bool {
        !self.by_signature.is_empty()
    }

    /// For the progress bar.
    pub fn short(&self) -> String {
        format!("{} divergences, {} crashes, {} hangs", self.divergences, self.crashes, self.hangs)
    }

    /// The end-of-campaign report.
    pub fn print(&self) {
        println!(
            "  divergences: {} ({} distinct signatures); crashes: {}; hangs: {}; garbage answers: {}",
            self.divergences,
            self.by_signature.len(),
            self.crashes,
            self.hangs,
            self.garbage
        );
        if let Some(i) = self.first_index {
            println!("  first finding at case {} (index {i})", i + 1);
        }
        for (sig, n) in &self.by_signature {
            println!("  {n:>6} x {sig}");
        }
    }
}
