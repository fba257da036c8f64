//! What the end-to-end tests share: the built binary, output as text, and whether a `python3`
//! is there to test against.

use std::process::{Command, Stdio};

/// The built `withstand`, or `$WITHSTAND_TEST_BIN` (to run these tests against another build,
/// such as the one before a fix).
pub fn withstand() -> Command {
    Command::new(bin())
}

/// The path of the binary under test.
pub fn bin() -> std::ffi::OsString {
    std::env::var_os("WITHSTAND_TEST_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_withstand").into())
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Whether `python3` runs; if not, the test says on one line that it was skipped.
pub fn has_python3(test: &str) -> bool {
    let ok = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        println!("skipped: no python3 ({test})");
    }
    ok
}
