//! Implementations other than CPython, through the binary (issue 13): the per-program transport,
//! capabilities, profiles for what an implementation claims, `--python NAME`, `withstand impls`.
//! A test that needs an implementation (PyPy, RustPython, Pyodide, MicroPython, as
//! `scripts/setup-impls.sh` installs them) prints one line saying it was skipped where that is
//! not installed.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use common::{has_python3, text, withstand};

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("withstand runs")
}

/// Whether `withstand impls` finds `name`; if not, the test says on one line that it was skipped.
fn has_implementation(name: &str, test: &str) -> bool {
    let out = run(withstand().args(["impls", "--no-start"]));
    let found = text(&out.stdout).lines().any(|l| l.split_whitespace().next() == Some(name));
    if !found {
        println!("skipped: no {name} (scripts/setup-impls.sh installs it) ({test})");
    }
    found
}

fn script(dir: &Path, name: &str, body: &str) {
    let path = dir.join(name);
    fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// The summary: everything from the line that starts `withstand: N cases`.
fn summary(out: &Output) -> String {
    let stdout = text(&out.stdout);
    let at = stdout.find("withstand: ").unwrap_or(0);
    stdout[at..].to_owned()
}

#[test]
fn a_campaign_through_the_process_transport_agrees_with_cpython() {
    if !has_python3("a_campaign_through_the_process_transport_agrees_with_cpython") {
        return;
    }
    // python3 reads its stdin: one process takes the programs streamed there. A wrapper that
    // closes stdin leaves the other form, a script per batch of programs.
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "nostdin", "exec python3 \"$@\" </dev/null\n");
    let nostdin = dir.path().join("nostdin");
    for (python, transport) in [
        (Path::new("python3"), "transport: one process, programs streamed on its stdin"),
        (nostdin.as_path(), "transport: one process per batch of 200 programs"),
    ] {
        let out_dir = tempfile::tempdir().unwrap();
        let out = run(withstand()
            .args(["run", "--transport", "process", "--cases", "150", "--seed", "3", "--quiet", "--python"])
            .arg(python)
            .arg("--out")
            .arg(out_dir.path()));
        let summary = summary(&out);
        assert_eq!(out.status.code(), Some(0), "{summary}{}", text(&out.stderr));
        assert!(summary.contains(transport), "{transport:?} not in:\n{summary}");
        assert!(summary.contains("divergences: 0"), "{summary}");
        assert!(!summary.contains("capabilities:"), "CPython has them all: {summary}");
    }
}

#[test]
fn an_interpreter_with_no_usable_transport_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "tinypy", "echo \"tinypy: no module named 'os'\" >&2\nexit 1\n");
    let out = run(withstand()
        .args(["run", "--cases", "5", "--python"])
        .arg(dir.path().join("tinypy"))
        .arg("--out")
        .arg(dir.path()));
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot run withstand's programs"), "{stderr}");
    assert!(stderr.contains("the persistent worker did not start"), "{stderr}");
    assert!(stderr.contains("neither did one process per batch"), "{stderr}");
    assert!(stderr.contains("no module named 'os'"), "{stderr}");
}

#[test]
fn python_names_come_from_the_setup_directory() {
    if !has_python3("python_names_come_from_the_setup_directory") {
        return;
    }
    let impls = tempfile::tempdir().unwrap();
    fs::create_dir(impls.path().join("bin")).unwrap();
    script(&impls.path().join("bin"), "wrappedpy", "exec python3 \"$@\"\n");
    let listed = run(withstand().args(["impls", "--no-start"]).env("WITHSTAND_IMPLS", impls.path()));
    let listing = text(&listed.stdout);
    assert!(listing.lines().any(|l| l.starts_with("wrappedpy ") && l.contains("setup-impls")), "{listing}");
    let out = run(withstand()
        .args(["run", "--python", "wrappedpy", "--cases", "30", "--quiet", "--no-shrink"])
        .arg("--out")
        .arg(impls.path())
        .env("WITHSTAND_IMPLS", impls.path()));
    assert_eq!(out.status.code(), Some(0), "{}{}", summary(&out), text(&out.stderr));
    assert!(summary(&out).contains("bin/wrappedpy"), "{}", summary(&out));
}

#[test]
fn micropython_is_tested_on_what_it_has() {
    if !has_implementation("micropython", "micropython_is_tested_on_what_it_has") {
        return;
    }
    let out_dir = tempfile::tempdir().unwrap();
    let out = run(withstand()
        .args(["run", "--python", "micropython", "--cases", "200", "--seed", "1", "--messages", "types"])
        .args(["--quiet", "--no-shrink", "--jobs", "1", "--out"])
        .arg(out_dir.path()));
    let summary = summary(&out);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{summary}{}", text(&out.stderr));
    for line in [
        "as micropython-3.4 as cpython-3.8",
        "transport: one process, programs streamed on its stdin, answers behind a marker on its stdout; the persistent worker did not start",
        "has no attribute 'fdopen'",
        "without contextlib.ExitStack: `with ExitStack()` and its operations left out",
        "without __context__: contexts are not compared",
        "without sys.exc_info: `sys.exc_info()` is not compared",
        "crashes: 0; hangs: 0; garbage answers: 0",
    ] {
        assert!(summary.contains(line), "{line:?} not in:\n{summary}");
    }
    // No finding is about what MicroPython lacks: every program ran, none needs contextlib. (A
    // never-bound local read after its `with` is a NameError on MicroPython, which has no
    // UnboundLocalError: SEMANTICS-ADDENDUM §8.1's rule, not a missing name.)
    // The NameError then stands where the model expects that UnboundLocalError.
    let mut lacking = summary.split("new root cause ").filter(|part| !part.contains("UnboundLocalError"));
    assert!(lacking.all(|part| !part.contains("NameError")), "{summary}");

    let stats = run(withstand().args(["stats", "--python", "micropython", "--cases", "1000"]));
    let stats = text(&stats.stdout);
    let fired: usize = stats
        .lines()
        .find_map(|l| l.strip_suffix(" rules fired").and_then(|l| l.split(" of ").next()?.parse().ok()))
        .unwrap_or_else(|| panic!("no count in {stats}"));
    assert!(fired >= 56, "MicroPython's capabilities reach {fired} rules:\n{stats}");
    assert!(stats.contains("capabilities: all but contextlib.contextmanager"), "{stats}");
}

#[test]
fn pyodide_agrees_with_cpython_3_14() {
    if !has_implementation("pyodide", "pyodide_agrees_with_cpython_3_14") {
        return;
    }
    let out_dir = tempfile::tempdir().unwrap();
    let out = run(withstand()
        .args(["run", "--python", "pyodide", "--cases", "300", "--seed", "5", "--jobs", "1", "--quiet", "--out"])
        .arg(out_dir.path()));
    let summary = summary(&out);
    assert_eq!(out.status.code(), Some(0), "{summary}{}", text(&out.stderr));
    assert!(summary.contains("as cpython-3.14"), "{summary}");
    assert!(summary.contains("no memory limit"), "{summary}");
}

#[test]
fn implementations_are_judged_as_the_cpython_version_they_claim() {
    for (name, profile) in
        [("pypy3", "as pypy-3.9 as cpython-3.9"), ("rustpython", "as rustpython-3.14 as cpython-3.14")]
    {
        if !has_implementation(name, "implementations_are_judged_as_the_cpython_version_they_claim") {
            continue;
        }
        let out_dir = tempfile::tempdir().unwrap();
        let out = run(withstand()
            .args([
                "run",
                "--python",
                name,
                "--cases",
                "60",
                "--seed",
                "2",
                "--jobs",
                "1",
                "--quiet",
                "--no-shrink",
                "--out",
            ])
            .arg(out_dir.path()));
        let summary = summary(&out);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{name}: {summary}{}", text(&out.stderr));
        assert!(summary.contains(profile), "{name}: {summary}");
    }
}
