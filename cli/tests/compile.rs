//! `--compile` end to end: a campaign against a fake Cython (`oracle/src/runner/fakes/cython`,
//! found the way a real one is, through `$WITHSTAND_IMPLS/venvs/cpython-3.X`), a missing
//! compiler, and `replay --compile` with each real compiler that is installed (Nuitka only with
//! `WITHSTAND_TEST_NUITKA=1`: its builds take minutes). Without `python3`, a C compiler or a real
//! compiler, a test prints one line saying it was skipped.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{has_python3, text, withstand};

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("withstand runs")
}

/// `3.11`, the version of `python3`, if it has the headers to build extension modules for it.
fn python3_with_headers(test: &str) -> Option<String> {
    if !has_python3(test) {
        return None;
    }
    let o = Command::new("python3")
        .args(["-c", "import sys, sysconfig, os; print('%d.%d' % sys.version_info[:2], os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))"])
        .output()
        .expect("python3 runs");
    match text(&o.stdout).split_whitespace().collect::<Vec<_>>()[..] {
        [version, "True"] => Some(version.to_owned()),
        _ => {
            println!("skipped: python3 has no Python.h ({test})");
            None
        }
    }
}

fn executable(path: &Path, text: &str) {
    fs::write(path, text).expect("write");
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// A directory laid out as `scripts/setup-impls.sh --compilers` lays it out, whose venv Python
/// for `version` is `python3` with a fake Cython: `-m cython` runs the fake, which rejects every
/// program that defines a class `M2` (`FAKE_CYTHON_REJECT`). Returns the directory and the fake.
fn impls_with_fake_cython(dir: &Path, version: &str) -> (PathBuf, PathBuf) {
    let impls = dir.join("impls");
    let bin = impls.join(format!("venvs/cpython-{version}/bin"));
    fs::create_dir_all(&bin).expect("mkdir");
    let fake = dir.join("fake/cython");
    fs::create_dir_all(fake.parent().expect("a parent")).expect("mkdir");
    executable(&fake, include_str!("../../oracle/src/runner/fakes/cython"));
    let site = dir.join("site/Cython");
    fs::create_dir_all(&site).expect("mkdir");
    fs::write(site.join("__init__.py"), "__version__ = '0.0+fake'\n").expect("write");
    executable(
        &bin.join("python"),
        &format!(
            "#!/bin/sh\nif [ \"$1 $2\" = \"-m cython\" ]; then FAKE_CYTHON_REJECT='^class M2' exec '{}' \"$@\"; fi\nPYTHONPATH='{}' exec python3 \"$@\"\n",
            fake.display(),
            dir.join("site").display()
        ),
    );
    (impls, fake)
}

fn dirs_starting(run: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut res: Vec<PathBuf> = fs::read_dir(run)
        .expect("the run directory")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.file_name().expect("a name").to_string_lossy().starts_with(prefix))
        .collect();
    res.sort();
    res
}

#[test]
fn a_compiled_campaign_builds_in_batches_blames_each_program_shrinks_and_cleans_up() {
    let Some(version) = python3_with_headers("a_compiled_campaign...") else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let (impls, fake) = impls_with_fake_cython(tmp.path(), &version);
    let out = tmp.path().join("out");
    let o = run(withstand()
        .args(["run", "--python", "python3", "--compile", "cython", "--cases", "30", "--batch", "8", "--jobs", "1"])
        .args(["--seed", "7", "--shrink-time", "8s", "--out"])
        .arg(&out)
        .env("WITHSTAND_IMPLS", &impls));
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}{}", text(&o.stderr));
    assert!(stdout.contains("compiled with cython 0.0+fake (batches of 8)"), "{stdout}");
    // The fake builds the module nested past CPython's limit that the campaign builds first: it
    // lacks the limit, and no program is nested that deep for it.
    assert!(stdout.contains("capabilities: all but nesting-limit"), "{stdout}");
    assert!(stdout.contains("compile failures: "), "{stdout}");
    // Cython's utility module was built once, for the whole campaign.
    let generated = fs::read_to_string(fake.parent().expect("a parent").join("generated")).expect("generated");
    assert_eq!(generated.lines().count(), 1);

    let run_dir = out.join("latest");
    assert!(!run_dir.join("builds").exists(), "the builds are removed at the end");
    let compiles = dirs_starting(&run_dir, "compile-");
    assert!(!compiles.is_empty(), "a program with a class M2 is a compile finding of its own");
    // The first of them (by when it was found) was shrunk, the others have its signature.
    let c = compiles.iter().find(|c| c.join("reduced-module").is_dir()).expect("a compile finding shrunk");
    let compiler = fs::read_to_string(c.join("compiler.txt")).expect("compiler.txt");
    assert!(compiler.contains("rejected on purpose") && compiler.contains("--shared=withstand_cyshared"), "{compiler}");
    let program = fs::read_to_string(c.join("program.py")).expect("program.py");
    assert!(program.contains("\nclass M2"), "the finding is the program the compiler rejected:\n{program}");
    // Shrunk with the compiler in the loop: the reduced program is still rejected, so still has
    // its M2, and it is smaller; its reproducer builds it the way withstand did.
    let reduced = fs::read_to_string(c.join("reduced-module/repro.py")).expect("a reduced module");
    assert!(reduced.contains("\nclass M2") && reduced.len() < program.len(), "{reduced}");
    let build = fs::read_to_string(c.join("reduced-module/build.sh")).expect("build.sh");
    assert!(build.contains("-m cython --generate-shared=withstand_cyshared.c"), "{build}");
    assert!(build.contains("-m cython -3 --shared=withstand_cyshared repro.py"), "{build}");
    let readme = fs::read_to_string(c.join("README.md")).expect("README.md");
    assert!(readme.contains("sh reduced-module/build.sh && sh reduced-module/run.sh"), "{readme}");

    // The fake's modules return None at once: a program whose trace has events diverges, and its
    // reproducer runs the built module and prints what it observed.
    let divergences = dirs_starting(&run_dir, "divergence-");
    assert!(!divergences.is_empty(), "{stdout}");
    let observed = fs::read_to_string(divergences[0].join("observed.trace")).expect("observed.trace");
    // (An async main that returns None cannot be driven: the prelude's driver says so.)
    assert!(
        observed.contains("=> return None") || observed.contains("'NoneType' object has no attribute 'send'"),
        "{observed}"
    );
    let module = divergences[0].join("module");
    assert!(module.join("run.sh").exists() && module.join("withstand_prelude.py").exists());

    // The report says which compiler the known files saw, and merge re-triages against it: an
    // entry for the fake's rejections names the compile findings again.
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(run_dir.join("report.json")).expect("report.json")).expect("json");
    assert_eq!(report["run"]["compiler"]["implementation"], "cython", "{}", report["run"]);
    let known = tmp.path().join("fake.toml");
    fs::write(
        &known,
        "implementation = \"cython\"\nversions = \"<1\"\n\n[[known]]\nid = \"fake-rejects-m2\"\nsummary = \"s\"\n\
         reason = \"the fake\"\nfailure = \"compile\"\nmessage = \"rejected on purpose\"\n",
    )
    .expect("write");
    let o = run(withstand()
        .arg("merge")
        .arg(&run_dir)
        .arg("--out")
        .arg(tmp.path().join("merged"))
        .arg("--known")
        .arg(&known));
    assert!(text(&o.stdout).contains("known fake-rejects-m2"), "{}{}", text(&o.stdout), text(&o.stderr));

    // --keep-builds keeps them, and says where.
    let o = run(withstand()
        .args(["run", "--python", "python3", "--compile", "cython", "--cases", "3", "--no-shrink", "--keep-builds"])
        .arg("--out")
        .arg(tmp.path().join("kept"))
        .env("WITHSTAND_IMPLS", &impls));
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stdout).contains("builds kept in"), "{}", text(&o.stdout));
    assert!(tmp.path().join("kept/latest/builds/cyshared").is_dir());
}

#[test]
fn a_missing_compiler_is_one_message_and_status_2() {
    if !has_python3("a_missing_compiler...") {
        return;
    }
    let has_nuitka = Command::new("python3").args(["-c", "import nuitka"]).output().is_ok_and(|o| o.status.success());
    if has_nuitka {
        println!("skipped: python3 has Nuitka installed (a_missing_compiler...)");
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let o = run(withstand()
        .args(["run", "--python", "python3", "--compile", "nuitka", "--cases", "3", "--out"])
        .arg(tmp.path().join("out"))
        .env("WITHSTAND_IMPLS", tmp.path()));
    assert_eq!(o.status.code(), Some(2));
    let stderr = text(&o.stderr);
    assert!(stderr.contains("nuitka is not installed for"), "{stderr}");
    assert!(stderr.contains("scripts/setup-impls.sh --compilers"), "{stderr}");
    assert_eq!(stderr.lines().filter(|l| !l.trim().is_empty()).count(), 1, "{stderr}");
    // Only a bad --compile is a usage error.
    let o = run(withstand().args(["run", "--python", "python3", "--compile", "codon"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("unknown compiler \"codon\""), "{}", text(&o.stderr));
}

/// Replays corpus cases built with `compiler`, if it is installed for `python3` (in it, or where
/// `scripts/setup-impls.sh --compilers` puts it): the exit status and stdout.
fn replay_compiled(compiler: &str, cases: &[&str]) -> Option<(Option<i32>, String)> {
    python3_with_headers(compiler)?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus");
    let mut cmd = withstand();
    cmd.args(["replay", "--python", "python3", "--compile", compiler]);
    for case in cases {
        cmd.arg(root.join(case));
    }
    let o = run(&mut cmd);
    let stderr = text(&o.stderr);
    if o.status.code() == Some(2) && stderr.contains("is not installed for") {
        println!("skipped: {compiler} is not installed (replay_compiled)");
        return None;
    }
    Some((o.status.code(), text(&o.stdout) + &stderr))
}

#[test]
fn real_cython_raises_attribute_error_for_a_manager_without_exit_and_crashes_on_with_1() {
    let cases = [
        "sync/exit-suppresses.case",
        "sync/lacks-exit.case",
        "regressions/cython-with-int-literal-segfault.case",
        "compile/compile-too-deep.case",
    ];
    let Some((status, out)) = replay_compiled("cython", &cases) else {
        return;
    };
    assert_eq!(status, Some(1), "{out}");
    assert!(out.contains("ok      corpus/sync/exit-suppresses.case"), "{out}");
    assert!(out.contains("FAIL    corpus/sync/lacks-exit.case"), "{out}");
    assert!(out.contains("AttributeError"), "Cython 3.3 raises AttributeError, 3.11 TypeError:\n{out}");
    // CPython's nesting limit is its own: Cython builds the probe, so the case is not run.
    assert!(out.contains("compile-too-deep.case: not run: the interpreter lacks nesting-limit"), "{out}");
    // The segfault is a crash of that case; the worker is restarted for the others.
    assert!(
        out.contains(
            "FAIL    corpus/regressions/cython-with-int-literal-segfault.case: interpreter crash (killed by signal 11)"
        ),
        "{out}"
    );
}

#[test]
fn real_mypyc_crashes_on_a_manager_without_enter() {
    let Some((status, out)) = replay_compiled("mypyc", &["sync/exit-suppresses.case", "sync/lacks-enter.case"]) else {
        return;
    };
    assert_eq!(status, Some(1), "{out}");
    assert!(out.contains("ok      corpus/sync/exit-suppresses.case"), "{out}");
    assert!(out.contains("FAIL    corpus/sync/lacks-enter.case"), "{out}");
    assert!(out.contains("KeyError"), "mypyc 2.4 crashes with a KeyError:\n{out}");
}

#[test]
fn real_nuitka_builds_and_runs_a_case() {
    // Nuitka builds its runtime at -O3 for every module: minutes on a loaded machine.
    if std::env::var_os("WITHSTAND_TEST_NUITKA").is_none() {
        println!("skipped: set WITHSTAND_TEST_NUITKA=1 to build with a real Nuitka (minutes) (real_nuitka...)");
        return;
    }
    let Some((status, out)) = replay_compiled("nuitka", &["sync/exit-suppresses.case"]) else { return };
    assert_eq!(status, Some(0), "{out}");
    assert!(out.contains("1 passed, 0 failed"), "{out}");
}
