//! The `withstand` binary end to end: shrinking, recording, replaying, promoting, and what an
//! interrupted shrink leaves on disk. One integration-test binary, because these tests need the
//! built executable.
//!
//! The interpreter under test is `python3` wrapped by a deliberately wrong "interpreter": a
//! `sitecustomize.py` that patches the prelude as the worker loads it so that `__exit__` calls
//! are never logged, so every program that exits a manager diverges from the model. Without a
//! `python3` on PATH each test prints one line saying it was skipped.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

mod common;
use common::{has_python3, text, withstand};

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("withstand runs")
}

/// Writes the wrong interpreter into `dir` and returns its path. `delay` seconds are added to
/// every program run, to make shrinking slow enough to interrupt.
fn buggy_python(dir: &Path, delay: f64) -> PathBuf {
    let site = dir.join("site");
    fs::create_dir_all(&site).expect("mkdir");
    fs::write(
        site.join("sitecustomize.py"),
        r#"import builtins
import os
import time

_compile = builtins.compile
_delay = float(os.environ.get("WITHSTAND_TEST_DELAY", "0"))


def compile(source, filename, mode, *args, **kwargs):
    if filename == "<withstand-prelude>":
        text = source.decode() if isinstance(source, bytes) else source
        source = text.replace("def on_exit(mgr, t, v, tb):\n", "def on_exit(mgr, t, v, tb):\n    return\n")
    elif filename == "<withstand>" and _delay:
        time.sleep(_delay)
    return _compile(source, filename, mode, *args, **kwargs)


builtins.compile = compile
"#,
    )
    .expect("write sitecustomize");
    let script = dir.join("python");
    fs::write(
        &script,
        format!("#!/bin/sh\nPYTHONPATH='{}' WITHSTAND_TEST_DELAY={delay} exec python3 \"$@\"\n", site.display()),
    )
    .expect("write the wrapper");
    let mut perms = fs::metadata(&script).expect("stat").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    fs::set_permissions(&script, perms).expect("chmod");
    script
}

/// The finding directories of the latest run under `out`: every entry that is not hidden.
fn finding_dirs(out: &Path) -> Vec<PathBuf> {
    let mut res: Vec<PathBuf> = fs::read_dir(out.join("latest"))
        .expect("the findings directory")
        .map(|e| e.expect("an entry").path())
        .filter(|p| !p.file_name().expect("a name").to_string_lossy().starts_with('.'))
        .collect();
    res.sort();
    res
}

/// Non-blank, non-comment lines of a standalone program after the prelude.
fn program_lines(py: &str) -> usize {
    let body = py.split(oracle::parse::MARKER).nth(1).expect("a standalone program");
    let body = body.split("if __name__ ==").next().expect("a body");
    body.lines().filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')).count()
}

const CASE: &str = "# withstand case, format 1
# description: a truthy __exit__ result suppresses the exception
# rule: exit-suppresses (§1.5)
# origin: hand-written

class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        return self
    def __exit__(self, t, v, tb):
        on_exit('M0', t, v, tb)
        return True

def main():
    with M0():
        raise E1('r1')
    log('L2')
";

const NO_EXIT_CASE: &str = "# withstand case, format 1
# description: with 1: an int is no context manager
# rule: not-a-manager (§2.1)
# origin: hand-written

def main():
    with 1:
        log('L1')
";

#[test]
fn a_campaign_shrinks_the_first_finding_of_each_signature_and_shrink_shrinks_a_saved_one() {
    if !has_python3("a_campaign_shrinks...") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let python = buggy_python(tmp.path(), 0.0);
    let out = tmp.path().join("findings");
    let o = run(withstand()
        .args(["run", "--quiet", "--cases", "300", "--jobs", "2", "--seed", "7", "--out"])
        .arg(&out)
        .arg("--python")
        .arg(&python));
    assert_eq!(o.status.code(), Some(1), "{}{}", text(&o.stdout), text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("raw finding"), "the summary counts raw findings per signature:\n{stdout}");
    assert!(stdout.contains("shrunk "), "{stdout}");
    let dirs = finding_dirs(&out);
    let shrunk: Vec<&PathBuf> = dirs.iter().filter(|d| d.join("reduced.py").exists()).collect();
    assert!(!shrunk.is_empty());
    for d in &shrunk {
        let readme = fs::read_to_string(d.join("README.md")).expect("README");
        assert!(
            readme.contains("## Shrinking") && readme.contains("- lines: ") && readme.contains("- time: "),
            "{readme}"
        );
        let before = program_lines(&fs::read_to_string(d.join("program.py")).expect("program.py"));
        let after = program_lines(&fs::read_to_string(d.join("reduced.py")).expect("reduced.py"));
        assert!(after <= before, "{}: {after} > {before}", d.display());
        // The reduced program runs as it is and still shows the bug on the wrong interpreter.
        let ran = run(Command::new(&python).arg(d.join("reduced.py")));
        assert!(ran.status.success(), "{}", text(&ran.stderr));
    }
    // Later findings of a signature are saved unshrunk.
    assert!(dirs.len() > shrunk.len(), "some signature had more than one finding in 300 cases");

    // `withstand shrink` on a finding that was saved unshrunk.
    let plain = tmp.path().join("plain");
    let o = run(withstand()
        .args(["run", "--quiet", "--no-shrink", "--cases", "64", "--jobs", "1", "--seed", "7", "--out"])
        .arg(&plain)
        .arg("--python")
        .arg(&python));
    assert_eq!(o.status.code(), Some(1));
    let dir = finding_dirs(&plain)
        .into_iter()
        .max_by_key(|d| fs::metadata(d.join("program.py")).map(|m| m.len()).unwrap_or(0))
        .expect("a finding");
    assert!(!dir.join("reduced.py").exists());
    let o = run(withstand().arg("shrink").arg(&dir).arg("--python").arg(&python));
    assert_eq!(o.status.code(), Some(1), "{}{}", text(&o.stdout), text(&o.stderr));
    let before = program_lines(&fs::read_to_string(dir.join("program.py")).expect("program.py"));
    let after = program_lines(&fs::read_to_string(dir.join("reduced.py")).expect("reduced.py"));
    assert!(after < before, "shrink made {} no smaller: {after} lines", dir.display());
    assert!(
        fs::read_to_string(dir.join("reduced.diff")).expect("reduced.diff").contains("-M"),
        "the diff shows the missing exit"
    );
    assert!(fs::read_to_string(dir.join("README.md")).expect("README").contains("## Shrinking"));
    oracle::corpus::load(&dir.join("reduced.case")).expect("reduced.case is a valid case");
    // And on the real interpreter there is nothing to shrink.
    let o = run(withstand().arg("shrink").arg(dir.join("reduced.case")).args(["--python", "python3"]));
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stdout).contains("nothing to shrink"));
}

#[test]
fn killing_a_campaign_while_it_shrinks_leaves_every_finding_valid() {
    if !has_python3("killing_a_campaign...") {
        return;
    }
    for signal in ["KILL", "INT"] {
        let tmp = tempfile::tempdir().expect("tmp");
        let python = buggy_python(tmp.path(), 0.03);
        let out = tmp.path().join("findings");
        let mut child = withstand()
            .args(["run", "--quiet", "--cases", "64", "--jobs", "1", "--seed", "11", "--shrink-time", "60s", "--out"])
            .arg(&out)
            .arg("--python")
            .arg(&python)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("withstand starts");
        // Wait until a shrink has saved a step and is still going.
        let started = Instant::now();
        let mid_shrink = loop {
            let busy = out.join("latest").is_dir()
                && finding_dirs(&out).iter().any(|d| {
                    d.join("reduced.py").exists()
                        && fs::read_to_string(d.join("README.md")).is_ok_and(|r| r.contains("status: in progress"))
                });
            if busy {
                break true;
            }
            if started.elapsed() > Duration::from_secs(60) || child.try_wait().expect("wait").is_some() {
                break false;
            }
            thread::sleep(Duration::from_millis(5));
        };
        assert!(mid_shrink, "never caught the campaign in the middle of a shrink");
        let st = Command::new("kill").arg(format!("-{signal}")).arg(child.id().to_string()).status().expect("kill");
        assert!(st.success());
        let status = child.wait().expect("wait");
        assert!(!status.success(), "killed by SIG{signal}");

        let dirs = finding_dirs(&out);
        assert!(!dirs.is_empty());
        let mut partly = 0;
        for d in &dirs {
            assert!(d.is_dir(), "{} is not a finding directory", d.display());
            let program = fs::read_to_string(d.join("program.py")).expect("every finding has its program.py");
            oracle::parse::parse(&program)
                .unwrap_or_else(|e| panic!("{}: program.py does not parse: {e:?}", d.display()));
            for entry in fs::read_dir(d).expect("a finding") {
                let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
                let known = [
                    "README.md",
                    "program.py",
                    "program.case",
                    "expected.trace",
                    "observed.trace",
                    "diff.txt",
                    "stderr.txt",
                    "reduced.py",
                    "reduced.case",
                    "reduced.diff",
                ];
                assert!(
                    known.contains(&name.as_str()) || name.starts_with('.'),
                    "{}: unexpected visible file {name}",
                    d.display()
                );
            }
            if d.join("reduced.py").exists() {
                partly += 1;
                let reduced = fs::read_to_string(d.join("reduced.py")).expect("reduced.py");
                oracle::parse::parse(&reduced)
                    .unwrap_or_else(|e| panic!("{}: reduced.py does not parse: {e:?}", d.display()));
                oracle::corpus::load(&d.join("reduced.case"))
                    .unwrap_or_else(|e| panic!("{}: reduced.case: {e:?}", d.display()));
                let readme = fs::read_to_string(d.join("README.md")).expect("README");
                assert!(readme.contains("## Shrinking"), "{readme}");
            }
        }
        assert!(partly > 0, "SIG{signal}: the interrupted shrink kept its best program so far");
    }
}

#[test]
fn record_refuses_a_recording_that_disagrees_with_the_model() {
    if !has_python3("record_refuses...") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let python = buggy_python(tmp.path(), 0.0);
    let dir = tmp.path().join("corpus/sync");
    fs::create_dir_all(&dir).expect("mkdir");
    let case = dir.join("exit-suppresses.case");
    fs::write(&case, CASE).expect("write");
    let trace = dir.join("exit-suppresses.cpython-3.11.trace");

    let o = run(withstand().arg("record").arg(&case).arg("--python").arg(&python));
    assert_eq!(o.status.code(), Some(1), "{}{}", text(&o.stdout), text(&o.stderr));
    let stderr = text(&o.stderr);
    assert!(stderr.contains("refused corpus/sync/exit-suppresses.case"), "names the case:\n{stderr}");
    assert!(stderr.contains("-M0.__exit__ exc=E1(\"r1\")#1 exc_info=E1(\"r1\")#1"), "shows the diff:\n{stderr}");
    assert!(!trace.exists(), "nothing was recorded");

    let o = run(withstand().arg("record").arg(&case).arg("--force").arg("--python").arg(&python));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(!fs::read_to_string(&trace).expect("recorded with --force").contains("__exit__"));

    // The real interpreter agrees with the model: recorded, then unchanged.
    let o = run(withstand().arg("record").arg(&dir).args(["--python", "python3"]));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(fs::read_to_string(&trace).expect("trace").contains("M0.__exit__ exc=E1(\"r1\")#1"));
    assert!(fs::read_to_string(dir.join("exit-suppresses.py")).expect(".py").starts_with("# @generated"));
    let o = run(withstand().arg("record").arg(&dir).args(["--python", "python3"]));
    assert!(text(&o.stdout).contains("unchanged corpus/sync/exit-suppresses.case"), "{}", text(&o.stdout));
}

#[test]
fn replay_reports_each_case_and_writes_junit_naming_the_failures() {
    if !has_python3("replay_reports...") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let python = buggy_python(tmp.path(), 0.0);
    let dir = tmp.path().join("corpus/sync");
    fs::create_dir_all(&dir).expect("mkdir");
    fs::write(dir.join("exit-suppresses.case"), CASE).expect("write");
    fs::write(dir.join("not-a-manager.case"), NO_EXIT_CASE).expect("write");
    let corpus = tmp.path().join("corpus");

    let o = run(withstand().arg("replay").arg(&corpus).args(["--python", "python3"]));
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stdout).contains("2 passed, 0 failed"), "{}", text(&o.stdout));

    let junit = tmp.path().join("junit.xml");
    let o = run(withstand().arg("replay").arg(&corpus).arg("--python").arg(&python).arg("--junit").arg(&junit));
    assert_eq!(o.status.code(), Some(1), "{}{}", text(&o.stdout), text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("FAIL    corpus/sync/exit-suppresses.case"), "{stdout}");
    assert!(stdout.contains("ok      corpus/sync/not-a-manager.case"), "{stdout}");
    let xml = fs::read_to_string(&junit).expect("the junit report");
    assert!(
        xml.contains("<testsuites name=\"withstand replay\" tests=\"2\" skipped=\"0\" failures=\"1\" errors=\"0\""),
        "{xml}"
    );
    let passing = xml.split("<testcase name=\"not-a-manager\" classname=\"corpus.sync\"").nth(1).expect("named");
    assert!(passing.split('>').next().is_some_and(|a| a.contains("file=\"corpus/sync/not-a-manager.case\"")), "{xml}");
    let failing = xml.split("<testcase name=\"exit-suppresses\"").nth(1).expect("the failing case is named");
    assert!(
        failing
            .contains("<failure message=\"exit-gets-exception: presence of exit (expected MN.__exit__ | observed log)"),
        "{xml}"
    );
    assert!(failing.contains("type=\"divergence\""), "{xml}");
    assert!(failing.contains("-M0.__exit__ exc=E1(&quot;r1&quot;)#1"), "the diff is in the failure:\n{xml}");

    // An invalid case is an error, reported with its file name and line; exit status 2.
    fs::write(dir.join("broken.case"), CASE.replace("# rule: exit-suppresses (§1.5)", "# rule: no-such-rule (§9)"))
        .expect("write");
    let o = run(withstand().arg("replay").arg(&corpus).args(["--python", "python3", "--junit"]).arg(&junit));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stdout).contains("broken.case:3: unknown rule `no-such-rule`"), "{}", text(&o.stdout));
    assert!(fs::read_to_string(&junit).expect("junit").contains("type=\"invalid-case\""));
}

#[test]
fn corpus_add_promotes_a_finding_with_one_command() {
    if !has_python3("corpus_add...") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let python = buggy_python(tmp.path(), 0.0);
    let out = tmp.path().join("findings");
    let o = run(withstand()
        .args(["run", "--quiet", "--cases", "64", "--jobs", "1", "--seed", "5", "--out"])
        .arg(&out)
        .arg("--python")
        .arg(&python));
    assert_eq!(o.status.code(), Some(1));
    let finding = finding_dirs(&out).into_iter().find(|d| d.join("reduced.case").exists()).expect("a shrunk finding");
    let corpus = tmp.path().join("corpus");
    // Recorded from the real interpreter, which agrees with the model.
    let o = run(withstand()
        .args(["corpus", "add"])
        .arg(&finding)
        .args(["--name", "exit-never-logged", "--python", "python3", "--corpus"])
        .arg(&corpus));
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    let case = corpus.join("regressions/exit-never-logged.case");
    let loaded = oracle::corpus::load(&case).expect("a valid case");
    assert_eq!(loaded.program, oracle::corpus::load(&finding.join("reduced.case")).expect("reduced").program);
    assert!(matches!(loaded.header.origin, oracle::corpus::Origin::Seed { .. }));
    assert!(corpus.join("regressions/exit-never-logged.cpython-3.11.trace").exists() || !is_cpython_3_11());
    assert!(corpus.join("regressions/exit-never-logged.py").exists());
    // A second time: the name is taken.
    let o = run(withstand()
        .args(["corpus", "add"])
        .arg(&finding)
        .args(["--name", "exit-never-logged", "--corpus"])
        .arg(&corpus));
    assert_eq!(o.status.code(), Some(2));
    // `show` reads the case.
    let o = run(withstand().arg("show").arg(&case));
    assert!(o.status.success());
    assert!(text(&o.stdout).contains("# predicted trace (cpython-3.11)"));
}

fn is_cpython_3_11() -> bool {
    let o = Command::new("python3")
        .args(["-c", "import sys; print(sys.implementation.name, sys.version_info[:2])"])
        .output();
    o.is_ok_and(|o| text(&o.stdout).trim() == "cpython (3, 11)")
}
