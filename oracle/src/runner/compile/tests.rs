//! Tests for building with compilers: blame and bisection with a fake Cython, the worker's
//! import request, and real compilers where they are installed.

use super::*;

#[test]
fn masks_locations_names_and_numbers() {
    assert_eq!(
        mask("p0000.py:39: KeyError: \"'M1' has no attribute '__enter__'\"", &["p0000"]),
        "KeyError: \"'MN' has no attribute '__enter__'\""
    );
    assert_eq!(mask("w3_12.py:8:12: Expected an identifier or literal", &[]), "Expected an identifier or literal");
    assert_eq!(mask("error: 'w3_12' and w4p have   12 problems", &[]), "error: 'MOD' and MOD have N problems");
    assert_eq!(mask("w3_12.c:100:1: error: expected ';'", &[]), "error: expected ';'");
    // Not a location: a sentence with a colon.
    assert_eq!(mask("Error compiling: see above", &[]), "Error compiling: see above");
}

#[test]
fn cython_errors_are_read_per_file() {
    let output = "warning: w1_0.py:3:4: Unreachable code\n\nError compiling Cython file:\n----\n...\n    with M0(:\n----\n\nw1_1.py:8:12: Expected an identifier or literal\nwarning: w1_2.py:1:1: x\n";
    let e = cython_errors(output, "w1_1");
    assert!(e.starts_with("Error compiling Cython file"), "{e}");
    assert!(e.ends_with("w1_1.py:8:12: Expected an identifier or literal"), "{e}");
    assert_eq!(cython_errors(output, "w1_0"), "");
}

#[test]
fn commands_are_quoted_for_a_person() {
    let c = Cmd {
        env: vec![("A".into(), "1 2".into())],
        argv: vec!["x y".into(), "-c".into(), "it's".into(), "p.py".into()],
    };
    assert_eq!(c.shell(), "A='1 2' 'x y' -c 'it'\\''s' p.py");
}

#[test]
fn a_same_failure_has_the_same_stage_kind_and_summary() {
    let f = |how: How, summary: &str| BuildFailure {
        compiler: "cython 3.3.1".into(),
        stage: Stage::Build,
        how,
        summary: summary.into(),
        output: String::new(),
        commands: Vec::new(),
    };
    let a = f(How::Rejected { status: "exit status 1".into() }, "x");
    assert!(a.same_as(&f(How::Rejected { status: "exit status 2".into() }, "x")));
    assert!(!a.same_as(&f(How::Crashed { status: "exit status 1".into() }, "x")));
    assert!(!a.same_as(&f(How::Rejected { status: "exit status 1".into() }, "y")));
    assert!(a.key().starts_with("compile: cython 3.3.1 rejects: x"), "{}", a.key());
    let i = BuildFailure::import_failed("cython 3.3.1", "ImportError: w3_4 is broken (12)");
    assert_eq!(i.key(), "compile: cython 3.3.1 module does not import: ImportError: MOD is broken (N)");
}

// ---- builds with a fake Cython and the real C compiler, run by a real python3 worker ----

use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::AtomicBool;

use crate::runner::{RunResult, Worker, WorkerConfig};
use crate::trace::{Event, Outcome};

const PRELUDE: &str = include_str!("../../render/prelude.py");

/// What the interpreter `python3` is, or `None` after one line saying the test was skipped.
fn target(test: &str) -> Option<Target> {
    match Target::of(Path::new("python3")) {
        Ok(t) if Path::new(&t.include).join("Python.h").exists() => Some(t),
        Ok(_) => {
            println!("runner::compile::{test}: skipped, python3 has no Python.h");
            None
        }
        Err(e) => {
            println!("runner::compile::{test}: skipped, no python3 ({e})");
            None
        }
    }
}

/// A temporary directory whose name has a space, a quote and a `$( )`: every path reaches the
/// compilers as an argument, never through a shell.
fn hostile_dir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("with space 'q' $(touch pwned) ").tempdir().expect("a temporary directory")
}

/// The fake Cython, copied into `dir` (so that no other test writes to it while it runs).
fn fake_cython(dir: &Path) -> PathBuf {
    let path = dir.join("python");
    fs::write(&path, include_str!("../fakes/cython")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn builder(dir: &Path, target: Target, timeout: Duration, stop: Arc<dyn Fn() -> bool + Send + Sync>) -> Builder {
    let toolchain = Toolchain { compiler: Compiler::Cython, version: "fake".into(), python: fake_cython(dir), target };
    let config = BuildConfig { timeout, memory_limit: None, stop, jobs: 1 };
    Builder::new(toolchain, &dir.join("builds"), config, false).expect("a builder")
}

fn units(sources: &[&str]) -> Vec<Unit> {
    sources.iter().map(|s| Unit { source: s.to_string() }).collect()
}

fn never() -> Arc<dyn Fn() -> bool + Send + Sync> {
    Arc::new(|| false)
}

fn failed(u: &UnitBuild) -> &BuildFailure {
    match u {
        UnitBuild::Failed(f) => f,
        UnitBuild::Built { .. } => panic!("expected a failure, got {u:?}"),
    }
}

#[test]
fn a_rejected_program_is_blamed_by_the_file_the_compiler_names_and_the_others_run() {
    let Some(target) = target("a_rejected_program_is_blamed") else { return };
    let dir = hostile_dir();
    let b = builder(dir.path(), target, Duration::from_secs(120), never());
    let batch = b.build(&units(&["ok", "REJECT", "ok", "ok; $(touch pwned2) `touch pwned3`"])).expect("built");
    assert_eq!(batch.builds, 1, "named by the compiler: no bisection");
    let f = failed(&batch.units[1]);
    assert_eq!(f.how, How::Rejected { status: "exit status 1".into() });
    assert_eq!(f.stage, Stage::Build);
    assert_eq!(f.summary, "rejected on purpose");
    assert!(f.output.contains("Error compiling Cython file"), "{}", f.output);
    let mut w = Worker::spawn(&WorkerConfig::new("python3", PRELUDE, Duration::from_secs(10))).expect("a worker");
    for i in [0, 2, 3] {
        let request = batch.request(i, false).expect("built");
        match w.run(&request).expect("runs") {
            RunResult::Completed(t) => assert_eq!(t.outcome, Outcome::Returned("None".into())),
            other => panic!("{other:?}"),
        }
    }
    assert!(batch.request(1, false).is_none());
    // Nothing a program holds, and no character of a path, reached a shell.
    for name in ["pwned", "pwned2", "pwned3"] {
        assert!(!Path::new(name).exists() && !dir.path().join(name).exists(), "{name} was created");
    }
    let root = batch.dir().to_path_buf();
    drop(batch);
    assert!(!root.exists(), "a batch's directory goes with it");
}

#[test]
fn cythons_utility_module_is_built_once_and_lies_beside_every_batch() {
    let Some(target) = target("cythons_utility_module_is_built_once") else { return };
    let dir = hostile_dir();
    let b = builder(dir.path(), target.clone(), Duration::from_secs(120), never());
    let first = b.build(&units(&["ok", "ok"])).expect("built");
    let second = b.build(&units(&["ok"])).expect("built");
    let generated = fs::read_to_string(dir.path().join("generated")).unwrap_or_default();
    assert_eq!(generated.lines().count(), 1, "one utility module for every batch of a builder");
    for batch in [&first, &second] {
        let UnitBuild::Built { path, .. } = &batch.units[0] else { panic!("{:?}", batch.units[0]) };
        let shared = Path::new(path).join(format!("{CYTHON_SHARED}{}", target.ext_suffix));
        assert!(shared.exists(), "{shared:?} beside the modules it serves");
    }
    // A reproducer builds the utility module too, then the program against it.
    let commands: Vec<String> = b.toolchain().commands("repro").iter().map(Cmd::shell).collect();
    assert_eq!(commands.len(), 4, "{commands:?}");
    assert!(commands[0].ends_with(&format!("-m cython --generate-shared={CYTHON_SHARED}.c")), "{}", commands[0]);
    assert!(commands[2].ends_with(&format!("-m cython -3 --shared={CYTHON_SHARED} repro.py")), "{}", commands[2]);
    assert!(commands[3].contains(" -O0 ") && commands[3].contains("repro.c -o repro"), "{}", commands[3]);
}

#[test]
fn a_program_the_c_compiler_fails_on_is_blamed_without_bisection() {
    let Some(target) = target("a_program_the_c_compiler_fails_on") else { return };
    let dir = hostile_dir();
    let b = builder(dir.path(), target, Duration::from_secs(120), never());
    let batch = b.build(&units(&["ok", "CFAIL", "ok"])).expect("built");
    assert_eq!(batch.builds, 1, "the C compiler runs per module: no bisection");
    let f = failed(&batch.units[1]);
    assert!(matches!(f.how, How::Rejected { .. }), "{:?}", f.how);
    assert!(f.summary.contains("error"), "{}", f.summary);
    assert!(f.commands[0].contains("w1_1.c"), "the command that failed: {:?}", f.commands);
    assert!(matches!(batch.units[0], UnitBuild::Built { .. }) && matches!(batch.units[2], UnitBuild::Built { .. }));
}

#[test]
fn a_hanging_compiler_is_killed_and_the_batch_bisected_to_the_program() {
    let Some(target) = target("a_hanging_compiler_is_killed") else { return };
    let dir = hostile_dir();
    // Cython's utility module is built first, by a builder in no hurry (on a loaded machine the
    // C compiler alone can take seconds); the second builder, on the same root, reuses it.
    drop(builder(dir.path(), target.clone(), Duration::from_secs(120), never()).build(&units(&["ok"])).expect("built"));
    let b = builder(dir.path(), target, Duration::from_secs(5), never());
    let started = Instant::now();
    let batch = b.build(&units(&["ok", "ok", "ok", "HANG"])).expect("built");
    // [0..4) hangs; [0, 1] builds; [2, 3] hangs; [2] builds; [3] hangs.
    assert_eq!(batch.builds, 5);
    assert!(started.elapsed() < Duration::from_secs(90), "{:?}", started.elapsed());
    for i in 0..3 {
        assert!(matches!(batch.units[i], UnitBuild::Built { .. }), "{:?}", batch.units[i]);
    }
    let f = failed(&batch.units[3]);
    assert_eq!(f.how, How::Hung { after: Duration::from_secs(5) });
    assert!(f.key().starts_with("compile: cython fake hangs (killed after 5s)"), "{}", f.key());
}

#[test]
fn a_crashing_compiler_is_a_crash_of_the_one_program() {
    let Some(target) = target("a_crashing_compiler_is_a_crash") else { return };
    let dir = hostile_dir();
    let b = builder(dir.path(), target, Duration::from_secs(120), never());
    let batch = b.build(&units(&["CRASH", "ok", "ok"])).expect("built");
    let f = failed(&batch.units[0]);
    assert_eq!(f.how, How::Crashed { status: "killed by signal 11".into() });
    assert!(matches!(batch.units[1], UnitBuild::Built { .. }) && matches!(batch.units[2], UnitBuild::Built { .. }));
    assert!(batch.builds >= 3, "bisected: {}", batch.builds);
}

#[test]
fn a_build_stops_when_asked() {
    let Some(target) = target("a_build_stops_when_asked") else { return };
    let dir = hostile_dir();
    let flag = Arc::new(AtomicBool::new(false));
    let f = Arc::clone(&flag);
    let b = builder(dir.path(), target, Duration::from_secs(600), Arc::new(move || f.load(Ordering::Relaxed)));
    let setter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        flag.store(true, Ordering::Relaxed);
    });
    let started = Instant::now();
    let res = b.build(&units(&["HANG"]));
    setter.join().unwrap();
    assert!(matches!(res, Err(BuildError::Stopped)), "{res:?}");
    assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
}

#[test]
fn a_missing_compiler_names_what_to_install() {
    let dir = tempfile::tempdir().unwrap();
    // A Python that answers the probe without any compiler.
    let py = dir.path().join("python");
    let probe_answer =
        r#"{"version": "3.11.7 (fake)", "include": "/nowhere", "ext_suffix": ".so", "cc": "cc", "compiler": null}"#;
    fs::write(&py, format!("#!/bin/sh\necho '{probe_answer}'\n")).unwrap();
    fs::set_permissions(&py, fs::Permissions::from_mode(0o755)).unwrap();
    let err = Toolchain::find(Compiler::Mypyc, &py, Some(dir.path())).expect_err("no mypyc");
    let text = err.to_string();
    assert!(text.starts_with("mypyc is not installed for"), "{text}");
    assert!(text.contains("scripts/setup-impls.sh --compilers"), "{text}");
    // A Python that is not one.
    let err = Toolchain::find(Compiler::Cython, Path::new("/nonexistent/python"), None).expect_err("no python");
    assert!(err.to_string().starts_with("cannot ask \"/nonexistent/python\" about itself"), "{err}");
}

// ---- the worker's import request, with plain Python modules ----

fn worker_or_skip(test: &str) -> Option<Worker> {
    target(test)?;
    Some(Worker::spawn(&WorkerConfig::new("python3", PRELUDE, Duration::from_secs(10))).expect("a worker"))
}

#[test]
fn the_worker_imports_a_module_runs_its_main_and_reports_an_import_that_fails() {
    let Some(mut w) = worker_or_skip("the_worker_imports_a_module") else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    fs::write(
        dir.path().join("m_ok.py"),
        "from withstand_prelude import log\nclass M0:\n    pass\ndef main():\n    log('L1')\n    return M0.__module__\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("m_async.py"),
        "from withstand_prelude import Aw\nasync def main():\n    return await Aw('a1', True, 3)\n",
    )
    .unwrap();
    fs::write(dir.path().join("m_bad.py"), "raise ImportError('on purpose')\n").unwrap();
    fs::write(dir.path().join("m_segv.py"), "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n").unwrap();
    let run =
        |w: &mut Worker, module: &str, is_async: bool| w.run(&proto::import_request(path, module, is_async)).unwrap();
    match run(&mut w, "m_ok", false) {
        RunResult::Completed(t) => {
            // The module's classes say they come from __main__, as an exec'd program's do.
            assert_eq!(t.outcome, Outcome::Returned("'__main__'".into()));
            assert!(matches!(&t.events[..], [Event::Log { label, .. }] if label == "L1"), "{:?}", t.events);
        }
        other => panic!("{other:?}"),
    }
    match run(&mut w, "m_async", true) {
        RunResult::Completed(t) => {
            assert_eq!(t.outcome, Outcome::Returned("3".into()));
            assert_eq!(t.events.len(), 2, "await and suspend: {:?}", t.events);
        }
        other => panic!("{other:?}"),
    }
    let bad = run(&mut w, "m_bad", false);
    assert_eq!(
        bad,
        RunResult::Completed(crate::trace::Trace {
            events: Vec::new(),
            outcome: Outcome::CompileError("import failed: ImportError: on purpose".into())
        })
    );
    // A module that kills the interpreter on import is a crash of that program; the next runs.
    match run(&mut w, "m_segv", false) {
        RunResult::Crashed { status, .. } => assert_eq!(status, "killed by signal 11"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(run(&mut w, "m_ok", false), RunResult::Completed(_)));
}

#[test]
fn an_import_that_fails_is_judged_a_compile_failure_not_a_divergence() {
    use crate::ir::{Program, Stmt};
    use crate::profile::Profile;
    use crate::verdict::{judge_compiled, Failure, Messages, Verdict};
    let program = Program {
        managers: vec![],
        gens: vec![],
        cms: vec![],
        main: vec![Stmt::Log("L1".into())],
        is_async: false,
        decos: Vec::new(),
    };
    let prediction = crate::model::predict(&program, Profile::for_interpreter("cpython", (3, 11, 7)).unwrap());
    let result = RunResult::Completed(crate::trace::Trace {
        events: Vec::new(),
        outcome: Outcome::CompileError(
            "import failed: ImportError: dynamic module does not define module export function (PyInit_w3_1)".into(),
        ),
    });
    match judge_compiled(&prediction, result, Messages::Exact, "cython 3.3.1") {
        Verdict::Fails(Failure::Compile(f)) => {
            assert_eq!(f.stage, Stage::Import);
            assert_eq!(f.key(), "compile: cython 3.3.1 module does not import: ImportError: dynamic module does not define module export function (PyInit_MOD)");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn known_entries_are_matched_against_the_compiler_and_its_version() {
    let target = Target {
        version: "3.11.7 (main)".into(),
        include: String::new(),
        ext_suffix: ".so".into(),
        cc: vec!["cc".into()],
    };
    let host = InterpreterInfo {
        implementation: "cpython".into(),
        version: (3, 11, 7),
        version_string: "3.11.7 (main)".into(),
        capabilities: crate::capability::Capabilities::FULL,
    };
    let toolchain = |compiler, version: &str| Toolchain {
        compiler,
        version: version.into(),
        python: PathBuf::from("/v/bin/python"),
        target: target.clone(),
    };
    let info = toolchain(Compiler::Cython, "3.3.1").known_info(&host);
    assert_eq!((info.implementation.as_str(), info.version), ("cython", (3, 3, 1)));
    assert_eq!(info.version_string, "cython 3.3.1 for 3.11.7 (main)");
    // A version that is not all numbers keeps the numbers it starts with.
    assert_eq!(toolchain(Compiler::Mypyc, "2.4.1+dev.abc").known_info(&host).version, (2, 4, 1));
    assert_eq!(toolchain(Compiler::Nuitka, "4.3").known_info(&host).version, (4, 3, 0));

    let file = "implementation = \"cython\"\nversions = \">=3.3, <3.4\"\n\n[[known]]\nid = \"a\"\nsummary = \"s\"\nreason = \"r\"\nrule = \"missing-protocol\"\ndiffers = \"type\"\n";
    let known = [crate::triage::known::parse(file, "cython.toml").expect("parses")];
    assert_eq!(crate::triage::Triage::new(&known, &info).entries().len(), 1);
    // Not to the interpreter itself, nor to another compiler or version.
    assert!(crate::triage::Triage::new(&known, &host).entries().is_empty());
    let other = toolchain(Compiler::Cython, "3.4.0").known_info(&host);
    assert!(crate::triage::Triage::new(&known, &other).entries().is_empty());
    let mypyc = toolchain(Compiler::Mypyc, "3.3.1").known_info(&host);
    assert!(crate::triage::Triage::new(&known, &mypyc).entries().is_empty());
}

#[test]
fn a_package_built_without_some_of_its_modules_says_which() {
    let Some(target) = target("a_package_built_without_some_of_its_modules_says_which") else { return };
    let dir = hostile_dir();
    let toolchain = Toolchain { compiler: Compiler::Nuitka, version: "fake".into(), python: "python3".into(), target };
    let config = BuildConfig { timeout: Duration::from_secs(60), memory_limit: None, stop: never(), jobs: 1 };
    let b = Builder::new(toolchain, &dir.path().join("builds"), config, false).expect("a builder");
    let pkg = dir.path().join("w7p");
    fs::create_dir_all(&pkg).unwrap();
    fs::write(pkg.join("__init__.py"), "").unwrap();
    // Found, never run: a module that raises on import is still in the package.
    fs::write(pkg.join("w7_0.py"), "raise SystemExit(3)\n").unwrap();
    let missing = |names: &[&str]| b.missing_modules(dir.path(), "w7p", names).unwrap_or_else(|_| panic!("ran"));
    assert_eq!(missing(&["w7_0", "w7_1"]), vec!["w7_1".to_string()]);
    // A package that does not import lacks every module.
    fs::write(pkg.join("__init__.py"), "raise ImportError('no')\n").unwrap();
    assert_eq!(missing(&["w7_0"]), vec!["w7_0".to_string()]);
}

#[test]
fn packages_of_two_attempts_of_a_batch_both_import_in_one_worker() {
    let Some(mut w) = worker_or_skip("packages_of_two_attempts") else { return };
    let batch = tempfile::tempdir().unwrap();
    // The first attempt built w7_0 (w7_1 failed with it); the second built w7_1 alone.
    let mut paths = Vec::new();
    for (attempt, module) in [("a1", "w7_0"), ("a2", "w7_1")] {
        let out = batch.path().join(attempt).join("out");
        let pkg = package_name(&batch.path().join(attempt), "w7_0");
        fs::create_dir_all(out.join(&pkg)).unwrap();
        fs::write(out.join(&pkg).join("__init__.py"), "").unwrap();
        fs::write(out.join(&pkg).join(format!("{module}.py")), "def main():\n    return 1\n").unwrap();
        paths.push((out.to_str().unwrap().to_owned(), format!("{pkg}.{module}")));
    }
    assert_ne!(paths[0].1.split('.').next(), paths[1].1.split('.').next(), "one package name for two attempts");
    for (path, module) in &paths {
        match w.run(&proto::import_request(path, module, false)).unwrap() {
            RunResult::Completed(t) => assert_eq!(t.outcome, Outcome::Returned("1".into()), "{module}: {t:?}"),
            other => panic!("{module}: {other:?}"),
        }
    }
}

#[test]
fn an_exception_left_in_hand_after_main_is_reported_and_cleared() {
    let Some(mut w) = worker_or_skip("an_exception_left_in_hand") else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    // What a compiled handler that does not restore the exception state leaves behind, made with
    // the C API (CPython's code never leaves it).
    fs::write(
        dir.path().join("m_leaks.py"),
        "import ctypes\nfrom withstand_prelude import log\ndef main():\n    e = KeyError('k1')\n    \
         api = ctypes.pythonapi\n    api.PyErr_SetExcInfo.argtypes = [ctypes.py_object] * 3\n    \
         for x in (KeyError, e, None):\n        api.Py_IncRef(ctypes.py_object(x))\n    \
         api.PyErr_SetExcInfo(KeyError, e, None)\n    log('L1')\n",
    )
    .unwrap();
    fs::write(dir.path().join("m_after.py"), "from withstand_prelude import log\ndef main():\n    log('L2')\n")
        .unwrap();
    let run = |w: &mut Worker, module: &str| match w.run(&proto::import_request(path, module, false)).unwrap() {
        RunResult::Completed(t) => t,
        other => panic!("{module}: {other:?}"),
    };
    let leaks = run(&mut w, "m_leaks");
    let shown: Vec<String> = leaks.events.iter().map(|e| e.to_string()).collect();
    assert_eq!(shown, ["log L1 exc_info=KeyError(\"'k1'\")#1", "after main exc_info=KeyError(\"'k1'\")#1"]);
    // Cleared: the next program in the same worker does not inherit it.
    let after = run(&mut w, "m_after");
    assert!(matches!(&after.events[..], [Event::Log { info: None, .. }]), "{:?}", after.events);
}

#[test]
fn what_a_compiled_program_leaves_to_the_collector_is_finalized_in_its_own_trace() {
    let Some(mut w) = worker_or_skip("what_a_compiled_program_leaves") else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    // A suspended generator kept alive only by a reference cycle: its `finally` runs when the
    // cyclic collector finds it.
    fs::write(
        dir.path().join("m_cycle.py"),
        "from withstand_prelude import log, fin\ndef g0():\n    try:\n        yield 'y1'\n    finally:\n        \
         fin('f2')\ndef main():\n    box = []\n    g = g0()\n    next(g)\n    box.append((g, box))\n    log('L3')\n",
    )
    .unwrap();
    fs::write(dir.path().join("m_next.py"), "from withstand_prelude import log\ndef main():\n    log('L4')\n").unwrap();
    let run = |w: &mut Worker, module: &str| match w.run(&proto::import_request(path, module, false)).unwrap() {
        RunResult::Completed(t) => {
            assert!(matches!(t.outcome, Outcome::Returned(_)), "{module}: {t:?}");
            t.events.iter().map(|e| e.to_string()).collect::<Vec<_>>()
        }
        other => panic!("{module}: {other:?}"),
    };
    assert_eq!(run(&mut w, "m_cycle"), ["log L3 exc_info=-", "finally f2 exc_info=GeneratorExit(\"\")#1"]);
    assert_eq!(run(&mut w, "m_next"), ["log L4 exc_info=-"]);
}
