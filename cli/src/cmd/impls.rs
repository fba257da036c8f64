//! `withstand impls`: the Python implementations withstand finds here (on `PATH`, in pyenv, and
//! in the directory `scripts/setup-impls.sh` installs into), each started once: its name (what
//! `--python NAME` takes), version, the profile it is judged as, the transport it runs through,
//! its capabilities, its start-up time and, for a CPython, the compilers `--compile` finds for
//! it. Also the resolution of `--python NAME`, and the lines every command's summary gives about
//! transport and capabilities.

use std::env;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use oracle::capability::{Capabilities, Effect};
use oracle::judge::{self, profile_for};
use oracle::runner::{Transport, Worker};

use crate::args::{parse_duration, TransportArg};

/// List the Python implementations found here, how each is judged and how it runs.
#[derive(clap::Args)]
#[command(
    after_help = "Interpreters are looked for on PATH (python3, python3.X, pypy3, rustpython, micropython, graalpy, pyodide), in pyenv's versions, and in $WITHSTAND_IMPLS/bin (default ~/.cache/withstand/impls/bin, where scripts/setup-impls.sh installs). The NAME column is what --python takes. Under each CPython, the compilers --compile finds for it (Cython, mypyc, Nuitka: in the interpreter, or in $WITHSTAND_IMPLS/venvs/cpython-3.X, which scripts/setup-impls.sh --compilers makes).\n\nExit status: 0 at least one interpreter found and started, 1 none could be started, 2 usage error."
)]
pub struct Args {
    /// List only, without starting the interpreters.
    #[arg(long)]
    no_start: bool,
    /// How programs would reach each interpreter.
    #[arg(long, value_enum, default_value = "auto")]
    transport: TransportArg,
    /// The least time each interpreter gets to start.
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    start_timeout: Duration,
}

/// Where an interpreter was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Path,
    Setup,
    Pyenv,
}

impl Source {
    fn name(self) -> &'static str {
        match self {
            Source::Path => "PATH",
            Source::Setup => "setup-impls",
            Source::Pyenv => "pyenv",
        }
    }
}

/// One interpreter found: the name `--python` takes, and where it is.
#[derive(Clone, Debug)]
struct Found {
    name: String,
    path: PathBuf,
    source: Source,
}

/// What names on PATH are taken for Python implementations.
fn is_python_name(name: &str) -> bool {
    let versioned = |prefix: &str| {
        name.strip_prefix(prefix).is_some_and(|rest| {
            rest.is_empty()
                || rest.strip_prefix('.').is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        })
    };
    versioned("python3")
        || versioned("pypy3")
        || matches!(name, "pypy" | "rustpython" | "micropython" | "graalpy" | "pyodide" | "circuitpython")
}

/// The directory `scripts/setup-impls.sh` writes its launchers into.
pub fn setup_dir() -> Option<PathBuf> {
    if let Some(dir) = env::var_os("WITHSTAND_IMPLS") {
        return Some(PathBuf::from(dir).join("bin"));
    }
    env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/withstand/impls/bin"))
}

fn pyenv_root() -> Option<PathBuf> {
    if let Some(root) = env::var_os("PYENV_ROOT") {
        return Some(PathBuf::from(root));
    }
    env::var_os("HOME").map(|home| PathBuf::from(home).join(".pyenv"))
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// pyenv's interpreters: `python3.11` for `versions/3.11.7/bin/python3`, the newest patch release
/// of each minor version; `pypy3.9` for `versions/pypy3.9-7.3.16/bin/pypy3`.
fn pyenv_versions() -> Vec<Found> {
    let Some(root) = pyenv_root() else { return Vec::new() };
    let Ok(entries) = fs::read_dir(root.join("versions")) else { return Vec::new() };
    let mut versions: Vec<(String, Vec<u32>, PathBuf)> = Vec::new();
    for e in entries.flatten() {
        let dir = e.file_name().to_string_lossy().into_owned();
        let (name, numbers, exe) = if let Some(rest) = dir.strip_prefix("pypy") {
            let minor = rest.split('-').next().unwrap_or("").to_owned();
            (format!("pypy{minor}"), Vec::new(), "pypy3")
        } else {
            let numbers: Vec<u32> = dir.split('.').map_while(|n| n.parse().ok()).collect();
            if numbers.len() < 2 || numbers[0] != 3 {
                continue;
            }
            (format!("python3.{}", numbers[1]), numbers, "python3")
        };
        let path = e.path().join("bin").join(exe);
        if is_executable(&path) {
            versions.push((name, numbers, path));
        }
    }
    versions.sort();
    let mut res: Vec<Found> = Vec::new();
    for (name, _, path) in versions.into_iter().rev() {
        if !res.iter().any(|f| f.name == name) {
            res.push(Found { name, path, source: Source::Pyenv });
        }
    }
    res.reverse();
    res
}

/// Whether `dir` holds pyenv's shims, which run only the versions pyenv is set to: a shim named
/// `python3.10` fails when 3.10 is not among them.
fn is_pyenv_shims(dir: &Path) -> bool {
    pyenv_root().is_some_and(|root| dir == root.join("shims"))
}

/// Whether `name` names a minor version (`python3.10`, `pypy3.9`), which pyenv's shim runs only
/// when that version is selected; a shim of any other name always runs the selected one.
fn names_a_minor(name: &str) -> bool {
    name.rsplit_once('.').is_some_and(|(_, minor)| !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit()))
}

/// What pyenv's shim `name` runs (`pyenv which NAME`), or `None` where it runs nothing.
fn shim_target(name: &str) -> Option<PathBuf> {
    let out =
        std::process::Command::new("pyenv").args(["which", name]).stderr(std::process::Stdio::null()).output().ok()?;
    let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    (out.status.success() && is_executable(&path)).then_some(path)
}

/// The executables named like Pythons in `dir`, sorted.
fn pythons_in(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else { return Vec::new() };
    let mut names: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| is_python_name(n) && is_executable(&dir.join(n)))
        .collect();
    names.sort();
    names
}

/// Every interpreter found, one per name, in the order `--python NAME` looks: PATH as a shell
/// looks (a pyenv shim counts as what it runs, and not at all when it runs nothing), the setup
/// directory, pyenv's versions.
fn discover() -> Vec<Found> {
    let mut res: Vec<Found> = Vec::new();
    let add = |found: Found, res: &mut Vec<Found>| {
        if !res.iter().any(|f| f.name == found.name) {
            res.push(found);
        }
    };
    for dir in env::var_os("PATH").map(|p| env::split_paths(&p).collect::<Vec<_>>()).unwrap_or_default() {
        let shims = is_pyenv_shims(&dir);
        for name in pythons_in(&dir) {
            if res.iter().any(|f| f.name == name) {
                continue;
            }
            let path = if shims && names_a_minor(&name) {
                match shim_target(&name) {
                    Some(path) => path,
                    None => continue,
                }
            } else {
                dir.join(&name)
            };
            add(Found { name, path, source: Source::Path }, &mut res);
        }
    }
    if let Some(dir) = setup_dir() {
        if let Ok(entries) = fs::read_dir(&dir) {
            let mut names: Vec<String> =
                entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
            names.sort();
            for name in names {
                let path = dir.join(&name);
                if is_executable(&path) {
                    add(Found { name, path, source: Source::Setup }, &mut res);
                }
            }
        }
    }
    for found in pyenv_versions() {
        add(found, &mut res);
    }
    res
}

/// `--python NAME`: a path (anything with a `/`) as it is; a name a shell finds on `PATH` as it
/// is (the process is started through `PATH`, as before); otherwise the interpreter `withstand
/// impls` lists under that name (the setup directory's launcher, pyenv's version; a pyenv shim
/// that runs nothing is passed over); an unknown name as it is, to fail with the usual message.
pub fn resolve(python: &Path) -> PathBuf {
    let Some(name) = python.to_str().filter(|n| !n.contains('/') && !n.is_empty()) else {
        return python.to_owned();
    };
    let first_on_path = env::var_os("PATH").and_then(|p| env::split_paths(&p).find(|d| is_executable(&d.join(name))));
    match first_on_path {
        Some(dir) if !is_pyenv_shims(&dir) => return python.to_owned(),
        Some(_) if !names_a_minor(name) || shim_target(name).is_some() => return python.to_owned(),
        _ => {}
    }
    match discover().into_iter().find(|f| f.name == name) {
        Some(found) => found.path,
        None => python.to_owned(),
    }
}

/// How a worker came to run: its transport and the notes on why.
pub struct StartedAs {
    transport: Transport,
    description: String,
    notes: Vec<String>,
}

/// What a summary says about how `worker` runs.
pub fn started_as(worker: &Worker) -> StartedAs {
    StartedAs {
        transport: worker.transport(),
        description: worker.transport_description(),
        notes: worker.notes().to_vec(),
    }
}

/// The summary's lines about the transport and the capabilities: nothing for a CPython-like
/// interpreter through the worker; otherwise the transport and why, and one line per missing
/// capability saying what was left out or masked, then every capability change seen.
pub fn summary_lines(started: &StartedAs, capabilities: Capabilities, changes: &[String]) -> Vec<String> {
    let mut res = Vec::new();
    if started.transport != Transport::Worker || !started.notes.is_empty() {
        let why = if started.notes.is_empty() { String::new() } else { format!("; {}", started.notes.join("; ")) };
        res.push(format!("transport: {}{why}", started.description));
    }
    if capabilities != Capabilities::FULL {
        res.push(format!("capabilities: {capabilities}"));
        for c in capabilities.missing() {
            let effect = match c.effect() {
                Effect::LeftOut(what) => format!("{what} left out"),
                Effect::Masked(what) | Effect::Emulated(what) | Effect::Nothing(what) => what.to_owned(),
            };
            res.push(format!("  without {c}: {effect}"));
        }
    }
    for change in changes {
        res.push(format!("capabilities changed: {change} (programs are still generated and judged for the first)"));
    }
    res
}

/// One row of the listing.
struct Row {
    found: Found,
    /// How it started, or why it did not.
    started: Result<Started, String>,
}

/// What an interpreter said when it was started.
struct Started {
    /// `cpython 3.11.7`.
    version: String,
    /// `rustpython-3.14 as cpython-3.14`.
    profile: String,
    /// `worker` or `process`.
    transport: String,
    /// As its profile judges them.
    capabilities: Capabilities,
    /// How long the start took.
    took: Duration,
    /// Why it runs as it does.
    notes: Vec<String>,
    /// The compilers `--compile` finds for it (CPython only): `cython 3.3.1`, with the Python
    /// that runs them.
    compilers: Vec<(String, PathBuf)>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let found = discover();
    if found.is_empty() {
        outln!(
            "impls: no Python found on PATH, in pyenv or in {}",
            setup_dir().map_or("-".into(), |d| d.display().to_string())
        );
        return Ok(ExitCode::from(1));
    }
    if args.no_start {
        for f in &found {
            outln!("{:<14} {:<12} {}", f.name, f.source.name(), f.path.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    // Started a few at a time: Pyodide alone takes seconds.
    let (tx, rx) = mpsc::channel();
    let queue = std::sync::Arc::new(std::sync::Mutex::new(found.iter().cloned().enumerate().collect::<Vec<_>>()));
    let transport: Transport = args.transport.into();
    for _ in 0..3 {
        let (tx, queue) = (tx.clone(), queue.clone());
        let start_timeout = args.start_timeout;
        thread::spawn(move || loop {
            let Some((i, f)) = queue.lock().unwrap_or_else(|e| e.into_inner()).pop() else { return };
            let started = start(&f.path, transport, start_timeout);
            if tx.send((i, Row { found: f, started })).is_err() {
                return;
            }
        });
    }
    drop(tx);
    let mut rows: Vec<(usize, Row)> = rx.iter().collect();
    rows.sort_by_key(|(i, _)| *i);
    let mut any = false;
    outln!("{:<14} {:<24} {:<36} {:<9} {:>7}  {}", "NAME", "VERSION", "PROFILE", "TRANSPORT", "START", "CAPABILITIES");
    for (_, row) in &rows {
        match &row.started {
            Ok(it) => {
                any = true;
                outln!(
                    "{:<14} {:<24} {:<36} {:<9} {:>6.2}s  {}",
                    row.found.name,
                    it.version,
                    it.profile,
                    it.transport,
                    it.took.as_secs_f64(),
                    it.capabilities
                );
                for n in &it.notes {
                    outln!("{:<14}   {n}", "");
                }
                for line in compiler_lines(&it.compilers) {
                    outln!("{:<14}   {line}", "");
                }
            }
            Err(why) => outln!("{:<14} not usable: {}", row.found.name, crate::limits::clip_message(why, 300)),
        }
    }
    outln!(
        "(names are what --python takes; found on PATH, in pyenv, and in {})",
        setup_dir().map_or("-".into(), |d| d.display().to_string())
    );
    Ok(if any { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn start(python: &Path, transport: Transport, start_timeout: Duration) -> Result<Started, String> {
    let mut config = judge::worker_config(python, Duration::from_secs(10));
    config.transport = transport;
    config.start_timeout = start_timeout;
    let t = Instant::now();
    let worker = Worker::spawn(&config).map_err(|e| e.to_string())?;
    let took = t.elapsed();
    let info = worker.info();
    let (a, b, c) = info.version;
    let version = format!("{} {a}.{b}.{c}", info.implementation);
    // Capabilities as the profile judges them: what its CPython lacks too is not missing.
    let (profile, capabilities) = match profile_for(info, None) {
        Ok(p) => (p.describe(), worker.capabilities().for_profile(p)),
        Err(e) => (format!("none ({e})"), worker.capabilities()),
    };
    let transport = worker.transport().name().to_owned();
    let notes = worker.notes().to_vec();
    // Only CPython has the C API the compilers build for.
    let compilers = if info.implementation == "cpython" {
        crate::compile::compilers_report(python)
            .into_iter()
            .filter_map(|(_, found)| found.ok().map(|t| (t.name(), t.python)))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Started { version, profile, transport, capabilities, took, notes, compilers })
}

/// The lines under an interpreter that list the compilers found for it, one per Python that runs
/// them: `compilers: cython 3.3.1, mypyc 2.4.1 (--compile; in /…/venvs/cpython-3.11/bin/python)`.
fn compiler_lines(compilers: &[(String, PathBuf)]) -> Vec<String> {
    let mut pythons: Vec<&PathBuf> = Vec::new();
    for (_, p) in compilers {
        if !pythons.contains(&p) {
            pythons.push(p);
        }
    }
    pythons
        .into_iter()
        .map(|p| {
            let names: Vec<&str> = compilers.iter().filter(|(_, q)| q == p).map(|(n, _)| n.as_str()).collect();
            format!("compilers: {} (--compile; in {})", names.join(", "), p.display())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{is_python_name, summary_lines, StartedAs};
    use oracle::capability::{Capabilities, Capability};
    use oracle::runner::Transport;

    #[test]
    fn compilers_are_listed_per_python_that_runs_them() {
        use std::path::PathBuf;
        let venv = PathBuf::from("/v/bin/python");
        let found = vec![
            ("cython 3.3.1".to_owned(), venv.clone()),
            ("mypyc 2.4.1".to_owned(), PathBuf::from("/usr/bin/python3")),
            ("nuitka 4.3.3".to_owned(), venv),
        ];
        assert_eq!(
            super::compiler_lines(&found),
            [
                "compilers: cython 3.3.1, nuitka 4.3.3 (--compile; in /v/bin/python)",
                "compilers: mypyc 2.4.1 (--compile; in /usr/bin/python3)"
            ]
        );
        assert!(super::compiler_lines(&[]).is_empty());
    }

    #[test]
    fn python_names_on_path() {
        for yes in ["python3", "python3.11", "pypy3", "pypy3.9", "pypy", "rustpython", "micropython", "pyodide"] {
            assert!(is_python_name(yes), "{yes}");
        }
        for no in ["python3-config", "python3.11-config", "python", "python2", "pypy3.", "rustpython-x"] {
            assert!(!is_python_name(no), "{no}");
        }
    }

    #[test]
    fn summaries_say_what_was_left_out_and_why() {
        let worker = StartedAs {
            transport: Transport::Worker,
            description: "the persistent worker".to_owned(),
            notes: Vec::new(),
        };
        assert!(summary_lines(&worker, Capabilities::FULL, &[]).is_empty());
        let batch = StartedAs {
            transport: Transport::Process,
            description: "one process per batch of 200 programs".to_owned(),
            notes: vec!["the persistent worker did not start (no os.fdopen)".to_owned()],
        };
        let caps = Capabilities::FULL.without(Capability::ExitStack).without(Capability::Context);
        let lines = summary_lines(&batch, caps, &["a process reports -sys.exc_info".to_owned()]);
        assert_eq!(
            lines,
            [
                "transport: one process per batch of 200 programs; the persistent worker did not start (no os.fdopen)",
                "capabilities: all but contextlib.ExitStack, __context__",
                "  without contextlib.ExitStack: `with ExitStack()` and its operations left out",
                "  without __context__: contexts are not compared (dropped from both traces, chains cut to causes)",
                "capabilities changed: a process reports -sys.exc_info (programs are still generated and judged for the first)",
            ]
        );
    }
}
