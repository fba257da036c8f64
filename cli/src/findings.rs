//! Findings on disk: one directory of plain text each, inside the directory of the run that found
//! it.
//!
//! Every run gets its own directory under `--out` (`findings/20260115-103000-<seed>/`, with a
//! `latest` link to it), so that a run never changes what an earlier one left. A finding
//! directory is written atomically (a temporary directory renamed into place) the moment the
//! finding is classified, unshrunk. Shrinking then (re)writes `reduced.py`, `reduced.case`,
//! `reduced.diff` and `README.md` on every accepted step, each atomically, and never replaces a
//! reduced program by a larger one.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use oracle::capability::Capabilities;
use oracle::corpus::{self, Header, Origin};
use oracle::ir::Program;
use oracle::model::{Coverage, Prediction, Rule};
use oracle::profile::Profile;
use oracle::render;
use oracle::render::Dialect;
use oracle::runner::compile::Toolchain;
use oracle::triage::Class;
use oracle::verdict::Failure;

use crate::limits::clip_file;
use crate::shrink::ShrinkReport;

/// One thing a campaign found.
#[derive(Clone)]
pub struct Finding {
    /// The case's index in its campaign (0-based).
    pub index: u64,
    /// The case seed (`withstand show SEED` regenerates the program).
    pub seed: u64,
    /// The program.
    pub program: Program,
    /// What the model predicts for it.
    pub prediction: Prediction,
    /// How it failed.
    pub failure: Failure,
    /// Its root cause, and the known difference it is, if any.
    pub class: Class,
    /// The profile the model predicted for.
    pub profile: Profile,
    /// The interpreter, for reports (one line, see `oracle::judge::interpreter_name`).
    pub interpreter: String,
    /// The interpreter as given on the command line.
    pub python: PathBuf,
    /// The compiler the program was built with (`--compile`), if any: the finding then carries
    /// a reproducer for it (`module/`).
    pub toolchain: Option<Toolchain>,
    /// What the interpreter has: the program was generated for it and written in its dialect.
    pub capabilities: Capabilities,
}

impl Finding {
    /// How the interpreter ran the program, when that is not as `program.py` is written (no
    /// `sys.exc_info`: handlers bind what they handle).
    fn dialect(&self) -> Option<Dialect> {
        Some(Dialect::for_capabilities(self.capabilities)).filter(|d| *d != Dialect::CPYTHON)
    }

    /// The directory name: `divergence-<seed>`.
    fn slug(&self) -> String {
        format!("{}-{:016x}", self.failure.kind().word(), self.seed)
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

/// Creates the directory of a new run under `out`: `<out>/<UTC time>-<seed>` (with `-2`, `-3`,
/// ... if that exists), and points `<out>/latest` at it (where symbolic links exist).
pub fn create_run_dir(out: &Path, seed: u64) -> anyhow::Result<PathBuf> {
    fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let stamp = jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S").to_string();
    let base = format!("{stamp}-{seed:016x}");
    let mut n = 1;
    let (name, dir) = loop {
        let name = if n == 1 { base.clone() } else { format!("{base}-{n}") };
        let dir = out.join(&name);
        match fs::create_dir(&dir) {
            Ok(()) => break (name, dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => n += 1,
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", dir.display())),
        }
    };
    point_latest(out, &name);
    Ok(dir)
}

/// `<out>/latest` -> `name`, replaced atomically; a failure only costs the convenience link.
fn point_latest(out: &Path, name: &str) {
    #[cfg(unix)]
    {
        let tmp = out.join(format!(".latest-{}", std::process::id()));
        let _ = fs::remove_file(&tmp);
        if std::os::unix::fs::symlink(name, &tmp).is_ok() && fs::rename(&tmp, out.join("latest")).is_err() {
            let _ = fs::remove_file(&tmp);
        }
    }
    #[cfg(not(unix))]
    let _ = (out, name);
}

/// The header of a case file for a failing program: what fails, the rules the program exercises
/// (`coverage` is its prediction's), where it came from.
pub fn case_header(
    coverage: &Coverage,
    failure: &Failure,
    profile: Profile,
    interpreter: &str,
    origin: Origin,
) -> Header {
    let what = match failure {
        Failure::Divergence(_) => format!("{interpreter} and the model ({profile}) disagree"),
        Failure::Hang { .. } => format!("{interpreter} hangs"),
        Failure::Crash { status, .. } => format!("{interpreter} crashes ({status})"),
        Failure::Garbage { .. } => format!("{interpreter} answers garbage"),
        Failure::Compile(b) => format!("{} fails on it ({})", b.compiler, b.key()),
    };
    Header {
        description: format!("{what}; found by withstand run"),
        rules: Rule::ALL.iter().copied().filter(|r| coverage.fired(*r)).collect(),
        origin,
        signature: Some(failure.key()),
        profile: Some(profile.to_string()),
        see: None,
        known_divergence: None,
        notes: Vec::new(),
    }
}

/// Writes `finding` into the run directory `run`, unshrunk, and returns its directory. Never
/// leaves a half-written one: the files go to a hidden temporary directory, renamed into place.
pub fn save(run: &Path, finding: &Finding) -> anyhow::Result<PathBuf> {
    let tmp = corpus::plain_builder(".tmp-", true)
        .tempdir_in(run)
        .with_context(|| format!("cannot write a finding to {}", run.display()))?;
    let header = case_header(
        &finding.prediction.coverage,
        &finding.failure,
        finding.profile,
        &finding.interpreter,
        finding.origin(),
    );
    let mut files = vec![
        ("README.md", readme(finding, None)),
        ("program.py", render::standalone(&finding.program)),
        ("program.case", corpus::case_text(&header, &finding.program)),
        ("expected.trace", clip_file(&finding.prediction.trace.lines().join("\n"))),
    ];
    if let Some(dialect) = finding.dialect() {
        files.push(("program-as-run.py", render::standalone_in(&finding.program, dialect)));
    }
    match &finding.failure {
        Failure::Divergence(d) => {
            files.push(("observed.trace", clip_file(&d.observed_lines().join("\n"))));
            files.push(("diff.txt", clip_file(&d.unified_diff())));
        }
        Failure::Hang { stderr_tail } => files.push(("stderr.txt", clip_file(stderr_tail))),
        Failure::Crash { status, stderr_tail } => {
            files.push(("stderr.txt", clip_file(&format!("{status}\n{stderr_tail}"))))
        }
        Failure::Garbage { line, stderr_tail } => {
            files.push(("stderr.txt", clip_file(&format!("answered: {line}\n{stderr_tail}"))))
        }
        Failure::Compile(b) => files.push(("compiler.txt", clip_file(&b.details()))),
    }
    for (name, text) in files {
        let path = tmp.path().join(name);
        fs::write(&path, text).with_context(|| format!("cannot write a finding to {}", run.display()))?;
    }
    if let Some(t) = &finding.toolchain {
        write_module_dir(&tmp.path().join("module"), &finding.program, t, &finding.python)
            .with_context(|| format!("cannot write a finding to {}", run.display()))?;
    }
    let tmp = tmp.keep();
    for n in 1.. {
        let dir = if n == 1 { run.join(finding.slug()) } else { run.join(format!("{}-{n}", finding.slug())) };
        if dir.exists() {
            continue;
        }
        if let Err(err) = fs::rename(&tmp, &dir) {
            let _ = fs::remove_dir_all(&tmp);
            return Err(err).with_context(|| format!("cannot write {}", dir.display()));
        }
        return Ok(dir);
    }
    unreachable!("the loop returns")
}

/// The README of a finding directory, with the shrink so far if there is one.
pub fn readme(finding: &Finding, shrink: Option<&ShrinkReport>) -> String {
    let mut res = String::new();
    res.push_str(&format!("# {}\n\n", finding.slug()));
    res.push_str(&format!("- root cause: `{}`\n", finding.class.cause));
    if let Some(id) = &finding.class.known {
        res.push_str(&format!("- known difference: `{id}`\n"));
    }
    res.push_str(&format!("- signature: `{}`\n", finding.failure.key()));
    res.push_str(&format!("- interpreter: {}\n", finding.interpreter));
    res.push_str(&format!("- profile: {}\n", finding.profile));
    res.push_str(&format!("- seed: {:#x}\n", finding.seed));
    res.push_str(&format!("- found: {} by withstand {}\n\n", today(), env!("CARGO_PKG_VERSION")));
    res.push_str("Reproduce:\n\n");
    let file = if shrink.is_some() { "reduced.py" } else { "program.py" };
    if let Some(t) = &finding.toolchain {
        let dir = if shrink.is_some() { "reduced-module" } else { "module" };
        res.push_str(&format!("    sh {dir}/build.sh && sh {dir}/run.sh    # builds the program with {}, runs it, prints the observed trace\n", t.name()));
        res.push_str(&format!(
            "    cat {dir}/build.sh    # the exact build commands; {dir}/repro.py is the program as a module\n"
        ));
    }
    let as_run = match (finding.dialect(), shrink.is_some()) {
        (None, _) => file,
        (Some(_), true) => "reduced-as-run.py",
        (Some(_), false) => "program-as-run.py",
    };
    let python = oracle::corpus::format::one_line(&finding.python.display().to_string(), 200);
    res.push_str(&format!("    {python} {as_run}    # prints the observed trace\n"));
    res.push_str(&format!(
        "    withstand show {file} --target {}    # the program and the predicted trace\n",
        finding.profile
    ));
    let capabilities = match finding.capabilities {
        Capabilities::FULL => String::new(),
        c => format!(" --capabilities '{c}'"),
    };
    res.push_str(&format!(
        "    withstand show {:#x} --target {}{capabilities}    # regenerates the unshrunk program from its seed\n\n",
        finding.seed, finding.profile
    ));
    res.push_str("Files: program.py (runs as it is), program.case (the program in the corpus format), expected.trace (the model), observed.trace and diff.txt (divergences), stderr.txt (interpreter failures).\n");
    if finding.toolchain.is_some() {
        res.push_str("Compiled: module/ holds the program as a module (repro.py), the interpreted prelude (withstand_prelude.py), build.sh and run.sh; compiler.txt the compiler's commands and output when it failed.\n");
    }
    if finding.dialect().is_some() {
        res.push_str("program-as-run.py (and reduced-as-run.py) are the same program as the interpreter ran it: it has no sys.exc_info, so every except clause binds what it handles and passes it to handler().\n");
    }
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

/// The program a `<stem>.case` in `dir` holds, if there is a valid one.
pub fn saved_program(dir: &Path, stem: &str) -> Option<Program> {
    corpus::load(&dir.join(format!("{stem}.case"))).ok().map(|c| c.program)
}

/// Whether `a` is no larger than `b` in the reducer's measure (`oracle::reduce::size`), which
/// every step of a shrink lowers (its line count may rise by a line or two on the way).
pub fn no_larger(a: &Program, b: &Program) -> bool {
    oracle::reduce::size(a) <= oracle::reduce::size(b)
}

/// Writes a reduced program into `dir` as `<stem>.py`, `<stem>.case` and `<stem>.diff`, each
/// atomically, unless `dir` already holds a smaller `<stem>.case`: a reduced program is never
/// replaced by a larger one. True if it wrote.
pub fn write_reduced(
    dir: &Path,
    stem: &str,
    program: &Program,
    failure: &Failure,
    header: &Header,
) -> anyhow::Result<bool> {
    if saved_program(dir, stem).is_some_and(|old| !no_larger(program, &old)) {
        return Ok(false);
    }
    let files = [
        (format!("{stem}.case"), corpus::case_text(header, program)),
        (format!("{stem}.py"), render::standalone(program)),
        (format!("{stem}.diff"), clip_file(&failure.details())),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        corpus::write_if_changed(&path, &text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(true)
}

/// Saves one shrink step of `finding` in its directory: the reduced files, then the README.
pub fn save_step(
    dir: &Path,
    finding: &Finding,
    program: &Program,
    prediction: &Prediction,
    failure: &Failure,
    report: &ShrinkReport,
) -> anyhow::Result<()> {
    let header = case_header(&prediction.coverage, failure, finding.profile, &finding.interpreter, finding.origin());
    if write_reduced(dir, "reduced", program, failure, &header)? {
        if let Some(t) = &finding.toolchain {
            let module = dir.join("reduced-module");
            write_module_dir(&module, program, t, &finding.python)
                .with_context(|| format!("cannot write {}", module.display()))?;
        }
        if let Some(dialect) = finding.dialect() {
            let path = dir.join("reduced-as-run.py");
            corpus::write_if_changed(&path, &render::standalone_in(program, dialect))
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        let path = dir.join("README.md");
        corpus::write_if_changed(&path, &readme(finding, Some(report)))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Today's date (UTC) as YYYY-MM-DD.
pub fn today() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%d").to_string()
}

/// Writes the reproducer of a compiled program into `dir` (created): the program as a module,
/// the prelude, `build.sh` and `run.sh` (see `crate::compile::reproducer_files`), each atomically.
pub fn write_module_dir(dir: &Path, program: &Program, toolchain: &Toolchain, python: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir)?;
    for (name, text) in crate::compile::reproducer_files(program, toolchain, python) {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        corpus::write_if_changed(&path, &text)?;
    }
    Ok(())
}
