//! Tidy checks: the architecture invariants that a test can see in the source text.
//!
//! - every Rust file starts with a `//!` doc comment;
//! - no test is switched off with an `ignore` or `should_panic` attribute (encode known-wrong
//!   behaviour as data instead);
//! - the pure stages (`ir`, `trace`, `model`, `render`, `parse`, `verdict`, `reduce`) touch no
//!   files, processes, clocks or environment: only `runner` and `corpus` do I/O;
//! - every mutation of `scripts/detect.py` still applies to the model's source (its old text is
//!   found exactly once), so that a refactor cannot leave one stale and silently skipped.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> =
        fs::read_dir(dir).expect("readable source dir").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("oracle sits in the workspace").to_path_buf()
}

#[test]
fn every_rust_file_starts_with_a_module_doc_and_no_test_is_switched_off() {
    let root = workspace();
    let mut files = Vec::new();
    for dir in ["oracle/src", "generators/src", "cli/src", "cli/tests", "fuzz/src", "fuzz/fuzz_targets"] {
        if root.join(dir).is_dir() {
            rust_files(&root.join(dir), &mut files);
        }
    }
    assert!(files.len() > 20, "tidy found too few files: {files:?}");
    let mut problems = Vec::new();
    let ignore = ["#[", "ignore]"].concat();
    let should_panic = ["#[", "should_panic"].concat();
    for f in &files {
        let text = fs::read_to_string(f).expect("readable");
        if !text.starts_with("//!") {
            problems.push(format!("{}: does not start with a //! module doc", f.display()));
        }
        if text.contains(&ignore) || text.contains(&should_panic) {
            problems.push(format!("{}: switches a test off; encode the behaviour as data", f.display()));
        }
    }
    assert!(problems.is_empty(), "tidy:\n{}", problems.join("\n"));
}

#[test]
fn only_the_runner_and_the_corpus_do_io() {
    let src = workspace().join("oracle/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let forbidden = ["std::fs", "std::process", "std::env", "SystemTime", "Instant", "std::net"];
    let mut problems = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).expect("under src");
        let first = rel.components().next().map(|c| c.as_os_str().to_string_lossy().to_string()).unwrap_or_default();
        let is_test = rel.file_name().is_some_and(|n| n == "tests.rs" || n == "tidy.rs");
        if first == "runner" || first == "corpus" || is_test {
            continue;
        }
        let text = fs::read_to_string(f).expect("readable");
        for word in forbidden {
            if text.contains(word) {
                problems.push(format!("{}: uses {word}; only runner/ and corpus/ do I/O", rel.display()));
            }
        }
    }
    assert!(problems.is_empty(), "tidy:\n{}", problems.join("\n"));
}

#[test]
fn every_detect_mutation_applies() {
    let out = match Command::new("python3").arg("scripts/detect.py").arg("--check").current_dir(workspace()).output() {
        Ok(out) => out,
        Err(e) => {
            println!("skipped: no python3 to read scripts/detect.py ({e}) (every_detect_mutation_applies)");
            return;
        }
    };
    assert!(
        out.status.success(),
        "scripts/detect.py --check (is a detect.py run mutating the model right now?):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
