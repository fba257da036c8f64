//! The corpus format, and the committed corpus itself: every case replays through the model
//! against its recorded CPython trace (no interpreter needed), its generated `.py` is up to date,
//! every rule of the model has a case, and, when `python3` is on PATH, every case replays on it.

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use expect_test::expect;

use super::*;
use crate::model::{Coverage, Rule};
use crate::runner::{RunResult, Worker, WorkerConfig};
use crate::verdict::{judge, Messages, Verdict};

// ---- the format ----

const GOOD: &str = "# withstand case, format 1
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

fn errors(text: &str) -> String {
    match parse_case(Path::new("corpus/sync/x.case"), text) {
        Ok(_) => "ok\n".to_string(),
        Err(errors) => errors.iter().map(|e| format!("{e}\n")).collect(),
    }
}

#[test]
fn a_good_case_loads_and_its_header_round_trips() {
    let case = parse_case(Path::new("corpus/sync/exit-suppresses.case"), GOOD).expect("valid");
    assert_eq!(case.header.rules, vec![Rule::ExitSuppresses]);
    assert_eq!(case.header.origin, Origin::HandWritten);
    assert_eq!(case_text(&case.header, &case.program), GOOD);
    assert!(case.unexercised_rules(REFERENCE).is_empty());
}

#[test]
fn origins_round_trip() {
    for text in [
        "hand-written",
        "seed 0x1f, withstand 0.0.0, cpython 3.11.7 (python3), 2026-11-23",
        "seed 0xffffffffffffffff, withstand 0.0.0, pypy 3.10.14 (/opt/a, b/pypy3), 2026-01-02",
        "libFuzzer artifact crash-0123, shrunk by withstand import",
    ] {
        let case = GOOD.replace("# origin: hand-written", &format!("# origin: {text}"));
        let loaded = parse_case(Path::new("x.case"), &case).expect("valid");
        assert_eq!(loaded.header.origin.to_string(), text);
    }
}

#[test]
fn every_problem_is_reported_with_the_file_name_and_line() {
    let bad = GOOD
        .replace("format 1", "format 7")
        .replace("# rule: exit-suppresses (§1.5)", "# rule: exit-supresses (§1.5), exit-after-return (§1.5)")
        .replace("# origin: hand-written", "# origin: found it somewhere\n# descripton: typo")
        .replace("        return True", "        return Tru e");
    expect![[r#"
        corpus/sync/x.case:1: format 7 is not supported: this withstand reads format 1
        corpus/sync/x.case:3: unknown rule `exit-supresses`; `withstand stats` lists the rules (write `-` for none)
        corpus/sync/x.case:3: rule exit-after-return is in §1.4, not §1.5
        corpus/sync/x.case:4: bad origin "found it somewhere": expected `hand-written`, `seed 0x…, withstand V, INTERPRETER, YYYY-MM-DD` or `libFuzzer artifact …`
        corpus/sync/x.case:5: unknown field `descripton`; the fields are description, rule, origin, signature, profile, see, known-divergence
        corpus/sync/x.case:15: expected a value such as None, True, 1, 'ab', (1, 2), Bool('b1', True), Len('n1', 2), Aw('a1', False, None) or BadAw(), found "Tru e"
    "#]]
    .assert_eq(&errors(&bad));
}

#[test]
fn missing_fields_and_a_missing_format_line_are_reported() {
    let bad = GOOD
        .replace("# withstand case, format 1\n", "")
        .replace("# description: a truthy __exit__ result suppresses the exception\n", "");
    expect![[r##"
        corpus/sync/x.case:1: the first line must be `# withstand case, format 1`, found "# rule: exit-suppresses (§1.5)"
        corpus/sync/x.case: no `description` field in the header; add e.g. `# description: a truthy __exit__ result suppresses the exception`
    "##]]
    .assert_eq(&errors(&bad));
}

#[test]
fn a_program_that_does_not_validate_is_reported_with_the_file_name() {
    let bad = GOOD.replace("    log('L2')\n", "    show('x', x)\n");
    expect![[r#"
        corpus/sync/x.case:19: `x` is not bound here
    "#]]
    .assert_eq(&errors(&bad));
}

#[test]
fn a_rule_the_program_never_exercises_is_reported_at_the_rule_line() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("exit-suppresses.case");
    fs::write(&path, GOOD.replace("exit-suppresses (§1.5)", "exit-suppresses (§1.5), exit-after-return (§1.4)"))
        .expect("write");
    let case = load(&path).expect("valid");
    let errors: Vec<String> = case.unexercised_rules(REFERENCE).iter().map(|e| e.to_string()).collect();
    assert_eq!(
        errors,
        vec![format!(
            "{}:3: the case names rule exit-after-return but the model never applies it to the program (cpython-3.11)",
            path.display()
        )]
    );
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let errors = load(Path::new("corpus/nowhere/none.case")).expect_err("missing");
    assert!(errors[0].to_string().starts_with("corpus/nowhere/none.case: cannot read: "), "{}", errors[0]);
}

#[test]
fn generated_files_name_the_command_that_regenerates_them() {
    let case = parse_case(Path::new("/work/x/corpus/sync/exit-suppresses.case"), GOOD).expect("valid");
    let py = case.py_text();
    assert_eq!(case.prelude_module_path(), Path::new("/work/x/corpus/withstand_prelude.py"));
    assert!(
        py.contains("sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), \"..\"))\n"),
        "{py}"
    );
    assert!(super::prelude_module_text()
        .starts_with("# @generated from oracle/src/render/prelude.py by `withstand record`"));
    assert!(py.starts_with(
        "# @generated from exit-suppresses.case by `withstand record`; do not edit.\n# Regenerate: withstand record corpus/sync/exit-suppresses.case\n"
    ));
    assert_eq!(crate::parse::parse(&py), Ok(case.program.clone()));
    let trace = case.trace_text("cpython 3.11.7", &["M0.__init__".to_string(), "=> return None".to_string()]);
    expect![[r#"
        # @generated from exit-suppresses.case by `withstand record`; do not edit.
        # Regenerate: withstand record corpus/sync/exit-suppresses.case
        # Recorded from cpython 3.11.7.
        M0.__init__
        => return None
    "#]]
    .assert_eq(&trace);
    assert_eq!(format::trace_lines(&trace), Ok(vec!["M0.__init__".to_string(), "=> return None".to_string()]));
    assert!(format::trace_lines("M0.__init__\n=> return None\n").is_err());
}

// ---- the committed corpus ----

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("oracle/ is in the workspace").join("corpus")
}

/// `WITHSTAND_FILTER=sync/,-exit`: keep cases whose path contains one of the plain parts and
/// none of the `-` parts.
fn selected(path: &Path) -> bool {
    let Ok(filter) = std::env::var("WITHSTAND_FILTER") else { return true };
    let shown = display_path(path);
    let (exclude, include): (Vec<&str>, Vec<&str>) =
        filter.split(',').filter(|p| !p.is_empty()).partition(|p| p.starts_with('-'));
    (include.is_empty() || include.iter().any(|p| shown.contains(p)))
        && !exclude.iter().any(|p| shown.contains(&p[1..]))
}

/// Every case of the committed corpus, or a panic listing every file that does not load.
fn cases() -> Vec<Case> {
    let files = list(&[corpus_dir()]).expect("the corpus directory is readable");
    let mut res = Vec::new();
    let mut problems = String::new();
    for f in files.iter().filter(|f| selected(f)) {
        match load(f) {
            Ok(c) => res.push(c),
            Err(errors) => errors.iter().for_each(|e| writeln!(problems, "{e}").expect("a String")),
        }
    }
    assert!(problems.is_empty(), "corpus files that do not load:\n{problems}");
    res
}

#[test]
fn the_corpus_replays_through_the_model_against_its_cpython_recordings() {
    let mut failures = String::new();
    let cases = cases();
    for case in &cases {
        let shown = display_path(&case.path);
        for e in case.unexercised_rules(REFERENCE) {
            writeln!(failures, "{e}").expect("a String");
        }
        let topic = case.path.parent().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned());
        let named_after_its_rule = case.header.rules.iter().any(|r| case.name().starts_with(&r.name()));
        if topic.as_deref() != Some("regressions") && !named_after_its_rule {
            writeln!(
                failures,
                "{shown}: the file is not named after one of its rules (rename it `<rule-name>[-what].case`)"
            )
            .expect("a String");
        }
        let recorded = match case.recorded(REFERENCE) {
            Ok(Some(lines)) => lines,
            Ok(None) => {
                writeln!(
                    failures,
                    "{shown}: no {REFERENCE} recording: run `{} --python python3.11`",
                    regenerate_command(&case.path)
                )
                .expect("a String");
                continue;
            }
            Err(e) => {
                writeln!(failures, "{e}").expect("a String");
                continue;
            }
        };
        let prediction = predict(&case.program, REFERENCE);
        if let Some(why) = prediction.unpredictable {
            writeln!(failures, "{shown}: the model does not predict this program ({why}), so the case checks nothing")
                .expect("a String");
        }
        let predicted = prediction.trace.lines();
        match (predicted == recorded, &case.header.known_divergence) {
            (true, None) | (false, Some(_)) => {}
            (true, Some(reason)) => writeln!(
                failures,
                "{shown}: the known divergence ({reason}) is gone: the model now agrees with the recording; remove the `known-divergence` line"
            )
            .expect("a String"),
            (false, None) => {
                let (a, b) = (recorded.join("\n") + "\n", predicted.join("\n") + "\n");
                let d = similar::TextDiff::from_lines(&a, &b);
                let diff = d.unified_diff().context_radius(1000).header("recorded (CPython 3.11)", "predicted (model)").to_string();
                writeln!(
                    failures,
                    "{shown}: the model no longer predicts what CPython 3.11 did:\n{}",
                    diff.lines().map(|l| format!("    {l}\n")).collect::<String>()
                )
                .expect("a String");
            }
        }
    }
    assert!(
        !cases.is_empty() || std::env::var("WITHSTAND_FILTER").is_ok(),
        "no corpus cases under {}",
        corpus_dir().display()
    );
    assert!(
        failures.is_empty(),
        "{failures}\nIf the model is wrong, fix it. If the case or its recording is, fix the case and re-record it with CPython 3.11: `withstand record corpus --python python3.11`"
    );
}

#[test]
fn the_generated_py_files_are_up_to_date() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    if update && std::env::var_os("CI").is_some() {
        panic!("UPDATE_EXPECT is set on CI: blessing refuses to run there");
    }
    let mut failures = String::new();
    for case in cases() {
        let path = case.py_path();
        let want = case.py_text();
        if fs::read_to_string(&path).is_ok_and(|have| have == want) {
            continue;
        }
        if update {
            write_atomic(&path, &want).expect("the .py file is writable");
            continue;
        }
        writeln!(failures, "{}: stale or missing", display_path(&path)).expect("a String");
    }
    // The prelude module they import.
    let module = corpus_dir().join(format!("{}.py", crate::render::PRELUDE_MODULE));
    let want = super::prelude_module_text();
    if !fs::read_to_string(&module).is_ok_and(|have| have == want) {
        if update {
            write_atomic(&module, &want).expect("the prelude module is writable");
        } else {
            writeln!(failures, "{}: stale or missing", display_path(&module)).expect("a String");
        }
    }
    // Generated files without their case.
    let mut stack = vec![corpus_dir()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("a readable corpus directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            if dir == corpus_dir() && name == format!("{}.py", crate::render::PRELUDE_MODULE) {
                continue;
            }
            // `<stem>.py` or `<stem>.<profile>.trace`, where a profile (`cpython-3.11`) holds one dot
            // and a stem may hold some (`cpython-3.14-...`).
            let stem = if let Some(stem) = name.strip_suffix(".py") {
                stem
            } else if let Some(rest) = name.strip_suffix(".trace") {
                rest.rsplitn(3, '.').nth(2).unwrap_or(rest)
            } else {
                continue;
            };
            if !dir.join(format!("{stem}.case")).exists() {
                writeln!(failures, "{}: generated file without its .case; delete it", display_path(&path))
                    .expect("a String");
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{failures}\nRegenerate with `withstand record corpus --python python3.11` (or the .py files alone with `UPDATE_EXPECT=1 cargo test -p withstand-oracle corpus`)"
    );
}

#[test]
fn every_rule_of_the_model_has_a_corpus_case() {
    let mut coverage = Coverage::default();
    for case in cases() {
        coverage.merge(&predict(&case.program, REFERENCE).coverage);
    }
    if std::env::var("WITHSTAND_FILTER").is_ok() {
        return;
    }
    let missing: Vec<String> = Rule::ALL
        .iter()
        .filter(|r| !coverage.fired(**r))
        .map(|r| format!("  {} (§{})", r.name(), r.section()))
        .collect();
    assert!(
        missing.is_empty(),
        "no corpus case exercises these rules:\n{}\nAdd one per rule: corpus/<topic>/<rule-name>.case, then `withstand record corpus --python python3.11`",
        missing.join("\n")
    );
}

#[test]
fn the_corpus_replays_on_python3_when_there_is_one() {
    let config = WorkerConfig::new("python3", crate::render::PRELUDE, Duration::from_secs(20));
    let mut worker = match Worker::spawn(&config) {
        Ok(w) => w,
        Err(err) => {
            println!("skipped: no python3 ({err})");
            return;
        }
    };
    let info = worker.info().clone();
    let profile = match Profile::for_interpreter(&info.implementation, info.version) {
        Ok(p) => p,
        Err(err) => {
            println!("skipped: python3 has no profile ({err})");
            return;
        }
    };
    let cases = cases();
    let sources: Vec<String> = cases.iter().map(|c| render::body(&c.program)).collect();
    let refs: Vec<&str> = sources.iter().map(String::as_str).collect();
    let results = worker.run_many(&refs).expect("the worker runs");
    let mut failures = String::new();
    for (case, result) in cases.iter().zip(results) {
        let shown = display_path(&case.path);
        let observed = match result {
            RunResult::Completed(t) => t,
            other => {
                writeln!(failures, "{shown}: the interpreter failed: {other:?}").expect("a String");
                continue;
            }
        };
        let prediction = predict(&case.program, profile);
        match (judge(&prediction, RunResult::Completed(observed), Messages::Exact), &case.header.known_divergence) {
            (Verdict::Agrees(_), None) | (Verdict::Fails(_), Some(_)) => {}
            (Verdict::Agrees(_), Some(reason)) => {
                writeln!(failures, "{shown}: the known divergence ({reason}) is gone").expect("a String")
            }
            (Verdict::Fails(f), None) => writeln!(
                failures,
                "{shown}: {} disagrees with the model ({profile}):\n{}",
                info.version_string,
                f.details()
            )
            .expect("a String"),
        }
    }
    assert!(failures.is_empty(), "{failures}\nReplay one case with `withstand replay corpus/<topic>/<name>.case`");
}

/// Runs each file of `paths` as `__main__` (as `python3 FILE` would) in one `python3` process
/// and returns what each printed; `None` without a python3.
fn run_as_main(paths: &[PathBuf]) -> Option<Vec<String>> {
    const DRIVER: &str = r#"
import contextlib, io, json, runpy, sys
for path in sys.stdin.read().splitlines():
    sys.modules.pop("withstand_prelude", None)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            runpy.run_path(path, run_name="__main__")
        except SyntaxError as e:
            # A program CPython refuses to compile prints nothing; its SyntaxError is what it shows.
            print("compile error %s: %s" % (type(e).__name__, e.msg))
    module = sys.modules.get("withstand_prelude")
    if module is not None:
        # Named as when the prelude is part of the program, so that 3.14's messages read the same.
        assert module.E1.__module__ == module.Bool.__module__ == "__main__", module.E1.__module__
    sys.__stdout__.write(json.dumps(out.getvalue()) + "\n")
"#;
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut child = match Command::new("python3")
        .args(["-c", DRIVER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
    {
        Ok(c) => c,
        Err(_) => return None,
    };
    let list: String = paths.iter().map(|p| format!("{}\n", p.display())).collect();
    child.stdin.take().expect("piped").write_all(list.as_bytes()).expect("python3 reads the list");
    let out = child.wait_with_output().expect("python3 runs");
    assert!(out.status.success(), "python3 failed running the corpus files");
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    Some(text.lines().map(|l| serde_json::from_str(l).expect("a JSON string")).collect())
}

#[test]
fn the_generated_py_files_print_what_the_standalone_programs_print() {
    // The committed .py files (importing corpus/withstand_prelude.py) against the standalone
    // program of the same case (prelude pasted in): the same trace, line for line.
    let cases = cases();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut committed = Vec::new();
    let mut standalone = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        if fs::read_to_string(case.py_path()).is_ok_and(|t| t == case.py_text()) {
            committed.push(case.py_path());
            let path = dir.path().join(format!("case{i}.py"));
            fs::write(&path, crate::render::standalone(&case.program)).expect("writable");
            standalone.push(path);
        }
    }
    let Some(imported) = run_as_main(&committed) else {
        println!("skipped: no python3");
        return;
    };
    let pasted = run_as_main(&standalone).expect("python3 ran a moment ago");
    assert_eq!(imported.len(), committed.len());
    let mut failures = String::new();
    for ((path, a), b) in committed.iter().zip(&imported).zip(&pasted) {
        if a != b {
            writeln!(failures, "{}:\n--- standalone\n{b}+++ importing the prelude module\n{a}", display_path(path))
                .expect("a String");
        }
    }
    assert!(failures.is_empty(), "{failures}");
    assert!(committed.len() == cases.len() || std::env::var_os("UPDATE_EXPECT").is_some(), "stale .py files");
}
