//! A program survives its text forms unchanged, and rendering is deterministic:
//! `parse(render::body(p)) == p`, `parse(render::standalone(p)) == p`, and the fuzz-input text
//! form (what the seed script writes from corpus/) gives `p` back.
#![no_main]

use generators::fuzz_input::{fuzz_input_from_program, program_from_fuzz_input};
use libfuzzer_sys::fuzz_target;
use oracle::parse::parse;
use oracle::render;

fuzz_target!(|data: &[u8]| {
    let Some(program) = fuzz::program("roundtrip", data) else { return };
    let body = render::body(&program);
    assert_eq!(body, render::body(&program), "render::body is not deterministic");
    let standalone = render::standalone(&program);
    assert_eq!(standalone, render::standalone(&program), "render::standalone is not deterministic");
    assert_eq!(parse(&body).as_ref(), Ok(&program), "parse(render::body(p)) != p for\n{body}");
    assert_eq!(parse(&standalone).as_ref(), Ok(&program), "parse(render::standalone(p)) != p for\n{body}");
    let input = fuzz_input_from_program(&program);
    assert_eq!(
        program_from_fuzz_input(&input).as_ref(),
        Some(&program),
        "the fuzz-input text form does not round-trip:\n{body}"
    );
});
