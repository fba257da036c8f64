//! The case-file parser never panics: any text as a `.case` file (its header and its program),
//! or as a generated `.trace` file, loads or is refused with problems that each name a line or
//! the file; a case that loads writes back (`corpus::case_text`) to text that loads again as the
//! same program.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use oracle::corpus::{self, format};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let path = Path::new("corpus/fuzz/input.case");
    let _ = format::parse_header(text);
    let _ = format::trace_lines(text);
    match corpus::parse_case(path, text) {
        Ok(case) => {
            let again = corpus::case_text(&case.header, &case.program);
            let reloaded = corpus::parse_case(path, &again)
                .unwrap_or_else(|errors| panic!("a loaded case does not load again: {errors:?}\n{again}"));
            assert_eq!(reloaded.program, case.program, "the program changed on the way:\n{again}");
        }
        Err(errors) => assert!(!errors.is_empty(), "refused without a reason"),
    }
});
