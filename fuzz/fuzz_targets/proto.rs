//! The worker protocol decoder never panics: whatever bytes an interpreter under test writes on
//! its channel (an answer line, the handshake, the answer to the prelude), decoding ends in a
//! value or an error, and an answer with more events than the limit is refused as such.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oracle::runner::proto;

fuzz_target!(|data: &[u8]| {
    // A small limit, so that the event-count bound is reached too.
    let max_events = 8;
    match proto::parse_run_reply(data, max_events) {
        Ok(trace) => assert!(trace.events.len() <= max_events, "{} events accepted", trace.events.len()),
        Err(proto::Violation::TooManyEvents(n)) => assert!(n > max_events),
        Err(proto::Violation::Malformed(why)) => assert!(!why.is_empty()),
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = proto::parse_handshake(text);
    let _ = proto::parse_prelude_reply(text);
    let mut cut = text.to_owned();
    proto::truncate(&mut cut, data.len() / 2);
    assert!(cut.len() <= data.len() / 2 + 3);
});
