//! Targets that compile: Cython, mypyc and Nuitka build each program into an extension module,
//! which the ordinary worker imports and runs (`proto::import_request`).
//!
//! - **Isolation.** Every program is a module of its own (`render::module`: the program at module
//!   scope after `from withstand_prelude import *`), so programs built together cannot see each
//!   other. Only the program is compiled: the prelude stays interpreted, provided by the worker.
//! - **Batches.** A [`Builder`] builds N programs with one run of the compiler: Cython translates
//!   them in one process and the C compiler builds each module (`-O0`); mypyc builds them as one
//!   group, through a small driver (`mypyc_build.py`) that takes out each program mypyc names in
//!   an error and builds the others again; Nuitka builds them as one package.
//! - **Blame.** What fails is pinned on the one program responsible: by the file the compiler
//!   names where it does (Cython, mypyc), else by bisecting the batch (a compiler that hangs is
//!   killed after [`BuildConfig::timeout`], one that dies by a signal crashed, one that fails
//!   without naming a file rejected the batch): each half is built again, down to one program.
//!   The failure of one program is a [`BuildFailure`]: how (rejected, crashed, hung), the
//!   compiler's message, and a one-line summary masked of the program's names, for grouping.
//! - **Processes.** Every compiler runs with an argument vector, never through a shell, in a
//!   process group of its own that is killed whole at its deadline, when the caller stops, or
//!   with withstand; names and paths are withstand's own (`w<build>_<i>`), never the program's.
//! - **Files.** Each batch builds in a directory of its own under the builder's root, removed
//!   when the [`Batch`] is dropped unless the builds are kept; compiler caches (mypy's) live under
//!   the root too.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::process::{self, Ended, Limits};
use super::proto;
use super::InterpreterInfo;

/// The driver that builds a batch with mypyc (`python -c`): see its header.
const MYPYC_BUILD_PY: &str = include_str!("mypyc_build.py");

/// What a Python is asked about itself and a compiler (`python -c PROBE MODULE`).
const PROBE_PY: &str = r#"
import json, sys, sysconfig
mod = sys.argv[1]
try:
    if mod == "Cython":
        import Cython
        v = Cython.__version__
    elif mod == "mypyc":
        import mypy.version, mypyc.build, setuptools
        v = mypy.version.__version__
    else:
        import nuitka.Version
        v = nuitka.Version.getNuitkaVersion()
except Exception:
    v = None
print(json.dumps({"version": sys.version, "include": sysconfig.get_paths()["include"],
    "ext_suffix": sysconfig.get_config_var("EXT_SUFFIX"), "cc": sysconfig.get_config_var("CC") or "cc",
    "compiler": v}))
"#;

/// How much of a compiler's output is kept: this many bytes from its start and as many from its
/// end.
const MAX_OUTPUT_BYTES: usize = 256 << 10;

/// How long asking a Python about itself may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(60);

/// A compiler withstand can target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Compiler {
    /// Cython, compiling Python files (`cython -3`) to C, built with the C compiler at `-O0`.
    Cython,
    /// mypyc (from mypy), at `MYPYC_OPT_LEVEL=0`.
    Mypyc,
    /// Nuitka, `--module`.
    Nuitka,
}

impl Compiler {
    /// Every compiler.
    pub const ALL: [Compiler; 3] = [Compiler::Cython, Compiler::Mypyc, Compiler::Nuitka];

    /// `cython`, `mypyc`, `nuitka`.
    pub fn name(self) -> &'static str {
        match self {
            Compiler::Cython => "cython",
            Compiler::Mypyc => "mypyc",
            Compiler::Nuitka => "nuitka",
        }
    }

    /// The Python package that holds it.
    fn package(self) -> &'static str {
        match self {
            Compiler::Cython => "Cython",
            Compiler::Mypyc => "mypyc",
            Compiler::Nuitka => "nuitka",
        }
    }

    /// How many programs one build takes by default: as many as keeps a build well under a
    /// minute on one core (Nuitka's builds are the slowest).
    pub fn default_batch(self) -> usize {
        match self {
            Compiler::Cython => 100,
            Compiler::Mypyc => 100,
            Compiler::Nuitka => 50,
        }
    }
}

impl fmt::Display for Compiler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Compiler {
    type Err = String;

    fn from_str(s: &str) -> Result<Compiler, String> {
        Compiler::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| format!("unknown compiler {s:?}; one of cython, mypyc, nuitka"))
    }
}

/// What the interpreter under test is, as far as building extension modules for it goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// `sys.version`, whole: a Python that builds for it must report the same.
    pub version: String,
    /// The directory of `Python.h`.
    pub include: String,
    /// The file name suffix of its extension modules: `.cpython-311-x86_64-linux-gnu.so`.
    pub ext_suffix: String,
    /// Its C compiler (`sysconfig`'s `CC`), as an argument vector.
    pub cc: Vec<String>,
}

/// A compiler found for an interpreter: the Python that runs it (the interpreter itself, or the
/// virtual environment `scripts/setup-impls.sh --compilers` made for its version).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toolchain {
    /// Which compiler.
    pub compiler: Compiler,
    /// Its version, e.g. `3.3.1`.
    pub version: String,
    /// The Python that runs it.
    pub python: PathBuf,
    /// The interpreter the modules are built for.
    pub target: Target,
}

/// Why a compiler could not be used; every message is one paragraph.
#[derive(Debug, thiserror::Error)]
pub enum FindError {
    /// The interpreter (or a virtual environment's Python) did not say what it is.
    #[error("cannot ask {python:?} about itself: {reason}")]
    Probe {
        /// The Python asked.
        python: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Neither the interpreter nor a virtual environment for its version has the compiler.
    #[error("{compiler} is not installed for {python:?} (Python {version}); looked in {}; run `scripts/setup-impls.sh --compilers` to install Cython, mypy and Nuitka for each pyenv CPython, or install {package} into that interpreter", looked(.tried))]
    Missing {
        /// The compiler.
        compiler: Compiler,
        /// Its Python package.
        package: &'static str,
        /// The interpreter under test.
        python: PathBuf,
        /// Its version, e.g. `3.11.7`.
        version: String,
        /// The Pythons asked.
        tried: Vec<PathBuf>,
    },
}

fn looked(tried: &[PathBuf]) -> String {
    tried.iter().map(|p| format!("{p:?}")).collect::<Vec<_>>().join(" and ")
}

/// What [`PROBE_PY`] prints.
#[derive(Deserialize)]
struct Probe {
    version: String,
    include: String,
    ext_suffix: Option<String>,
    cc: String,
    compiler: Option<String>,
}

fn probe(python: &Path, compiler: Compiler) -> Result<Probe, FindError> {
    let fail = |reason: String| FindError::Probe { python: python.to_path_buf(), reason };
    let mut command = Command::new(python);
    command.arg("-c").arg(PROBE_PY).arg(compiler.package());
    let done = process::run_to_end(
        command,
        &Limits { memory: None },
        Instant::now() + PROBE_TIMEOUT,
        &|| false,
        MAX_OUTPUT_BYTES,
    )
    .map_err(|e| fail(e.to_string()))?;
    match done.ended {
        Ended::Exited(status) if status.success() => {}
        Ended::Exited(status) => {
            return Err(fail(format!("{}: {}", process::describe(status), last_lines(&done.output, 1))))
        }
        Ended::TimedOut | Ended::Stopped => return Err(fail(format!("no answer within {PROBE_TIMEOUT:?}"))),
    }
    let line = done.output.lines().rev().find(|l| l.starts_with('{')).unwrap_or("");
    serde_json::from_str(line).map_err(|e| fail(format!("unexpected answer ({e}): {}", last_lines(&done.output, 1))))
}

/// Where `scripts/setup-impls.sh` installs: `$WITHSTAND_IMPLS`, else
/// `~/.cache/withstand/impls`.
pub fn impls_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("WITHSTAND_IMPLS") {
        return Some(PathBuf::from(dir));
    }
    std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache/withstand/impls"))
}

impl Target {
    /// Asks the interpreter `python` what it is.
    pub fn of(python: &Path) -> Result<Target, FindError> {
        Ok(Target::from_probe(&probe(python, Compiler::Cython)?))
    }

    fn from_probe(p: &Probe) -> Target {
        Target {
            version: p.version.clone(),
            include: p.include.clone(),
            ext_suffix: p.ext_suffix.clone().unwrap_or_else(|| ".so".to_owned()),
            cc: p.cc.split_whitespace().map(str::to_owned).collect(),
        }
    }
}

impl Toolchain {
    /// Finds `compiler` for the interpreter `python`: installed in it, else in the virtual
    /// environment `<impls>/venvs/cpython-3.X/bin/python` when that runs the very same Python
    /// (the same `sys.version`).
    pub fn find(compiler: Compiler, python: &Path, impls: Option<&Path>) -> Result<Toolchain, FindError> {
        let own = probe(python, compiler)?;
        let target = Target::from_probe(&own);
        let short = own.version.split_whitespace().next().unwrap_or("?").to_owned();
        if let Some(version) = own.compiler {
            return Ok(Toolchain { compiler, version, python: python.to_path_buf(), target });
        }
        let mut tried = vec![python.to_path_buf()];
        let minor: Vec<&str> = short.split('.').take(2).collect();
        if let (Some(impls), [a, b]) = (impls, minor.as_slice()) {
            let venv = impls.join(format!("venvs/cpython-{a}.{b}/bin/python"));
            if venv.exists() {
                tried.push(venv.clone());
                if let Ok(p) = probe(&venv, compiler) {
                    if let (Some(version), true) = (p.compiler, p.version == own.version) {
                        return Ok(Toolchain { compiler, version, python: venv, target });
                    }
                }
            }
        }
        Err(FindError::Missing {
            compiler,
            package: compiler.package(),
            python: python.to_path_buf(),
            version: short,
            tried,
        })
    }

    /// Who known-differences entries are matched against on this target (`--known`): the
    /// compiler as the implementation, its version as `versions` (`3.3.1`; a version it does not
    /// say in numbers is 0.0.0) and `cython 3.3.1 for 3.11.7 (main, ...)` as `version`, so that
    /// `implementation = "cython"` with `versions = ">=3.3, <3.4"` applies whatever CPython the
    /// module is built for, and a `version` pattern can narrow it to some. `host` is what the
    /// interpreter that runs the modules reported.
    pub fn known_info(&self, host: &InterpreterInfo) -> InterpreterInfo {
        let mut numbers = self.version.split(|c: char| !c.is_ascii_digit()).map(|n| n.parse::<u32>().ok());
        let mut next = || numbers.next().flatten().unwrap_or(0);
        let version = (next(), next(), next());
        InterpreterInfo {
            implementation: self.compiler.name().to_owned(),
            version,
            version_string: format!("{} for {}", self.name(), host.version_string),
            capabilities: host.capabilities,
        }
    }

    /// `cython 3.3.1`.
    pub fn name(&self) -> String {
        format!("{} {}", self.compiler, self.version)
    }

    /// The commands that build the module `name` (the file `name.py`) in the directory that
    /// holds it, as withstand builds a batch of one: what a reproducer prints.
    pub fn commands(&self, name: &str) -> Vec<Cmd> {
        let py = self.python.display().to_string();
        match self.compiler {
            Compiler::Cython => vec![
                Cmd::new(&[&py, "-m", "cython", &format!("--generate-shared={CYTHON_SHARED}.c")]),
                Cmd { env: Vec::new(), argv: self.cc_argv(CYTHON_SHARED) },
                Cmd::new(&[&py, "-m", "cython", "-3", &format!("--shared={CYTHON_SHARED}"), &format!("{name}.py")]),
                Cmd { env: Vec::new(), argv: self.cc_argv(name) },
            ],
            Compiler::Mypyc => vec![Cmd {
                env: vec![
                    ("MYPYPATH".to_owned(), STUBS_DIR.to_owned()),
                    ("MYPYC_OPT_LEVEL".to_owned(), "0".to_owned()),
                ],
                argv: [&py, "-m", "mypyc", &format!("{name}.py")].map(str::to_owned).to_vec(),
            }],
            Compiler::Nuitka => {
                let mut argv =
                    vec![py, "-m".to_owned(), "nuitka".to_owned(), "--module".to_owned(), format!("{name}.py")];
                argv.extend(NUITKA_FLAGS.iter().map(|s| s.to_string()));
                argv.push("--output-dir=.".to_owned());
                vec![Cmd { env: Vec::new(), argv }]
            }
        }
    }

    /// Files a build needs besides the program, relative to its directory: for mypyc, a stub of
    /// the prelude (every name `Any`), found through `MYPYPATH`, so that mypy neither checks
    /// nor compiles the prelude, which stays interpreted.
    pub fn support_files(&self) -> Vec<(String, &'static str)> {
        match self.compiler {
            Compiler::Mypyc => vec![(format!("{STUBS_DIR}/{}.pyi", crate::render::PRELUDE_MODULE), PRELUDE_STUB)],
            Compiler::Cython | Compiler::Nuitka => Vec::new(),
        }
    }

    /// The C compiler's command for the Cython module `name` (`name.c` to the extension module).
    fn cc_argv(&self, name: &str) -> Vec<String> {
        let mut argv = self.target.cc.clone();
        for flag in ["-shared", "-fPIC", "-O0", "-fwrapv", "-fno-strict-aliasing"] {
            argv.push(flag.to_owned());
        }
        argv.push(format!("-I{}", self.target.include));
        argv.push(format!("{name}.c"));
        argv.push("-o".to_owned());
        argv.push(format!("{name}{}", self.target.ext_suffix));
        argv
    }
}

/// The module of Cython's utility code (`cython --generate-shared`), built once per [`Builder`]
/// and shared by every module it builds (`cython --shared`): the C compiler then builds each
/// program's own code only, about half of what it builds otherwise.
pub const CYTHON_SHARED: &str = "withstand_cyshared";

/// Where mypyc's builds keep the prelude's stub ([`Toolchain::support_files`]).
const STUBS_DIR: &str = "stubs";

/// The prelude as mypy sees it when mypyc builds a program: every name `Any`.
const PRELUDE_STUB: &str = "# The withstand prelude, for mypy: every name is Any (the prelude itself stays interpreted).\nfrom typing import Any\n\ndef __getattr__(name: str) -> Any: ...\n";

/// Nuitka's flags besides the module and the output directory: quiet, no questions, no
/// following of imports (the prelude stays interpreted).
const NUITKA_FLAGS: &[&str] = &["--quiet", "--assume-yes-for-downloads", "--nofollow-imports"];

/// One command: environment variables to set, and the argument vector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cmd {
    /// Set for the command.
    pub env: Vec<(String, String)>,
    /// The program and its arguments.
    pub argv: Vec<String>,
}

impl Cmd {
    fn new(argv: &[&str]) -> Cmd {
        Cmd { env: Vec::new(), argv: argv.iter().map(|s| s.to_string()).collect() }
    }

    /// The command as a person types it into a POSIX shell, every word quoted where needed.
    pub fn shell(&self) -> String {
        let mut words: Vec<String> = self.env.iter().map(|(k, v)| format!("{k}={}", shell_quote(v))).collect();
        words.extend(self.argv.iter().map(|a| shell_quote(a)));
        words.join(" ")
    }
}

/// `word` quoted for a POSIX shell, unless it needs no quoting.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// How builds run.
#[derive(Clone)]
pub struct BuildConfig {
    /// How long one run of a compiler (or of the C compiler) may take before it counts as hung.
    pub timeout: Duration,
    /// The address-space limit of each compiler process, or none.
    pub memory_limit: Option<u64>,
    /// Asked while a build runs: stop now (the campaign is ending). A stopped build is
    /// [`BuildError::Stopped`].
    pub stop: Arc<dyn Fn() -> bool + Send + Sync>,
    /// How many C compilations a compiler may run at once (Nuitka's `--jobs`).
    pub jobs: usize,
}

impl fmt::Debug for BuildConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BuildConfig").field("timeout", &self.timeout).field("jobs", &self.jobs).finish()
    }
}

/// Why a batch was not built (a program the compiler fails on is not one of these: it is the
/// [`UnitBuild::Failed`] of that program).
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Files or processes could not be set up.
    #[error("cannot build in {dir:?}: {error}")]
    Io {
        /// Where.
        dir: PathBuf,
        /// What the operating system said.
        error: io::Error,
    },
    /// [`BuildConfig::stop`] said to stop.
    #[error("the build was stopped")]
    Stopped,
}

/// Where a compiled program failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// The compiler (or the C compiler it produced code for) did not build it.
    Build,
    /// It was built, but its module did not import.
    Import,
}

/// How a compiler failed on a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum How {
    /// It refused the program: an error message and a failing exit status.
    Rejected {
        /// `exit status 1`.
        status: String,
    },
    /// It crashed: killed by a signal, or an internal error (a traceback of the compiler's own,
    /// Cython's "Compiler crash", mypyc's "internal error", gcc's "internal compiler error").
    Crashed {
        /// `killed by signal 11`, `exit status 2`.
        status: String,
    },
    /// It ran past [`BuildConfig::timeout`] and was killed.
    Hung {
        /// The timeout.
        after: Duration,
    },
}

impl How {
    fn same_kind(&self, other: &How) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// A program a compiler did not build, or whose module did not import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildFailure {
    /// `cython 3.3.1`.
    pub compiler: String,
    /// Where it failed.
    pub stage: Stage,
    /// How.
    pub how: How,
    /// What went wrong, on one line, masked so that it does not depend on the program's names
    /// and numbers: `KeyError: "'MN' has no attribute '__enter__'"`. Failures with the same
    /// summary are very likely the same bug.
    pub summary: String,
    /// The compiler's output (its start and end), or the import error.
    pub output: String,
    /// The commands that failed, as a person types them.
    pub commands: Vec<String>,
}

impl BuildFailure {
    /// The failure of a built module to import (the worker's message: `ImportError: ...`).
    pub fn import_failed(compiler: &str, error: &str) -> BuildFailure {
        BuildFailure {
            compiler: compiler.to_owned(),
            stage: Stage::Import,
            how: How::Rejected { status: "import failed".to_owned() },
            summary: mask(first_line(error), &[]),
            output: error.to_owned(),
            commands: Vec::new(),
        }
    }

    /// One line for grouping: `compile: mypyc 2.4.1 crashes (exit status 2): KeyError: ...`.
    pub fn key(&self) -> String {
        let what = match (&self.stage, &self.how) {
            (Stage::Import, _) => "module does not import".to_owned(),
            (Stage::Build, How::Rejected { .. }) => "rejects".to_owned(),
            (Stage::Build, How::Crashed { status }) => format!("crashes ({status})"),
            (Stage::Build, How::Hung { after }) => format!("hangs (killed after {})", seconds(*after)),
        };
        format!("compile: {} {what}: {}", self.compiler, self.summary)
    }

    /// Whether `other` fails the same way: the same stage, the same kind of failure, the same
    /// summary. What shrinking keeps a candidate by.
    pub fn same_as(&self, other: &BuildFailure) -> bool {
        self.stage == other.stage && self.how.same_kind(&other.how) && self.summary == other.summary
    }

    /// What a `.diff` file of a compile finding holds: the commands, then the output.
    pub fn details(&self) -> String {
        let mut res = match (&self.stage, &self.how) {
            (Stage::Import, _) => format!("{}: the built module did not import\n", self.compiler),
            (Stage::Build, How::Rejected { status }) => format!("{} rejected the program ({status})\n", self.compiler),
            (Stage::Build, How::Crashed { status }) => format!("{} crashed ({status})\n", self.compiler),
            (Stage::Build, How::Hung { after }) => {
                format!("{} hung (killed after {})\n", self.compiler, seconds(*after))
            }
        };
        for c in &self.commands {
            res.push_str(&format!("$ {c}\n"));
        }
        res.push_str(&self.output);
        if !res.ends_with('\n') {
            res.push('\n');
        }
        res
    }
}

/// `10s`, `1.5s`, `300ms`.
fn seconds(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// One program to build: its module source (`render::module`).
#[derive(Clone, Debug)]
pub struct Unit {
    /// The module's source.
    pub source: String,
}

/// How one program of a batch came out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnitBuild {
    /// Built: import `module` from the directory `path`.
    Built {
        /// The directory to put on `sys.path`.
        path: String,
        /// The module's dotted name.
        module: String,
    },
    /// Not built.
    Failed(BuildFailure),
}

/// A batch, built: one [`UnitBuild`] per program, in order. Its directory is removed when it is
/// dropped, unless the builds are kept.
#[derive(Debug)]
pub struct Batch {
    dir: PathBuf,
    keep: bool,
    /// One per program of the batch.
    pub units: Vec<UnitBuild>,
    /// How many times a compiler was run (more than one when failures were bisected).
    pub builds: u32,
}

impl Batch {
    /// The worker request that runs program `i` (`None` if it was not built); `is_async` is
    /// whether its `main` is `async def`.
    pub fn request(&self, i: usize, is_async: bool) -> Option<String> {
        match &self.units[i] {
            UnitBuild::Built { path, module } => Some(proto::import_request(path, module, is_async)),
            UnitBuild::Failed(_) => None,
        }
    }

    /// Where it was built.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Builds batches of programs with one toolchain, each in a directory of its own under `root`.
/// Shared by the threads of a campaign.
pub struct Builder {
    toolchain: Toolchain,
    root: PathBuf,
    config: BuildConfig,
    keep: bool,
    next: AtomicU64,
    /// Compiler cache directories not in use (mypy's cache), each used by one build at a time.
    caches: Mutex<Vec<PathBuf>>,
    made_caches: AtomicU64,
    /// Cython's utility module ([`CYTHON_SHARED`]), once built: the file, or how it failed.
    cython_shared: Mutex<Option<Result<PathBuf, BuildFailure>>>,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder").field("toolchain", &self.toolchain).field("root", &self.root).finish()
    }
}

/// One run of a compiler over some programs of a batch: for each program, whether it built or
/// failed on its own (the compiler said which), or `None` when the run failed as a whole
/// (`rest`) without saying which of those programs is responsible.
struct Attempt {
    each: Vec<Option<UnitBuild>>,
    rest: Option<BuildFailure>,
}

impl Attempt {
    fn each(units: Vec<UnitBuild>) -> Attempt {
        Attempt { each: units.into_iter().map(Some).collect(), rest: None }
    }

    fn whole(n: usize, failure: BuildFailure) -> Attempt {
        Attempt { each: vec![None; n], rest: Some(failure) }
    }
}

impl Builder {
    /// A builder whose batches go under `root` (created); with `keep`, batch directories (and
    /// `root`) stay when done.
    pub fn new(toolchain: Toolchain, root: &Path, config: BuildConfig, keep: bool) -> Result<Builder, BuildError> {
        fs::create_dir_all(root).map_err(|error| BuildError::Io { dir: root.to_path_buf(), error })?;
        if root.to_str().is_none() {
            let error = io::Error::new(io::ErrorKind::InvalidInput, "the build directory must be valid UTF-8");
            return Err(BuildError::Io { dir: root.to_path_buf(), error });
        }
        Ok(Builder {
            toolchain,
            root: root.to_path_buf(),
            config,
            keep,
            next: AtomicU64::new(1),
            caches: Mutex::new(Vec::new()),
            made_caches: AtomicU64::new(0),
            cython_shared: Mutex::new(None),
        })
    }

    /// The toolchain.
    pub fn toolchain(&self) -> &Toolchain {
        &self.toolchain
    }

    /// Where batches are built.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether build directories are kept.
    pub fn keeps(&self) -> bool {
        self.keep
    }

    /// Builds `units`, one module each, and says for each whether it built, or how it failed:
    /// a failure is pinned on the one program responsible (bisecting the batch when the
    /// compiler does not say which).
    pub fn build(&self, units: &[Unit]) -> Result<Batch, BuildError> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let dir = self.root.join(format!("b{id}"));
        fs::create_dir_all(&dir).map_err(|error| BuildError::Io { dir: dir.clone(), error })?;
        let mut batch = Batch { dir, keep: self.keep, units: Vec::new(), builds: 0 };
        let names: Vec<String> = (0..units.len()).map(|i| format!("w{id}_{i}")).collect();
        let mut out: Vec<Option<UnitBuild>> = vec![None; units.len()];
        let all: Vec<usize> = (0..units.len()).collect();
        let mut attempts = 0u32;
        self.build_some(&batch.dir, &all, units, &names, &mut out, &mut attempts)?;
        batch.builds = attempts;
        batch.units = out.into_iter().map(|u| u.expect("every unit is built or failed")).collect();
        Ok(batch)
    }

    /// Builds the programs `which` (indices into `units`) in a directory of their own; bisects
    /// a failure of the whole run.
    fn build_some(
        &self,
        batch_dir: &Path,
        which: &[usize],
        units: &[Unit],
        names: &[String],
        out: &mut [Option<UnitBuild>],
        attempts: &mut u32,
    ) -> Result<(), BuildError> {
        if which.is_empty() {
            return Ok(());
        }
        *attempts += 1;
        let dir = batch_dir.join(format!("a{attempts}"));
        fs::create_dir_all(&dir).map_err(|error| BuildError::Io { dir: dir.clone(), error })?;
        let chosen: Vec<(&str, &Unit)> = which.iter().map(|&i| (names[i].as_str(), &units[i])).collect();
        let attempt = self.attempt(&dir, &chosen).map_err(|error| match error {
            AttemptError::Stopped => BuildError::Stopped,
            AttemptError::Io(error) => BuildError::Io { dir: dir.clone(), error },
        })?;
        let mut unsettled = Vec::new();
        for (&i, r) in which.iter().zip(attempt.each) {
            match r {
                Some(r) => out[i] = Some(r),
                None => unsettled.push(i),
            }
        }
        // What is left failed together, only among themselves (the others were told apart, or
        // never got that far): one is to blame, or the halves are built again.
        match (attempt.rest, unsettled.as_slice()) {
            (_, []) => {}
            (Some(failure), [i]) => out[*i] = Some(UnitBuild::Failed(failure)),
            (_, [i]) => {
                out[*i] = Some(UnitBuild::Failed(self.failure(
                    How::Rejected { status: "?".to_owned() },
                    "no result".to_owned(),
                    String::new(),
                    Vec::new(),
                )))
            }
            (_, _) => {
                let (a, b) = unsettled.split_at(unsettled.len() / 2);
                self.build_some(batch_dir, a, units, names, out, attempts)?;
                self.build_some(batch_dir, b, units, names, out, attempts)?;
            }
        }
        Ok(())
    }

    fn attempt(&self, dir: &Path, units: &[(&str, &Unit)]) -> Result<Attempt, AttemptError> {
        match self.toolchain.compiler {
            Compiler::Cython => self.cython(dir, units),
            Compiler::Mypyc => self.mypyc(dir, units),
            Compiler::Nuitka => self.nuitka(dir, units),
        }
    }

    /// Runs one compiler command in `dir`.
    fn run(&self, dir: &Path, cmd: &Cmd, extra_env: &[(&str, &Path)]) -> Result<Ran, AttemptError> {
        let mut command = Command::new(&cmd.argv[0]);
        command.args(&cmd.argv[1..]).current_dir(dir);
        for (k, v) in &cmd.env {
            command.env(k, v);
        }
        for (k, v) in extra_env {
            command.env(k, v);
        }
        let stop = Arc::clone(&self.config.stop);
        let done = process::run_to_end(
            command,
            &Limits { memory: self.config.memory_limit },
            Instant::now() + self.config.timeout,
            &move || stop(),
            MAX_OUTPUT_BYTES,
        )
        .map_err(AttemptError::Io)?;
        let status = match done.ended {
            Ended::Stopped => return Err(AttemptError::Stopped),
            Ended::TimedOut => None,
            Ended::Exited(s) => Some(s),
        };
        Ok(Ran { status, output: done.output, command: cmd.shell() })
    }

    /// A failure of a whole run, for bisection (or for the one program of the run).
    fn whole(&self, ran: &Ran, names: &[&str]) -> BuildFailure {
        let (how, summary) = match ran.status {
            None => (How::Hung { after: self.config.timeout }, "the compiler did not finish".to_owned()),
            Some(status) => {
                let text = process::describe(status);
                let how = if status_is_crash(status) || crash_text(&ran.output) {
                    How::Crashed { status: text }
                } else {
                    How::Rejected { status: text }
                };
                (how, mask(&error_line(&ran.output), names))
            }
        };
        self.failure(how, summary, ran.output.clone(), vec![ran.command.clone()])
    }

    fn failure(&self, how: How, summary: String, output: String, commands: Vec<String>) -> BuildFailure {
        BuildFailure { compiler: self.toolchain.name(), stage: Stage::Build, how, summary, output, commands }
    }

    /// Cython's utility module, built the first time it is asked for (under the root, in
    /// `cyshared/`, unless a builder on the same root built it already): its file, or how
    /// building it failed (then every program fails so).
    fn cython_shared(&self) -> Result<Result<PathBuf, BuildFailure>, AttemptError> {
        let mut shared = self.cython_shared.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(it) = &*shared {
            return Ok(it.clone());
        }
        let dir = self.root.join("cyshared");
        fs::create_dir_all(&dir).map_err(AttemptError::Io)?;
        let py = self.toolchain.python.display().to_string();
        let generate = Cmd::new(&[&py, "-m", "cython", &format!("--generate-shared={CYTHON_SHARED}.c")]);
        let cc = Cmd { env: Vec::new(), argv: self.toolchain.cc_argv(CYTHON_SHARED) };
        let built = dir.join(format!("{CYTHON_SHARED}{}", self.toolchain.target.ext_suffix));
        if built.exists() {
            // Built by an earlier builder on the same root.
            *shared = Some(Ok(built.clone()));
            return Ok(Ok(built));
        }
        let mut res = Ok(built);
        for cmd in [generate, cc] {
            let ran = self.run(&dir, &cmd, &[])?;
            if !ran.status.is_some_and(|s| s.success()) {
                res = Err(self.whole(&ran, &[]));
                break;
            }
        }
        if let Ok(path) = &res {
            if !path.exists() {
                let error =
                    io::Error::new(io::ErrorKind::NotFound, format!("Cython's utility module was not built: {path:?}"));
                return Err(AttemptError::Io(error));
            }
        }
        *shared = Some(res.clone());
        Ok(res)
    }

    fn cython(&self, dir: &Path, units: &[(&str, &Unit)]) -> Result<Attempt, AttemptError> {
        let names: Vec<&str> = units.iter().map(|(n, _)| *n).collect();
        let shared = match self.cython_shared()? {
            Ok(shared) => shared,
            Err(failure) => {
                return Ok(Attempt::each(units.iter().map(|_| UnitBuild::Failed(failure.clone())).collect()))
            }
        };
        // Each directory a module is imported from has the utility module beside it.
        let file = shared.file_name().expect("a file");
        fs::hard_link(&shared, dir.join(file))
            .or_else(|_| fs::copy(&shared, dir.join(file)).map(|_| ()))
            .map_err(AttemptError::Io)?;
        let py = self.toolchain.python.display().to_string();
        let mut argv =
            vec![py, "-m".to_owned(), "cython".to_owned(), "-3".to_owned(), format!("--shared={CYTHON_SHARED}")];
        for (name, unit) in units {
            write(dir, &format!("{name}.py"), &unit.source)?;
            argv.push(format!("{name}.py"));
        }
        let ran = self.run(dir, &Cmd { env: Vec::new(), argv }, &[])?;
        if ran.status.is_none_or(status_is_crash) {
            return Ok(Attempt::whole(units.len(), self.whole(&ran, &names)));
        }
        let status = ran.status.map(process::describe).unwrap_or_default();
        let translated: Vec<bool> = units.iter().map(|(name, _)| dir.join(format!("{name}.c")).exists()).collect();
        let n = translated.iter().filter(|t| **t).count();
        if n == 0 || (n == units.len() && !ran.status.is_some_and(|s| s.success())) {
            // Nothing to tell the programs apart by, or a failure no program was blamed for.
            return Ok(Attempt::whole(units.len(), self.whole(&ran, &names)));
        }
        let mut out: Vec<Option<UnitBuild>> = vec![None; units.len()];
        for (((name, _), c), slot) in units.iter().zip(&translated).zip(out.iter_mut()) {
            if !c {
                let lines = cython_errors(&ran.output, name);
                let how = if lines.contains("Compiler crash") {
                    How::Crashed { status: status.clone() }
                } else {
                    How::Rejected { status: status.clone() }
                };
                let first = lines.lines().find(|l| l.starts_with(&format!("{name}.py:"))).unwrap_or("");
                let summary = mask(if first.is_empty() { &lines } else { first }, &names);
                *slot = Some(UnitBuild::Failed(self.failure(how, summary, lines, vec![ran.command.clone()])));
            }
        }
        // The C compiler, one module at a time (`jobs` at once): its failures are blamed by
        // construction.
        let todo: Vec<usize> = (0..units.len()).filter(|&i| translated[i]).collect();
        let next = AtomicU64::new(0);
        let cc_one = |i: usize| -> Result<UnitBuild, AttemptError> {
            let name = units[i].0;
            let cc = Cmd { env: Vec::new(), argv: self.toolchain.cc_argv(name) };
            let built = self.run(dir, &cc, &[])?;
            Ok(match built.status {
                Some(s) if s.success() && dir.join(format!("{name}{}", self.toolchain.target.ext_suffix)).exists() => {
                    UnitBuild::Built { path: path_text(dir), module: name.to_string() }
                }
                _ => UnitBuild::Failed(self.whole(&built, &names)),
            })
        };
        let results: Vec<Vec<(usize, Result<UnitBuild, AttemptError>)>> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..self.config.jobs.clamp(1, todo.len().max(1)))
                .map(|_| {
                    scope.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            let k = next.fetch_add(1, Ordering::Relaxed) as usize;
                            let Some(&i) = todo.get(k) else { break };
                            let r = cc_one(i);
                            let stop = r.is_err();
                            mine.push((i, r));
                            if stop {
                                // Stopped, or the files failed: the others stop at their next.
                                next.store(u64::MAX / 2, Ordering::Relaxed);
                                break;
                            }
                        }
                        mine
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().expect("a C compiler thread panicked")).collect()
        });
        for (i, r) in results.into_iter().flatten() {
            out[i] = Some(r?);
        }
        Ok(Attempt { each: out, rest: None })
    }

    fn mypyc(&self, dir: &Path, units: &[(&str, &Unit)]) -> Result<Attempt, AttemptError> {
        for (path, text) in self.toolchain.support_files() {
            let path = dir.join(path);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(AttemptError::Io)?;
            }
            fs::write(&path, text).map_err(AttemptError::Io)?;
        }
        let py = self.toolchain.python.display().to_string();
        let mut argv = vec![py, "-c".to_owned(), MYPYC_BUILD_PY.to_owned()];
        for (name, unit) in units {
            write(dir, &format!("{name}.py"), &unit.source)?;
            argv.push((*name).to_owned());
        }
        let cache = self.take_cache()?;
        let env = vec![("MYPYPATH".to_owned(), STUBS_DIR.to_owned())];
        let ran = self.run(dir, &Cmd { env, argv }, &[("MYPY_CACHE_DIR", &cache)]);
        self.give_back(cache);
        let mut ran = ran?;
        // The driver's long source is no use in a report: name it.
        ran.command = format!(
            "{} -c <mypyc_build.py> {}",
            shell_quote(&self.toolchain.python.display().to_string()),
            units.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(" ")
        );
        let names: Vec<&str> = units.iter().map(|(n, _)| *n).collect();
        let result: Option<MypycResult> =
            fs::read_to_string(dir.join("withstand-result.json")).ok().and_then(|t| serde_json::from_str(&t).ok());
        let Some(result) = result.filter(|_| ran.status.is_some()) else {
            return Ok(Attempt::whole(units.len(), self.whole(&ran, &names)));
        };
        let mut each = Vec::with_capacity(units.len());
        for name in &names {
            match result.failed.iter().find(|f| f.module == *name) {
                Some(f) => {
                    let status = format!("exit status {}", f.status);
                    let how = if f.crash { How::Crashed { status } } else { How::Rejected { status } };
                    let summary = mask(&mypyc_error_line(&f.output, name), &names);
                    each.push(Some(UnitBuild::Failed(self.failure(
                        how,
                        summary,
                        f.output.clone(),
                        vec![ran.command.clone()],
                    ))));
                }
                None if result.whole.is_none()
                    && dir.join(format!("{name}{}", self.toolchain.target.ext_suffix)).exists() =>
                {
                    each.push(Some(UnitBuild::Built { path: path_text(dir), module: name.to_string() }))
                }
                None => each.push(None),
            }
        }
        // What failed without a program named (the C build, say) is the others' to share.
        let rest = each.iter().any(Option::is_none).then(|| {
            let crash = result.whole.as_ref().is_some_and(|w| w.crash);
            let status = ran.status.map(process::describe).unwrap_or_default();
            let how = if crash { How::Crashed { status } } else { How::Rejected { status } };
            self.failure(how, mask(&error_line(&ran.output), &names), ran.output.clone(), vec![ran.command.clone()])
        });
        Ok(Attempt { each, rest })
    }

    fn nuitka(&self, dir: &Path, units: &[(&str, &Unit)]) -> Result<Attempt, AttemptError> {
        let py = self.toolchain.python.display().to_string();
        let src = dir.join("src");
        let built = dir.join("out");
        for d in [&src, &built] {
            fs::create_dir_all(d).map_err(AttemptError::Io)?;
        }
        let names: Vec<&str> = units.iter().map(|(n, _)| *n).collect();
        // One program is built as a module (as a reproducer builds it), several as a package.
        let (target, modules, artifact) = if let [(name, unit)] = units {
            write(&src, &format!("{name}.py"), &unit.source)?;
            (format!("{name}.py"), vec![name.to_string()], name.to_string())
        } else {
            let pkg = package_name(dir, names[0]);
            let pkg_dir = src.join(&pkg);
            fs::create_dir_all(&pkg_dir).map_err(AttemptError::Io)?;
            write(&pkg_dir, "__init__.py", "")?;
            for (name, unit) in units {
                write(&pkg_dir, &format!("{name}.py"), &unit.source)?;
            }
            (pkg.clone(), names.iter().map(|n| format!("{pkg}.{n}")).collect(), pkg.clone())
        };
        let mut argv = vec![py, "-m".to_owned(), "nuitka".to_owned(), "--module".to_owned(), target.clone()];
        if units.len() > 1 {
            argv.push(format!("--include-package={target}"));
        }
        argv.extend(NUITKA_FLAGS.iter().map(|s| s.to_string()));
        argv.push(format!("--jobs={}", self.config.jobs.max(1)));
        argv.push(format!("--output-dir={}", path_text(&built)));
        let cache = self.take_cache()?;
        let ran = self.run(&src, &Cmd { env: Vec::new(), argv }, &[("NUITKA_CACHE_DIR", &cache)]);
        self.give_back(cache);
        let ran = ran?;
        let ok = ran.status.is_some_and(|s| s.success())
            && built.join(format!("{artifact}{}", self.toolchain.target.ext_suffix)).exists();
        if !ok {
            return Ok(Attempt::whole(units.len(), self.whole(&ran, &names)));
        }
        let path = path_text(&built);
        // A package Nuitka reports as built can lack its modules (a whole batch of 30 did not
        // import in a campaign; each of them built alone does): those are built again, halved,
        // rather than blamed each on its program.
        let missing = if units.len() > 1 { self.missing_modules(&built, &target, &names)? } else { Vec::new() };
        if !missing.is_empty() {
            let each = names
                .iter()
                .zip(modules)
                .map(|(name, module)| {
                    (!missing.iter().any(|m| m == name)).then(|| UnitBuild::Built { path: path.clone(), module })
                })
                .collect();
            let summary = "the package was built without the module".to_owned();
            let output = format!("{}\nnot in the package: {}", ran.output, missing.join(" "));
            let failure =
                self.failure(How::Rejected { status: "exit status 0".to_owned() }, summary, output, vec![ran.command]);
            return Ok(Attempt { each, rest: Some(failure) });
        }
        Ok(Attempt::each(modules.into_iter().map(|module| UnitBuild::Built { path: path.clone(), module }).collect()))
    }

    /// The modules of package `pkg`, built into `dir`, that importing the package does not make
    /// findable.
    fn missing_modules(&self, dir: &Path, pkg: &str, names: &[&str]) -> Result<Vec<String>, AttemptError> {
        let py = self.toolchain.python.display().to_string();
        let mut argv = vec![py, "-c".to_owned(), PACKAGE_CHECK.to_owned(), path_text(dir), pkg.to_owned()];
        argv.extend(names.iter().map(|n| n.to_string()));
        let ran = self.run(dir, &Cmd { env: Vec::new(), argv }, &[])?;
        if !ran.status.is_some_and(|s| s.success()) {
            // The package itself does not import: every module is missing.
            return Ok(names.iter().map(|n| n.to_string()).collect());
        }
        Ok(ran.output.lines().filter_map(|l| l.strip_prefix("missing ")).map(str::to_owned).collect())
    }

    /// A cache directory no other build uses now.
    fn take_cache(&self) -> Result<PathBuf, AttemptError> {
        if let Some(dir) = self.caches.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            return Ok(dir);
        }
        let n = self.made_caches.fetch_add(1, Ordering::Relaxed);
        let dir = self.root.join(format!("cache-{n}"));
        fs::create_dir_all(&dir).map_err(AttemptError::Io)?;
        Ok(dir)
    }

    fn give_back(&self, cache: PathBuf) {
        self.caches.lock().unwrap_or_else(|e| e.into_inner()).push(cache);
    }

    /// Removes the root (every batch and cache under it), unless the builds are kept.
    pub fn clean(&self) {
        if !self.keep {
            let _ = fs::remove_dir_all(&self.root);
        }
    }
}

/// The package an attempt (its directory `a2`) builds programs `w7_0`, ... into: `w7a2p`. Named
/// after the attempt too: the worker keeps what it imported, so the package of a batch's second
/// attempt must not be taken for the first one's (in `sys.modules`), which lacks its modules (a
/// campaign blamed 52 programs for it).
fn package_name(attempt_dir: &Path, first: &str) -> String {
    let attempt = attempt_dir.file_name().and_then(|n| n.to_str()).unwrap_or("a");
    format!("{}{attempt}p", first.split('_').next().unwrap_or("w"))
}

/// Imports a built package (argv: its directory, its name, then module names) and prints
/// `missing NAME` for each module it does not make findable; no module is run.
const PACKAGE_CHECK: &str = "import importlib.util, sys
sys.path.insert(0, sys.argv[1])
pkg = sys.argv[2]
__import__(pkg)
for n in sys.argv[3:]:
    if importlib.util.find_spec(pkg + '.' + n) is None:
        print('missing ' + n)
";

/// What `mypyc_build.py` writes to `withstand-result.json`.
#[derive(Deserialize)]
struct MypycResult {
    /// Programs mypyc failed on, each on its own.
    failed: Vec<MypycFailed>,
    /// A failure no program was named in.
    whole: Option<MypycWhole>,
}

#[derive(Deserialize)]
struct MypycFailed {
    module: String,
    output: String,
    status: i64,
    crash: bool,
}

#[derive(Deserialize)]
struct MypycWhole {
    crash: bool,
}

enum AttemptError {
    Stopped,
    Io(io::Error),
}

/// One compiler run.
struct Ran {
    /// `None` when it timed out.
    status: Option<std::process::ExitStatus>,
    output: String,
    command: String,
}

fn write(dir: &Path, name: &str, text: &str) -> Result<(), AttemptError> {
    fs::write(dir.join(name), text).map_err(AttemptError::Io)
}

fn path_text(dir: &Path) -> String {
    dir.to_str().expect("the root is checked to be UTF-8 and names are ASCII").to_owned()
}

fn status_is_crash(status: std::process::ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.signal().is_some()
}

/// Whether a compiler's output says it crashed rather than refused: a traceback of its own, or
/// an internal error.
fn crash_text(output: &str) -> bool {
    [
        "Compiler crash",
        "internal compiler error",
        "INTERNAL ERROR",
        "internal mypyc error",
        "Traceback (most recent call last)",
        "Nuitka-Reports: Compile crash",
        "Nuitka:ERROR: Nuitka",
    ]
    .iter()
    .any(|w| output.contains(w))
}

/// The lines of Cython's output about the file `name.py`: each "Error compiling Cython file"
/// block whose location names it, or else every line that names it (warnings aside).
fn cython_errors(output: &str, name: &str) -> String {
    let file = format!("{name}.py:");
    let mut res = Vec::new();
    let mut block: Vec<&str> = Vec::new();
    for line in output.lines() {
        if line.starts_with("Error compiling Cython file") {
            block.clear();
        }
        block.push(line);
        if line.starts_with(&file) {
            res.append(&mut block);
        } else if line.starts_with("warning:") {
            block.clear();
        }
    }
    if res.is_empty() {
        return output
            .lines()
            .filter(|l| l.contains(&file) && !l.starts_with("warning:"))
            .collect::<Vec<_>>()
            .join("\n");
    }
    res.join("\n")
}

/// The line of mypyc's output that says what is wrong with `name`: its error, or the last line
/// of the traceback of a crash on it.
fn mypyc_error_line(output: &str, name: &str) -> String {
    let file = format!("{name}.py:");
    let mine: Vec<&str> = output.lines().filter(|l| l.starts_with(&file)).collect();
    let pick = mine.iter().find(|l| l.contains(": error:")).or(mine.first());
    match pick {
        Some(l) => l.to_string(),
        None => error_line(output),
    }
}

/// The line of a compiler's output most likely to say what went wrong: the first that reports
/// an error (`error:`, `Error:`), else the first that names one (`KeyError`, `Error compiling`),
/// else the last non-empty line.
fn error_line(output: &str) -> String {
    let lines: Vec<&str> = output.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let reports = |l: &&&str| {
        let lower = l.to_ascii_lowercase();
        !lower.starts_with("warning")
            && (lower.starts_with("error") || lower.contains(" error:") || lower.contains(":error:"))
    };
    let names = |l: &&&str| l.contains("Error") && !l.to_ascii_lowercase().starts_with("warning");
    lines
        .iter()
        .find(reports)
        .or_else(|| lines.iter().find(names))
        .or(lines.last())
        .map_or_else(String::new, |l| l.to_string())
}

fn first_line(text: &str) -> &str {
    text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("")
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" / ")
}

/// `line` as a grouping key: a leading `file:line:col:` location dropped, the build's module
/// names (`names`, and any `w<n>_<n>` or `w<n>p`, also after `_` as in `PyInit_w3_1`) written `MOD`, runs of digits `N`, whitespace
/// collapsed, cut to 200 bytes. `p0017.py:39: KeyError: "'M1' has no attribute '__enter__'"`
/// becomes `KeyError: "'MN' has no attribute '__enter__'"`.
pub fn mask(line: &str, names: &[&str]) -> String {
    let mut text = line.trim();
    if let Some(rest) = location_split(text) {
        text = rest.trim_start();
    }
    let mut text = text.to_owned();
    for name in names {
        text = text.replace(name, "MOD");
    }
    let b = text.as_bytes();
    let word = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
    let digits = |i: usize| b[i.min(b.len())..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut res = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'w' && (i == 0 || !word(i - 1) || b[i - 1] == b'_') && digits(i + 1) > 0 {
            // A module name of a build: w<digits>_<digits>, or the package w<digits>p.
            let j = i + 1 + digits(i + 1);
            let end = match b.get(j) {
                Some(b'_') if digits(j + 1) > 0 => Some(j + 1 + digits(j + 1)),
                Some(b'p') => Some(j + 1),
                _ => None,
            };
            if let Some(end) = end.filter(|&e| !word(e)) {
                res.push_str("MOD");
                i = end;
                continue;
            }
        }
        if b[i].is_ascii_digit() {
            res.push('N');
            i += digits(i);
            continue;
        }
        if b[i].is_ascii_whitespace() {
            if !res.ends_with(' ') {
                res.push(' ');
            }
            i += 1;
            continue;
        }
        // Copy one character (the text is UTF-8; `i` is always at a character boundary).
        let ch = text[i..].chars().next().expect("in bounds");
        res.push(ch);
        i += ch.len_utf8();
    }
    crate::verdict::clip(res.trim(), 200)
}

/// What follows a leading `path:LINE:` or `path:LINE:COL:` location, if `text` starts with one.
fn location_split(text: &str) -> Option<&str> {
    let first = text.find(':')?;
    let path = &text[..first];
    if path.is_empty() || path.contains(' ') {
        return None;
    }
    let mut rest = &text[first + 1..];
    let mut matched = false;
    for _ in 0..2 {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || rest.as_bytes().get(digits) != Some(&b':') {
            break;
        }
        rest = &rest[digits + 1..];
        matched = true;
    }
    matched.then_some(rest)
}

#[cfg(test)]
mod tests;
