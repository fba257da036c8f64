//! What the fuzz targets share: turning libFuzzer's input into a program, and the statistics
//! every target prints at intervals (STYLE A.5). The targets only glue generators to oracles;
//! neither depends on libFuzzer.

use std::sync::atomic::{AtomicU64, Ordering};

use generators::fuzz_input::{program_from_fuzz_input, TEXT_HEADER};
use oracle::ir::{validate, Program};

/// Inputs seen, by form, and how many of them were no program.
static TEXT: AtomicU64 = AtomicU64::new(0);
static TEXT_REJECTED: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);
static BYTES_REJECTED: AtomicU64 = AtomicU64::new(0);

/// Print the statistics line every this many inputs.
const EVERY: u64 = 1 << 16;

/// The program `data` stands for (see [`generators::fuzz_input`]), counted in the statistics
/// that `target` prints every so often. `None` when the input is text that is no valid program.
///
/// Panics if generation built a program that fails `ir::validate`: generators are valid by
/// construction, and this is where the fuzzer would find out they are not.
pub fn program(target: &str, data: &[u8]) -> Option<Program> {
    let text = data.starts_with(TEXT_HEADER.as_bytes());
    let (seen, rejected) = if text { (&TEXT, &TEXT_REJECTED) } else { (&BYTES, &BYTES_REJECTED) };
    seen.fetch_add(1, Ordering::Relaxed);
    let res = program_from_fuzz_input(data);
    match &res {
        None => {
            rejected.fetch_add(1, Ordering::Relaxed);
        }
        Some(p) if !text => {
            let diags = validate(p);
            assert!(diags.is_empty(), "generators built an invalid program: {diags:?}\n{p:#?}");
        }
        Some(_) => {}
    }
    let total = TEXT.load(Ordering::Relaxed) + BYTES.load(Ordering::Relaxed);
    if total.is_multiple_of(EVERY) {
        eprintln!(
            "withstand-fuzz {target}: {total} inputs: {} generated ({} failed, should be 0), {} text ({} not a valid program)",
            BYTES.load(Ordering::Relaxed),
            BYTES_REJECTED.load(Ordering::Relaxed),
            TEXT.load(Ordering::Relaxed),
            TEXT_REJECTED.load(Ordering::Relaxed),
        );
    }
    res
}
