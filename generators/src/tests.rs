//! Properties of generation that need no interpreter.

use oracle::ir::validate;
use oracle::model::predict;
use oracle::profile::Profile;
use proptest::prelude::*;

use crate::strategy::arb_program;
use crate::{from_seed, GenConfig};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_programs_validate(program in arb_program(GenConfig::full())) {
        let diags = validate(&program);
        prop_assert!(diags.is_empty(), "{diags:?}");
    }

    #[test]
    fn the_model_is_deterministic(program in arb_program(GenConfig::full())) {
        let a = predict(&program, Profile::CPYTHON_3_11);
        let b = predict(&program, Profile::CPYTHON_3_11);
        prop_assert_eq!(a.trace, b.trace);
    }
}

#[test]
fn a_seed_always_gives_the_same_program() {
    let config = GenConfig::full();
    assert_eq!(from_seed(7, &config), from_seed(7, &config));
    assert_ne!(from_seed(7, &config), from_seed(8, &config));
}
