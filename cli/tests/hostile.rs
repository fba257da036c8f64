//! Hostile interpreters and hostile files, end to end through the built binary (issue 11): an
//! interpreter that segfaults and then refuses to restart, floods its trace, never answers, lies
//! about its name, returns huge values or starts slowly (`tests/fakes/python`, a wrapper around
//! `python3` whose `sitecustomize.py` misbehaves as `$WITHSTAND_FAKE` says); file names that try
//! to inject code; FIFOs, huge files and absurd flags. Every campaign must end within its bounds
//! with every finding on disk, and bad input must get one clear line and a non-zero exit.
//!
//! Without a `python3` on PATH the tests that need one print a line saying they were skipped.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

mod common;
use common::{has_python3, text, withstand};

/// The fake interpreter, told to behave as `modes` says.
fn fake(modes: &str) -> (PathBuf, Vec<(&'static str, String)>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fakes/python");
    (path, vec![("WITHSTAND_FAKE", modes.to_string())])
}

/// `withstand COMMAND --python FAKE ARGS...` with the fake's environment (so that more
/// arguments can follow).
fn with_fake(modes: &str, args: &[&str]) -> Command {
    let (python, env) = fake(modes);
    let mut cmd = withstand();
    cmd.arg(args[0]).arg("--python").arg(python).args(&args[1..]).envs(env);
    cmd
}

/// Runs `cmd`, killing it if it takes longer than `limit`; the output and how long it took.
fn run_within(cmd: &mut Command, limit: Duration) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("withstand starts");
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!("still running after {limit:?}:\n{}{}", text(&out.stdout), text(&out.stderr));
        }
        thread::sleep(Duration::from_millis(20));
    }
    (child.wait_with_output().expect("output"), started.elapsed())
}

/// The finding directories of the latest run under `out`.
/// The finding directories of the latest run (not its `report.md` and `report.json`).
fn findings(out: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(out.join("latest")) else { return Vec::new() };
    let mut res: Vec<PathBuf> = entries
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.is_dir() && !p.file_name().expect("a name").to_string_lossy().starts_with('.'))
        .collect();
    res.sort();
    res
}

fn wait_for(child: &mut Child, limit: Duration) {
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        assert!(started.elapsed() < limit, "still running after {limit:?}");
        thread::sleep(Duration::from_millis(20));
    }
}

/// Issue 11.1: an interpreter that segfaults at program 21 and then refuses to start.
#[test]
fn a_crash_is_saved_and_reported_before_giving_up_on_an_interpreter_that_cannot_restart() {
    if !has_python3("a_crash_is_saved...") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("findings");
    let mut cmd = with_fake("segv-at=21", &["run", "--quiet", "--cases", "64", "--jobs", "1", "--seed", "1", "--out"]);
    cmd.arg(&out).env("WITHSTAND_FAKE_ONCE", tmp.path().join("started"));
    let (o, _) = run_within(&mut cmd, Duration::from_secs(60));
    let (stdout, stderr) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(o.status.code(), Some(2), "an interpreter that cannot restart ends the campaign:\n{stdout}{stderr}");
    assert!(stderr.contains("could not be restarted"), "{stderr}");
    assert!(stdout.contains("interpreter crash seed"), "the crash is reported:\n{stdout}");
    assert!(stdout.contains("crashes: 1"), "and counted in the summary:\n{stdout}");
    let dirs = findings(&out);
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let stderr_txt = fs::read_to_string(dirs[0].join("stderr.txt")).expect("the crash finding is saved");
    assert!(stderr_txt.contains("killed by signal 11"), "{stderr_txt}");
}

/// Issue 11.2: 90,000 events more than the model predicts, for each program (under the runner's limit of 100,000 events, over which an answer is garbage).
#[test]
fn a_flood_of_events_is_judged_and_saved_in_bounded_time_and_size() {
    if !has_python3("a_flood_of_events...") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("findings");
    let mut cmd = with_fake(
        "flood=90000",
        &["run", "--quiet", "--no-shrink", "--cases", "4", "--seed", "1", "--jobs", "1", "--timeout", "30s", "--out"],
    );
    cmd.arg(&out);
    let (o, took) = run_within(&mut cmd, Duration::from_secs(120));
    assert_eq!(o.status.code(), Some(1), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(took < Duration::from_secs(60), "4 floods took {took:?}");
    let dirs = findings(&out);
    assert!(!dirs.is_empty());
    for d in &dirs {
        for f in ["diff.txt", "observed.trace"] {
            let len = fs::metadata(d.join(f)).expect("saved").len();
            assert!(len <= (1 << 20) + 100, "{}/{f} is {len} bytes", d.display());
        }
    }
    let longest = text(&o.stdout).lines().count();
    assert!(longest < 4 * 600, "the printed report is cut: {longest} lines");
}

/// Issue 11.3: an interpreter that never answers a program; `--time` is a bound and every hang
/// is on disk the moment it is classified.
#[test]
fn time_bounds_a_campaign_against_an_interpreter_that_never_answers() {
    if !has_python3("time_bounds...") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("findings");
    let mut cmd = with_fake("hang", &["run", "--quiet", "--time", "3s", "--timeout", "1s", "--jobs", "1", "--out"]);
    cmd.arg(&out);
    let (o, took) = run_within(&mut cmd, Duration::from_secs(60));
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}{}", text(&o.stderr));
    // --time plus one --timeout, plus the time to start the first interpreter and to stop (a
    // batch of 64 hangs took 64s before).
    assert!(took < Duration::from_secs(10), "--time 3s --timeout 1s took {took:?}");
    assert!(!findings(&out).is_empty(), "the hangs are saved");
    assert!(stdout.contains("divergences: 0; crashes: 0; hangs: "), "{stdout}");
    assert!(!stdout.contains("signatures"), "no divergence signatures when only hangs were found:\n{stdout}");
}

#[test]
fn ctrl_c_after_some_hangs_leaves_them_on_disk() {
    if !has_python3("ctrl_c_after_some_hangs...") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("findings");
    let mut cmd = with_fake(
        "hang",
        &["run", "--quiet", "--no-shrink", "--cases", "60", "--timeout", "1s", "--jobs", "1", "--out"],
    );
    let mut child = cmd.arg(&out).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("starts");
    let started = Instant::now();
    while findings(&out).len() < 2 {
        assert!(started.elapsed() < Duration::from_secs(30), "no two hangs saved within 30s");
        assert!(child.try_wait().expect("wait").is_none(), "the campaign ended early");
        thread::sleep(Duration::from_millis(20));
    }
    let st = Command::new("kill").arg("-INT").arg(child.id().to_string()).status().expect("kill");
    assert!(st.success());
    wait_for(&mut child, Duration::from_secs(10));
    let dirs = findings(&out);
    assert!(dirs.len() >= 2);
    for d in &dirs {
        for f in ["README.md", "program.py", "program.case", "stderr.txt"] {
            assert!(d.join(f).is_file(), "{}: no {f}", d.display());
        }
    }
}

fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut res = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("readable") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                res.insert(p.clone(), fs::read(&p).expect("readable"));
            }
        }
    }
    res
}

/// Issue 11.4: the same `--out` twice.
#[test]
fn a_second_run_never_changes_the_first_runs_files() {
    if !has_python3("a_second_run...") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("findings");
    let campaign = |extra: &str| {
        let mut cmd = with_fake(
            "no-exit-log",
            &["run", "--quiet", "--cases", "40", "--jobs", "1", "--seed", "7", "--shrink-time", extra, "--out"],
        );
        let (o, _) = run_within(cmd.arg(&out), Duration::from_secs(120));
        assert_eq!(o.status.code(), Some(1), "{}{}", text(&o.stdout), text(&o.stderr));
        let first = fs::canonicalize(out.join("latest")).expect("latest points at the run");
        assert!(
            text(&o.stdout).contains(&format!("findings: {}", out.join(first.file_name().expect("a name")).display()))
        );
        first
    };
    let first = campaign("200ms");
    let before = snapshot(&first);
    assert!(!before.is_empty());
    let second = campaign("1s");
    assert_ne!(first, second, "each run has its own directory");
    assert_eq!(snapshot(&first), before, "the second run changed the first run's files");
    assert!(!findings(&out).is_empty());
}

/// Issue 11.5: what the interpreter says about itself, and file names, reach headers escaped.
#[test]
fn names_from_the_interpreter_and_file_names_cannot_inject_lines() {
    if !has_python3("names_from_the_interpreter...") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("findings");
    let mut cmd = with_fake(
        "no-exit-log",
        &[
            "run",
            "--quiet",
            "--no-shrink",
            "--cases",
            "20",
            "--seed",
            "7",
            "--jobs",
            "1",
            "--target",
            "cpython-3.11",
            "--out",
        ],
    );
    cmd.arg(&out).env("WITHSTAND_FAKE_NAME", "cpython\nprint('INJECTED')\n\u{1b}[31m");
    let (o, _) = run_within(&mut cmd, Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(1), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(!text(&o.stdout).contains('\u{1b}'), "no raw escape reaches the terminal");
    let dirs = findings(&out);
    assert!(!dirs.is_empty());
    for d in &dirs {
        let case = d.join("program.case");
        oracle::corpus::load(&case).unwrap_or_else(|e| panic!("{}: {e:?}", case.display()));
        let readme = fs::read_to_string(d.join("README.md")).expect("README");
        let line = readme.lines().find(|l| l.starts_with("- interpreter: ")).expect("the interpreter line");
        assert!(line.contains("cpython\\u{a}print('INJECTED')"), "{line}");
    }

    // A case file whose name holds a line of Python.
    let corpus = tmp.path().join("corpus/sync");
    fs::create_dir_all(&corpus).expect("mkdir");
    let case = corpus.join("x\nprint('INJECTED')\n#.case");
    fs::write(
        &case,
        "# withstand case, format 1\n# description: d\n# rule: -\n# origin: hand-written\n\ndef main():\n    log('L1')\n",
    )
    .expect("write");
    let o = withstand().arg("record").arg(&case).args(["--python", "python3"]).output().expect("runs");
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    let py = case.with_extension("py");
    let ran = Command::new("python3").arg(&py).output().expect("runs");
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    assert!(!text(&ran.stdout).contains("INJECTED"), "the file name ran as code:\n{}", text(&ran.stdout));
}

/// Issue 11.7.
#[test]
fn jobs_are_bounded_and_never_zero() {
    let o = withstand().args(["run", "--jobs", "0"]).output().expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("at least 1"), "{}", text(&o.stderr));
    if !has_python3("jobs_are_bounded...") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let mut cmd = withstand();
    cmd.args(["run", "--quiet", "--jobs", "300", "--cases", "6", "--python", "python3", "--out"]).arg(tmp.path());
    let (o, _) = run_within(&mut cmd, Duration::from_secs(120));
    let (stdout, stderr) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(o.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stderr.contains("more than the maximum of 64"), "{stderr}");
    assert!(stdout.contains("6 cases") && stdout.contains("6 job(s)"), "no more workers than cases:\n{stdout}");
}

/// Issue 11.8: in every command that takes a duration.
#[test]
fn huge_durations_are_usage_errors_everywhere() {
    let cases: &[&[&str]] = &[
        &["run", "--timeout"],
        &["run", "--time"],
        &["run", "--shrink-time"],
        &["replay", "--timeout"],
        &["shrink", "x.case", "--timeout"],
        &["shrink", "x.case", "--shrink-time"],
        &["import", "artifact", "--timeout"],
        &["import", "artifact", "--shrink-time"],
        &["record", "corpus", "--timeout"],
        &["corpus", "add", "dir", "--name", "n", "--timeout"],
        &["bench", "--timeout"],
    ];
    for args in cases {
        for huge in ["99999999999999999999", "18000000000000000000", "1e400"] {
            let o = withstand().args(*args).arg(huge).output().expect("runs");
            assert_eq!(o.status.code(), Some(2), "{args:?} {huge}: {}", text(&o.stderr));
            assert!(!text(&o.stderr).contains("panicked"), "{}", text(&o.stderr));
        }
    }
}

/// Issue 11.11: a second `shrink` resumes, and never grows what the first one reached.
#[test]
fn shrink_resumes_from_the_smallest_saved_program_and_never_grows_it() {
    if !has_python3("shrink_resumes...") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("findings");
    let (python, env) = fake("no-exit-log");
    let mut cmd = with_fake(
        "no-exit-log",
        &["run", "--quiet", "--no-shrink", "--cases", "64", "--jobs", "1", "--seed", "7", "--out"],
    );
    let (o, _) = run_within(cmd.arg(&out), Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(1));
    let dir = findings(&out)
        .into_iter()
        .filter(|d| d.file_name().is_some_and(|n| n.to_string_lossy().starts_with("divergence")))
        .max_by_key(|d| fs::metadata(d.join("program.py")).map(|m| m.len()).unwrap_or(0))
        .expect("a divergence");
    let lines = |f: &str| {
        let case = oracle::corpus::load(&dir.join(f)).expect("a valid case");
        oracle::render::body(&case.program).lines().filter(|l| !l.trim().is_empty()).count()
    };
    let shrink = |time: &str| {
        let mut cmd = withstand();
        cmd.arg("shrink").arg(&dir).arg("--python").arg(&python).envs(env.clone()).args(["--shrink-time", time]);
        let (o, _) = run_within(&mut cmd, Duration::from_secs(120));
        assert_eq!(o.status.code(), Some(1), "{}{}", text(&o.stdout), text(&o.stderr));
        text(&o.stdout)
    };
    shrink("20s");
    let first = lines("reduced.case");
    assert!(first < lines("program.case"));
    // Too little time to shrink anything: it must not fall back to the unshrunk program.
    let stdout = shrink("1ms");
    assert!(stdout.contains("resuming from reduced.case"), "{stdout}");
    assert!(lines("reduced.case") <= first, "{} > {first}", lines("reduced.case"));
}

/// Issue 11.12: files that are no regular file, or too large, and long values.
#[test]
fn hostile_files_are_refused_naming_the_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    let fifo = tmp.path().join("x.case");
    let made = Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
    if made && has_python3("hostile_files... (FIFO)") {
        for command in ["replay", "show", "record"] {
            let mut cmd = withstand();
            cmd.arg(command).arg(&fifo);
            if command != "show" {
                cmd.args(["--python", "python3"]);
            }
            let (o, _) = run_within(&mut cmd, Duration::from_secs(20));
            let all = text(&o.stdout) + &text(&o.stderr);
            assert!(!o.status.success(), "{command}: {all}");
            assert!(all.contains("not a regular file") && all.contains("x.case"), "{command}: {all}");
        }
    }
    let big = tmp.path().join("big.case");
    let mut body = String::from(
        "# withstand case, format 1\n# description: d\n# rule: -\n# origin: hand-written\n\ndef main():\n",
    );
    body.push_str(&format!("    log('{}')\n", "L".repeat(2 << 20)));
    fs::write(&big, body).expect("write");
    let o = withstand().arg("show").arg(&big).output().expect("runs");
    assert_eq!(o.status.code(), Some(2));
    let stderr = text(&o.stderr);
    assert!(stderr.contains("big.case") && stderr.contains("limit"), "{stderr}");
    assert!(stderr.len() < 2000, "the error is one clear line, not the file: {} bytes", stderr.len());
}

#[test]
fn huge_values_are_cut_in_what_is_printed_and_saved() {
    if !has_python3("huge_values...") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("findings");
    let mut cmd = with_fake(
        "big-return=3000000",
        &["run", "--quiet", "--no-shrink", "--cases", "3", "--seed", "1", "--jobs", "1", "--out"],
    );
    let (o, _) = run_within(cmd.arg(&out), Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let longest = text(&o.stdout).lines().map(str::len).max().unwrap_or(0);
    assert!(longest < 2000, "a printed line of {longest} bytes");
    let total: u64 = snapshot(&out.join("latest")).values().map(|v| v.len() as u64).sum();
    assert!(total < 3 * 4 * (1 << 20), "{total} bytes of findings for 3 cases");
}

/// Issue 11.13.
#[test]
fn files_honour_the_umask_and_a_bom_and_errors_name_real_paths() {
    let tmp = tempfile::tempdir().expect("tmp");
    // A BOM before the case header, as the program parser accepts one.
    let case = tmp.path().join("bom.case");
    fs::write(&case, "\u{feff}# withstand case, format 1\n# description: d\n# rule: -\n# origin: hand-written\n\ndef main():\n    log('L1')\n").expect("write");
    let o = withstand().arg("show").arg(&case).output().expect("runs");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    oracle::corpus::load(&case).expect("the corpus reads it too");

    // `import` says where an artifact is no program.
    let artifact = tmp.path().join("crash-1");
    fs::write(&artifact, "#withstand-program\ndef main():\n    bogus(\n").expect("write");
    let o = withstand().arg("import").arg(&artifact).args(["--python", "python3"]).output().expect("runs");
    let stderr = text(&o.stderr);
    if o.status.code() != Some(2) {
        assert_eq!(o.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(&format!("{}:3", artifact.display())), "file:line: {stderr}");
    }

    if !has_python3("files_honour_the_umask...") {
        return;
    }
    // A --junit file that cannot be written: the real path, not a temporary one.
    let junit = tmp.path().join("no/such/dir/junit.xml");
    let o = withstand()
        .args(["replay"])
        .arg(&case)
        .args(["--python", "python3", "--junit"])
        .arg(&junit)
        .output()
        .expect("runs");
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no/such/dir/junit.xml") && !stderr.contains(".tmp-"), "{stderr}");

    // Finding files get 0644 (and directories 0755) under umask 022.
    let out = tmp.path().join("findings");
    let (python, env) = fake("no-exit-log");
    let o = Command::new("sh")
        .arg("-c")
        .arg("umask 022; exec \"$@\"")
        .arg("sh")
        .arg(common::bin())
        .args(["run", "--quiet", "--cases", "20", "--jobs", "1", "--shrink-time", "1s", "--python"])
        .arg(&python)
        .arg("--out")
        .arg(&out)
        .envs(env)
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    use std::os::unix::fs::PermissionsExt;
    for f in ["report.md", "report.json"] {
        let m = fs::metadata(out.join("latest").join(f)).expect("the run's report");
        assert_eq!(m.permissions().mode() & 0o777, 0o644, "{f}");
    }
    for d in findings(&out) {
        assert_eq!(fs::metadata(&d).expect("stat").permissions().mode() & 0o777, 0o755, "{}", d.display());
        for f in ["README.md", "program.py", "reduced.py"] {
            if let Ok(m) = fs::metadata(d.join(f)) {
                assert_eq!(m.permissions().mode() & 0o777, 0o644, "{}/{f}", d.display());
            }
        }
    }
}

/// Issue 11.13: `bench` tells crashes from divergences.
#[test]
fn bench_does_not_count_crashes_as_divergences() {
    if !has_python3("bench_does_not_count...") {
        return;
    }
    let (o, _) = run_within(&mut with_fake("segv-at=5", &["bench", "--cases", "30"]), Duration::from_secs(120));
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}{}", text(&o.stderr));
    assert!(stdout.contains(" crash") && !stdout.contains("divergence"), "{stdout}");
}

/// Bad input anywhere: a non-zero exit and one clear message, never a panic.
#[test]
fn bad_input_gets_a_clear_error_never_a_panic() {
    let tmp = tempfile::tempdir().expect("tmp");
    let binary = tmp.path().join("binary.case");
    fs::write(&binary, [0xffu8, 0xfe, 0, 1, 2, 3]).expect("write");
    let dir = tmp.path().to_str().expect("utf-8").to_string();
    let bin = binary.to_str().expect("utf-8").to_string();
    let cases: Vec<Vec<&str>> = vec![
        vec!["show", "no-such-file"],
        vec!["show", &bin],
        vec!["show", "0xzz"],
        vec!["shrink", &bin, "--python", "/bin/false"],
        vec!["replay", &bin, "--python", "/bin/false"],
        vec!["replay", "no-such-dir", "--python", "/bin/false"],
        vec!["record", &dir, "--python", "no-such-python"],
        vec!["import", &bin, "--python", "/bin/false"],
        vec!["corpus", "add", &dir, "--name", "Bad Name"],
        vec!["run", "--python", "no-such-python", "--cases", "1"],
        vec!["run", "--seed", "nope"],
        vec!["run", "--target", "cpython-2.7"],
        vec!["gen", "--count", "x"],
    ];
    for args in cases {
        let o = withstand().args(&args).current_dir(tmp.path()).output().expect("runs");
        let stderr = text(&o.stderr);
        assert!(!o.status.success(), "{args:?}");
        assert_ne!(o.status.code(), Some(101), "{args:?} panicked: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(stderr.contains("error"), "{args:?}: {stderr}");
    }
}

/// Issue 11.1 in `replay`: the crash is reported, and the JUnit report written, before the
/// restart failure ends the replay.
#[test]
fn replay_reports_a_crash_before_giving_up_on_an_interpreter_that_cannot_restart() {
    if !has_python3("replay_reports_a_crash...") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("corpus/sync");
    fs::create_dir_all(&dir).expect("mkdir");
    for name in ["a", "b"] {
        fs::write(
            dir.join(format!("{name}.case")),
            "# withstand case, format 1\n# description: d\n# rule: -\n# origin: hand-written\n\ndef main():\n    log('L1')\n",
        )
        .expect("write");
    }
    let junit = tmp.path().join("junit.xml");
    let mut cmd = with_fake("segv-at=1", &["replay", "--junit"]);
    cmd.arg(&junit).arg(tmp.path().join("corpus")).env("WITHSTAND_FAKE_ONCE", tmp.path().join("started"));
    let (o, _) = run_within(&mut cmd, Duration::from_secs(60));
    let (stdout, stderr) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(o.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stdout.contains("FAIL    corpus/sync/a.case: interpreter crash (killed by signal 11)"), "{stdout}");
    assert!(stderr.contains("could not be restarted"), "{stderr}");
    let xml = fs::read_to_string(&junit).expect("the report of what ran is written");
    assert!(xml.contains("type=\"crash\""), "{xml}");
}
