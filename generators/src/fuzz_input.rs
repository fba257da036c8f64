//! libFuzzer inputs to programs: the one conversion every fuzz target and `withstand import` use.
//!
//! An input has one of two forms:
//!
//! - **Text**: the line `#withstand-program` followed by program text, as
//!   [`render::body`](oracle::render::body) prints it (comment lines and a corpus case's `# key:
//!   value` header are fine). It is read with [`oracle::parse::parse`]. This is the form the seed
//!   script writes from `corpus/`, so that libFuzzer starts from the curated cases, and the form
//!   [`fuzz_input_from_program`] produces.
//! - **Bytes**: anything else is unstructured data for [`generate`] under
//!   [`GenConfig::full`]: what libFuzzer mostly makes up by itself.
//!
//! Both forms give only programs that pass `ir::validate`, so the model can be run on them.

use arbitrary::Unstructured;
use oracle::ir::Program;
use oracle::{parse, render};

use crate::config::GenConfig;
use crate::unstructured::generate;

/// The first line of an input in the text form.
pub const TEXT_HEADER: &str = "#withstand-program\n";

/// The program an input stands for; `None` for a text-form input that is not a valid program
/// (libFuzzer then just moves on). Never panics.
pub fn program_from_fuzz_input(data: &[u8]) -> Option<Program> {
    match data.strip_prefix(TEXT_HEADER.as_bytes()) {
        Some(text) => parse::parse(std::str::from_utf8(text).ok()?).ok(),
        None => generate(&mut Unstructured::new(data), &GenConfig::full()).ok(),
    }
}

/// The text form of `program`: [`TEXT_HEADER`] and the rendered body.
/// `program_from_fuzz_input(&fuzz_input_from_program(p)) == Some(p)` for every valid `p`.
pub fn fuzz_input_from_program(program: &Program) -> Vec<u8> {
    let mut res = TEXT_HEADER.as_bytes().to_vec();
    res.extend_from_slice(render::body(program).as_bytes());
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::from_seed;

    #[test]
    fn text_form_round_trips() {
        // Programs whose rendering the parser reads back (the parser's own tests and the
        // `roundtrip` fuzz target check that this is all of them); here only the header matters.
        let mut checked = 0;
        for seed in 0..300 {
            let p = from_seed(seed, &GenConfig::full());
            if parse::parse(&render::body(&p)).as_ref() != Ok(&p) {
                continue;
            }
            assert_eq!(program_from_fuzz_input(&fuzz_input_from_program(&p)), Some(p), "seed {seed}");
            checked += 1;
        }
        assert!(checked >= 30, "only {checked} of 300 programs round-trip through the parser");
    }

    #[test]
    fn bytes_form_is_generate() {
        let data: Vec<u8> = (0..512u32).map(|i| (i.wrapping_mul(37) ^ (i >> 3)) as u8).collect();
        let expected = generate(&mut Unstructured::new(&data), &GenConfig::full()).unwrap();
        assert_eq!(program_from_fuzz_input(&data), Some(expected));
        assert!(program_from_fuzz_input(b"").is_some(), "empty input is the smallest program");
    }

    #[test]
    fn bad_text_is_none() {
        assert_eq!(program_from_fuzz_input(b"#withstand-program\ndef main():\n    nonsense\n"), None);
        assert_eq!(program_from_fuzz_input(b"#withstand-program\n\xff\xfe"), None);
        // A case file's header is a comment to the parser.
        let text = "#withstand-program\n# withstand case, format 1\n# description: x\ndef main():\n    log('L1')\n";
        assert!(program_from_fuzz_input(text.as_bytes()).is_some());
    }
}
