//! Ending withstand ends its interpreters: a hung interpreter (and the process it started) is
//! gone after withstand is sent SIGTERM or SIGINT, and withstand dies of that signal; on Linux
//! the interpreter is gone even after SIGKILL. The interpreter is the runner's fake `hangs`
//! (oracle/src/runner/fakes/), which answers the handshake and then hangs on the first program
//! with a grandchild `sleep`, writing both process ids to `pids` beside itself.

use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// `withstand run` on the fake `hangs`, linked into `dir`; returns once the fake hangs on a
/// program, with the fake's process ids.
fn run_on_a_hung_interpreter(dir: &Path) -> (Child, Vec<u32>) {
    let fake = Path::new(env!("CARGO_MANIFEST_DIR")).join("../oracle/src/runner/fakes/hangs");
    let python = dir.join("python");
    std::os::unix::fs::symlink(fake, &python).expect("a symlink");
    let child = Command::new(env!("CARGO_BIN_EXE_withstand"))
        .args(["run", "--cases", "1", "--jobs", "1", "--timeout", "10m", "--quiet", "--no-shrink", "--out"])
        .arg(dir.join("findings"))
        .arg("--python")
        .arg(&python)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("withstand starts");
    let pids = dir.join("pids");
    assert!(eventually(|| fs::read_to_string(&pids).is_ok_and(|t| t.ends_with('\n'))), "the fake never hung");
    let pids = fs::read_to_string(&pids).unwrap().split_whitespace().map(|p| p.parse().unwrap()).collect();
    (child, pids)
}

/// Whether process `pid` is gone (or a zombie, which runs nothing).
fn gone(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('Z')),
    }
}

fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        thread::sleep(Duration::from_millis(20));
    }
    done()
}

fn signal(pid: u32, name: &str) {
    let ok = Command::new("kill").args([&format!("-{name}"), &pid.to_string()]).status().expect("kill runs");
    assert!(ok.success());
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("withstand-signals-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

#[test]
fn a_hung_interpreter_is_gone_after_sigterm_or_sigint() {
    for (name, number) in [("TERM", 15), ("INT", 2)] {
        let dir = tempdir(name);
        let (mut withstand, pids) = run_on_a_hung_interpreter(&dir);
        assert!(pids.iter().all(|&p| !gone(p)), "the fake runs: {pids:?}");
        signal(withstand.id(), name);
        let status = withstand.wait().expect("withstand ends");
        assert_eq!(status.signal(), Some(number), "withstand dies of SIG{name}: {status:?}");
        assert!(eventually(|| pids.iter().all(|&p| gone(p))), "SIG{name} left {pids:?} running");
        let _ = fs::remove_dir_all(&dir);
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_hung_interpreter_dies_with_withstand_even_after_sigkill() {
    let dir = tempdir("KILL");
    let (mut withstand, pids) = run_on_a_hung_interpreter(&dir);
    signal(withstand.id(), "KILL");
    withstand.wait().expect("withstand ends");
    // PR_SET_PDEATHSIG: the interpreter itself dies with withstand. Its own children are not
    // covered by it (they would need the same setting); this fake's `sleep` is left, clean it up.
    assert!(eventually(|| gone(pids[0])), "the interpreter {} outlived withstand", pids[0]);
    signal(pids[1], "KILL");
    let _ = fs::remove_dir_all(&dir);
}
