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

/// The `report.json` of a run directory.
fn report_of(run_dir: &Path) -> serde_json::Value {
    let text = fs::read_to_string(run_dir.join("report.json")).expect("every run writes report.json");
    serde_json::from_str(&text).expect("report.json is JSON")
}

/// What must be equal between two reports of the same campaign: each finding (case index, root
/// cause, known entry, signature), and each root cause (name, known entry, count, signatures).
fn triaged(report: &serde_json::Value) -> (Vec<String>, Vec<String>) {
    let mut findings: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| format!("{} {} {} {}", f["index"], f["root_cause"], f["known"], f["signature"]))
        .collect();
    findings.sort();
    let mut causes: Vec<String> = report["root_causes"]
        .as_array()
        .expect("root causes")
        .iter()
        .map(|r| format!("{} {} {} {}", r["name"], r["known"], r["count"], r["signatures"]))
        .collect();
    causes.sort();
    (findings, causes)
}

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
    assert!(stdout.contains("  root causes: "), "the summary leads with the root causes:\n{stdout}");
    assert!(stdout.contains("new root cause 1: "), "{stdout}");
    assert!(stdout.contains("shrunk from "), "{stdout}");
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
    // Later findings of a root cause are saved unshrunk: one shrink per root cause.
    assert!(dirs.len() > shrunk.len(), "some root cause had more than one finding in 300 cases");
    let report = report_of(&out.join("latest"));
    let causes = report["root_causes"].as_array().expect("root causes");
    // Root causes joined into another as one bug were shrunk as they came, before the joining.
    let joined: usize = causes.iter().map(|r| r["joined"].as_array().map_or(0, Vec::len)).sum();
    assert_eq!(
        shrunk.len(),
        causes.len() + joined,
        "the first finding of each root cause is shrunk, and only that one"
    );
    for r in causes {
        assert!(r["shrink"].is_object(), "{r}");
        assert!(r["reproducer"].as_str().is_some_and(|p| p.ends_with("/reduced.py")), "{r}");
    }

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

#[test]
fn shards_merged_equal_the_unsharded_campaign() {
    if !has_python3("shards_merged...") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let python = buggy_python(tmp.path(), 0.0);
    let campaign = |out: &Path, seed: &str, extra: &[&str]| {
        let o = run(withstand()
            .args(["run", "--quiet", "--cases", "150", "--seed", seed, "--out"])
            .arg(out)
            .arg("--python")
            .arg(&python)
            .args(extra));
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}{}", text(&o.stdout), text(&o.stderr));
        out.join("latest")
    };
    let whole = campaign(&tmp.path().join("whole"), "21", &["--jobs", "2"]);
    let shards: Vec<PathBuf> = (1..=3)
        .map(|k| campaign(&tmp.path().join(format!("s{k}")), "21", &["--jobs", "1", "--shard", &format!("{k}/3")]))
        .collect();
    // The shards are disjoint slices of the case indices.
    for (k, dir) in shards.iter().enumerate() {
        let report = report_of(dir);
        assert_eq!(report["run"]["shard"], format!("{}/3", k + 1));
        for f in report["findings"].as_array().expect("findings") {
            assert_eq!(f["index"].as_u64().expect("an index") % 3, k as u64, "{f}");
        }
    }
    let merged = tmp.path().join("merged");
    let o = run(withstand().arg("merge").args(&shards).arg("--out").arg(&merged));
    assert_eq!(o.status.code(), Some(1), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stdout).contains("all 3 shards"), "{}", text(&o.stdout));
    let (a, b) = (report_of(&whole), report_of(&merged));
    assert!(!triaged(&a).0.is_empty(), "the campaign found something");
    assert_eq!(triaged(&a), triaged(&b), "shards plus merge equal the unsharded run");
    assert_eq!(a["summary"], b["summary"]);
    assert_eq!(a["run"]["programs"], b["run"]["programs"]);
    // Every finding directory was copied, and the report names reproducers inside the merge.
    for f in b["findings"].as_array().expect("findings") {
        assert!(merged.join(f["dir"].as_str().expect("a dir")).join("program.py").is_file(), "{f}");
    }
    for r in b["root_causes"].as_array().expect("root causes") {
        assert!(merged.join(r["reproducer"].as_str().expect("a path")).is_file(), "{r}");
    }
    let md = fs::read_to_string(merged.join("report.md")).expect("report.md");
    assert!(md.contains("**root causes: "), "{md}");
    assert!(md.contains("--seed 0x15 --cases 150") && !md.contains("--shard"), "the unsharded command:\n{md}");

    // Runs of another seed do not belong to the campaign.
    let other = campaign(&tmp.path().join("other"), "22", &["--jobs", "1", "--shard", "1/3"]);
    let o = run(withstand().arg("merge").arg(&shards[0]).arg(&other).arg("--out").arg(tmp.path().join("m2")));
    assert_eq!(o.status.code(), Some(2), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stderr).contains("seed: 0x15 in"), "{}", text(&o.stderr));
    let o = run(withstand()
        .arg("merge")
        .arg(&shards[0])
        .arg(&other)
        .arg("--allow-mixed")
        .arg("--out")
        .arg(tmp.path().join("m2")));
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}{}", text(&o.stdout), text(&o.stderr));
    // Nor is an existing directory a place to merge into, or a directory without a report a run.
    let o = run(withstand().arg("merge").arg(&shards[0]).arg("--out").arg(&merged));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let o = run(withstand().arg("merge").arg(tmp.path()).arg("--out").arg(tmp.path().join("m3")));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("no report.json"), "{}", text(&o.stderr));
}

/// A known-differences file for `python3` naming `causes` as (id, rule, what differs).
fn known_file(path: &Path, causes: &[(String, String, String)]) {
    let mut text = String::from("implementation = \"cpython\"\nversions = \"*\"\n");
    for (id, rule, differs) in causes {
        text.push_str(&format!(
            "\n[[known]]\nid = \"{id}\"\nsummary = \"the test's wrong interpreter\"\nreason = \"it never logs __exit__\"\nrule = \"{rule}\"\ndiffers = \"{differs}\"\n"
        ));
    }
    fs::write(path, text).expect("write the known file");
}

#[test]
fn known_differences_are_counted_and_listed_and_only_new_root_causes_fail() {
    if !has_python3("known_differences...") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let python = buggy_python(tmp.path(), 0.0);
    let campaign = |name: &str, cases: &str, extra: &[&str]| {
        let out = tmp.path().join(name);
        let junit = tmp.path().join(format!("{name}.xml"));
        let o = run(withstand()
            .args(["run", "--quiet", "--no-shrink", "--jobs", "2", "--seed", "3", "--cases", cases, "--out"])
            .arg(&out)
            .arg("--python")
            .arg(&python)
            .arg("--junit")
            .arg(&junit)
            .args(extra));
        (o, report_of(&out.join("latest")), fs::read_to_string(&junit).expect("the junit report"))
    };
    let (o, report, _) = campaign("plain", "1010", &[]);
    assert_eq!(o.status.code(), Some(1));
    // Every root cause, those joined to another as one bug too (`culprit: differs`): known
    // differences are never joined, so each needs its entry.
    let causes: Vec<(String, String, String)> = report["root_causes"]
        .as_array()
        .expect("root causes")
        .iter()
        .flat_map(|r| {
            let own = (r["rule"].as_str().expect("a divergence's rule"), r["differs"].as_str().expect("what differs"));
            let joined = r["joined"].as_array().cloned().unwrap_or_default().into_iter().map(|j| {
                let name = j["name"].as_str().expect("a joined root cause's name").to_string();
                let (rule, differs) = name.rsplit_once(": ").expect("`culprit: differs`");
                (rule.to_string(), differs.to_string())
            });
            std::iter::once((own.0.to_string(), own.1.to_string())).chain(joined).collect::<Vec<_>>()
        })
        .enumerate()
        .map(|(i, (rule, differs))| (format!("cause-{i}"), rule, differs))
        .collect();
    assert!(causes.len() >= 2, "the wrong interpreter shows several root causes: {causes:?}");
    let n = causes.len();

    // All but one known: the run fails for the one, and lists the others as known.
    let known = tmp.path().join("known.toml");
    known_file(&known, &causes[..n - 1]);
    let (o, report, xml) = campaign("most", "1010", &["--known", known.to_str().expect("utf-8")]);
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}{}", text(&o.stderr));
    assert!(stdout.contains(&format!("root causes: {n} ({} known, 1 new)", n - 1)), "{stdout}");
    assert!(stdout.contains("known cause-0: "), "{stdout}");
    assert_eq!(report["summary"]["new"], 1);
    let new: Vec<&serde_json::Value> =
        report["root_causes"].as_array().expect("causes").iter().filter(|r| r["known"].is_null()).collect();
    assert_eq!(new.len(), 1);
    assert_eq!(new[0]["rule"].as_str(), Some(causes[n - 1].1.as_str()));
    assert_eq!(xml.matches("<failure").count(), 1, "one failing testcase, the new root cause:\n{xml}");
    assert_eq!(xml.matches("<skipped").count(), n - 1, "the known ones are skipped:\n{xml}");
    assert!(xml.contains("known difference cause-0"), "{xml}");
    let md = fs::read_to_string(tmp.path().join("most/latest/report.md")).expect("report.md");
    assert!(md.contains("## Known differences") && md.contains("(new)"), "{md}");

    // All known, and one entry that matches nothing in 1,000 programs: exit 0, the entry stale.
    let mut all = causes.clone();
    all.push(("never-seen".to_string(), "raise-none".to_string(), "message".to_string()));
    known_file(&known, &all);
    let (o, report, _) = campaign("all", "1010", &["--known", known.to_str().expect("utf-8")]);
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}{}", text(&o.stderr));
    assert!(stdout.contains(" 0 new)"), "{stdout}");
    assert!(stdout.contains("stale known entries") && stdout.contains("never-seen"), "{stdout}");
    assert_eq!(report["stale"].as_array().map(|s| s.len()), Some(1), "{}", report["stale"]);
    assert_eq!(report["stale"][0]["id"], "never-seen");
    // Fewer than 1,000 programs say nothing about staleness.
    let (_, report, _) = campaign("short", "200", &["--known", known.to_str().expect("utf-8")]);
    assert_eq!(report["stale"].as_array().map(|s| s.len()), Some(0));

    // The same file in replay: the case that shows the new root cause passes as known.
    let dir = tmp.path().join("corpus/sync");
    fs::create_dir_all(&dir).expect("mkdir");
    fs::write(dir.join("exit-suppresses.case"), CASE).expect("write");
    let o = run(withstand().arg("replay").arg(tmp.path().join("corpus")).arg("--python").arg(&python));
    assert_eq!(o.status.code(), Some(1));
    let o = run(withstand()
        .arg("replay")
        .arg(tmp.path().join("corpus"))
        .arg("--python")
        .arg(&python)
        .arg("--known")
        .arg(&known));
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}{}", text(&o.stderr));
    assert!(stdout.contains("known difference cause-") && stdout.contains("1 known differences"), "{stdout}");

    // On an interpreter that agrees, an entry whose own case agrees is stale.
    let with_case = tmp.path().join("with-case.toml");
    let (id, rule, differs) = &causes[0];
    fs::write(
        &with_case,
        format!(
            "implementation = \"cpython\"\n[[known]]\nid = \"{id}\"\nsummary = \"s\"\nlink = \"l\"\ncase = \"corpus/sync/exit-suppresses.case\"\nrule = \"{rule}\"\ndiffers = \"{differs}\"\n"
        ),
    )
    .expect("write");
    let o = run(withstand()
        .arg("replay")
        .arg(tmp.path().join("corpus"))
        .args(["--python", "python3", "--known"])
        .arg(&with_case));
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}{}", text(&o.stderr));
    assert!(stdout.contains(&format!("stale known entry {id}: its case agrees")), "{stdout}");
    assert!(stdout.contains("1 known entries are stale"), "{stdout}");
}

#[test]
fn a_bad_known_file_or_shard_is_an_error_before_anything_starts() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("findings");
    let bad = tmp.path().join("bad.toml");
    let cases = [
        ("implementation = \"pypy\"\n[[known]]\nid = \"a\"\nsumary = \"typo\"\n", "bad.toml:4: unknown field `sumary`"),
        (
            "implementation = \"pypy\"\n[[known]]\nid = \"a\"\nsummary = \"s\"\nreason = \"r\"\nrule = \"raise-none\"\ndiffers = \"message\"\nmessage = \"[unclosed\"\n",
            "bad.toml:8: the pattern \"[unclosed\" does not compile",
        ),
        ("[[known]\n", "bad.toml:1: "),
    ];
    for (text_of_file, expected) in cases {
        fs::write(&bad, text_of_file).expect("write");
        for command in [&["run", "--cases", "10"][..], &["replay"]] {
            let o = run(withstand()
                .args(command)
                .arg("--known")
                .arg(&bad)
                .arg("--python")
                .arg("/nonexistent/python")
                .args(if command[0] == "run" { vec!["--out".into(), out.clone().into_os_string()] } else { vec![] }));
            let stderr = text(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{command:?}: {stderr}");
            assert!(stderr.contains(expected), "{command:?}: {stderr}");
            assert!(!stderr.contains("/nonexistent/python"), "the interpreter was never started: {stderr}");
        }
        assert!(!out.exists(), "no run directory for a campaign that did not start");
    }
    for shard in ["0/3", "4/3", "1/0", "x", "1/2/3"] {
        let o = run(withstand().args(["run", "--cases", "10", "--shard", shard, "--python", "/nonexistent/python"]));
        assert_eq!(o.status.code(), Some(2), "--shard {shard}");
        assert!(text(&o.stderr).contains("--shard"), "{}", text(&o.stderr));
    }
}

/// An implementation to test against: `$var`, the setup script's launcher, or `name` on PATH.
fn implementation(var: &str, name: &str) -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::env::var_os(var).map(PathBuf::from).into_iter().collect();
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(PathBuf::from(home).join(".cache/withstand/impls/bin").join(name));
    }
    candidates.push(PathBuf::from(name));
    candidates.into_iter().find(|p| {
        Command::new(p)
            .arg("-c")
            .arg("pass")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

#[test]
fn the_shipped_known_files_cover_their_implementations() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_path_buf();
    let targets = [
        ("pypy3", "WITHSTAND_PYPY", "known/pypy-3.9.toml", vec![], "pypy-"),
        (
            "rustpython",
            "WITHSTAND_RUSTPYTHON",
            "known/rustpython-0.6.toml",
            vec!["--target", "cpython-3.14"],
            "rustpython-",
        ),
    ];
    for (name, var, known, target, prefix) in targets {
        let Some(python) = implementation(var, name) else {
            println!("skipped: no {name} (scripts/setup-impls.sh installs it; or set ${var})");
            continue;
        };
        // The regression corpus replays clean, each case of the implementation as a known difference.
        let o = run(withstand()
            .current_dir(&root)
            .args(["replay", "corpus/regressions", "--known", known, "--python"])
            .arg(&python)
            .args(&target));
        let stdout = text(&o.stdout);
        assert_eq!(o.status.code(), Some(0), "{name}: {stdout}{}", text(&o.stderr));
        let shown = stdout.lines().filter(|l| l.contains(": known difference ")).count();
        let cases = fs::read_dir(root.join("corpus/regressions"))
            .expect("the regressions")
            .filter(|e| {
                let n = e.as_ref().expect("entry").file_name().to_string_lossy().into_owned();
                n.ends_with(".case") && (n.starts_with(prefix) || n.starts_with("pypy-rustpython-"))
            })
            .count();
        assert!(cases > 0 && shown >= cases, "{name}: {shown} known differences for {cases} cases:\n{stdout}");
        // A short campaign: nothing new.
        let tmp = tempfile::tempdir().expect("tmp");
        let o = run(withstand()
            .current_dir(&root)
            .args(["run", "--quiet", "--no-shrink", "--cases", "300", "--seed", "1234", "--known", known, "--python"])
            .arg(&python)
            .args(&target)
            .arg("--out")
            .arg(tmp.path()));
        let stdout = text(&o.stdout);
        assert_eq!(o.status.code(), Some(0), "{name}: {stdout}{}", text(&o.stderr));
        let report = report_of(&tmp.path().join("latest"));
        assert_eq!(report["summary"]["new"], 0, "{name}: {stdout}");
        assert!(report["summary"]["known"].as_u64() > Some(0), "{name}: the known differences show: {stdout}");
    }
}

fn is_cpython_3_11() -> bool {
    let o = Command::new("python3")
        .args(["-c", "import sys; print(sys.implementation.name, sys.version_info[:2])"])
        .output();
    o.is_ok_and(|o| text(&o.stdout).trim() == "cpython (3, 11)")
}
