//! A crash is never lost to a failed restart: against the runner's fake `crashes-then-refuses`
//! (a python3 that segfaults on its 21st program, then refuses to start again), `withstand run`
//! saves and reports the crash, and only then stops with the restart error (exit status 2).

use std::fs;
use std::path::Path;
use std::process::Command;

#[test]
fn a_crash_is_saved_before_withstand_gives_up_on_the_interpreter() {
    let ok = Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        println!("skipped: no python3 (a_crash_is_saved_before_withstand_gives_up_on_the_interpreter)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("withstand-restart-failure-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("a temporary directory");
    let fake = Path::new(env!("CARGO_MANIFEST_DIR")).join("../oracle/src/runner/fakes/crashes-then-refuses");
    std::os::unix::fs::symlink(fake, dir.join("python")).expect("a symlink");
    let out = Command::new(env!("CARGO_BIN_EXE_withstand"))
        .args(["run", "--cases", "100", "--jobs", "1", "--seed", "1", "--no-shrink", "--quiet", "--out"])
        .arg(dir.join("findings"))
        .arg("--python")
        .arg(dir.join("python"))
        .output()
        .expect("withstand runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains("crashes-then-refuses: refusing to start again"), "{stderr}");
    let found: Vec<String> = fs::read_dir(dir.join("findings"))
        .expect("the findings directory")
        .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(found.len() == 1 && found[0].starts_with("crash-"), "{found:?}");
    assert!(stdout.contains("killed by signal 11"), "the crash is reported:\n{stdout}");
    let _ = fs::remove_dir_all(&dir);
}
