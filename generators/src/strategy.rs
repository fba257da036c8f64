//! proptest strategies. They draw bytes and run the one constructor in `unstructured`, so a
//! proptest program and a fuzzer program come from the same code and the same [`GenConfig`];
//! proptest shrinks the bytes, which shrinks the program.

use arbitrary::Unstructured;
use oracle::ir::Program;
use proptest::collection::vec;
use proptest::prelude::*;

use crate::config::GenConfig;
use crate::unstructured::generate;

/// Programs generated under `config`.
pub fn arb_program(config: GenConfig) -> impl Strategy<Value = Program> {
    vec(any::<u8>(), 16..2048).prop_map(move |bytes| {
        generate(&mut Unstructured::new(&bytes), &config).expect("generation never fails on exhausted input")
    })
}
