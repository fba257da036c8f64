//! The model is total, terminates and is deterministic: on every valid program, and under every
//! profile it knows, `predict` returns (a hang is caught by libFuzzer's `-timeout`), never
//! panics, and gives the same prediction twice.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oracle::model::predict;
use oracle::profile::Profile;

fuzz_target!(|data: &[u8]| {
    let Some(program) = fuzz::program("model", data) else { return };
    for profile in Profile::known() {
        let a = predict(&program, profile);
        let b = predict(&program, profile);
        assert_eq!(a.trace, b.trace, "two predictions differ under {profile}");
        assert_eq!(a.coverage, b.coverage, "two predictions cover different rules under {profile}");
        // The trace's text form is what every comparison and report reads.
        assert_eq!(a.trace.lines(), b.trace.lines());
    }
});
