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
    fn programs_never_nest_deeper_than_cpython_compiles_whatever_the_depth_allowed(
        program in arb_program(GenConfig { max_depth: 30, max_stmts: 200, ..GenConfig::full() })
    ) {
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

/// What the reduction property keeps: how `main()` ended, down to the exception's type.
fn outcome_kind(program: &oracle::ir::Program) -> String {
    use oracle::trace::Outcome;
    match predict(program, Profile::CPYTHON_3_11).trace.outcome {
        Outcome::Returned(_) => "returned".to_string(),
        Outcome::Raised(chain) => format!("raised {}", chain[0].exc.ty),
        Outcome::CompileError(_) => "compile error".to_string(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn reduction_keeps_programs_valid_and_interesting_and_never_grows_them(
        program in arb_program(GenConfig::full())
    ) {
        use oracle::reduce::{reduce, size, Budget};

        let kind = outcome_kind(&program);
        let budget = Budget { max_attempts: 10_000, should_stop: &|| false };
        let mut invalid = Vec::new();
        let reduced = reduce(
            &program,
            &budget,
            &mut |p| {
                invalid.extend(validate(p));
                outcome_kind(p) == kind
            },
            &mut |_| {},
        );
        prop_assert!(invalid.is_empty(), "a candidate failed validation: {invalid:?}");
        prop_assert!(reduced.complete);
        prop_assert!(validate(&reduced.program).is_empty());
        prop_assert!(size(&reduced.program) <= size(&program));
        prop_assert_eq!(outcome_kind(&reduced.program), kind);
    }
}

// ---- parse: the rendered text reads back, and no text makes the parser panic ----

/// Pieces of the rendered language, so that random text gets past the first token.
const PARSE_PIECES: &[&str] = &[
    "    ",
    "\n",
    " ",
    "class M0:",
    "class M1:",
    "def __init__(self):",
    "on_init('M0')",
    "def __enter__(self):",
    "def __exit__(self, t, v, tb):",
    "def __exit__(self):",
    "on_enter('M0')",
    "on_exit('M0', t, v, tb)",
    "__enter__ = None",
    "self.__exit__ = inst('M0', '__exit__')",
    "return self",
    "raise v",
    "return suppress_if(t, (E1,))",
    "def main():",
    "log('L1')",
    "show('x', x)",
    "with M0()",
    " as x",
    " as (a, b)",
    ", ",
    ":",
    "raise",
    " E1('r1')",
    " from None",
    " e_h1",
    "try:",
    "except E1",
    " as e_h1",
    "except:",
    "handler('h1')",
    "else:",
    "finally:",
    "fin('f1')",
    "for _ in range(2):",
    "break",
    "continue",
    "pass",
    "return ret('v1', ",
    ")",
    "(",
    "1",
    "-",
    "'s'",
    "\"",
    "'",
    "\\",
    "Bool('b1', True)",
    "Len('n1', -1)",
    "None",
    "#",
    "\t",
    "# ---- the program ----",
    "if __name__ == \"__main__\":",
    "é",
    "\r",
];

fn arb_parse_soup() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(PARSE_PIECES), 0..80).prop_map(|pieces| pieces.concat())
}

/// One edit of a rendered program: delete a line, or delete, insert or replace a character.
#[derive(Clone, Debug)]
enum TextEdit {
    DeleteLine(prop::sample::Index),
    DeleteChar(prop::sample::Index),
    InsertChar(prop::sample::Index, char),
    ReplaceChar(prop::sample::Index, char),
}

fn arb_text_edit() -> impl Strategy<Value = TextEdit> {
    let ch = prop_oneof![
        proptest::sample::select(
            &[' ', '\n', '\t', '(', ')', ',', ':', '\'', '"', '\\', '#', '-', '0', '9', 'M', 'e', '_'][..]
        ),
        any::<char>(),
    ];
    prop_oneof![
        any::<prop::sample::Index>().prop_map(TextEdit::DeleteLine),
        any::<prop::sample::Index>().prop_map(TextEdit::DeleteChar),
        (any::<prop::sample::Index>(), ch.clone()).prop_map(|(i, c)| TextEdit::InsertChar(i, c)),
        (any::<prop::sample::Index>(), ch).prop_map(|(i, c)| TextEdit::ReplaceChar(i, c)),
    ]
}

fn apply_edit(text: &str, edit: &TextEdit) -> String {
    match edit {
        TextEdit::DeleteLine(i) => {
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            let k = i.index(lines.len());
            lines.iter().enumerate().filter(|(j, _)| *j != k).map(|(_, l)| *l).collect()
        }
        TextEdit::DeleteChar(i) | TextEdit::InsertChar(i, _) | TextEdit::ReplaceChar(i, _) => {
            let mut chars: Vec<char> = text.chars().collect();
            let k = i.index(chars.len() + 1);
            match edit {
                TextEdit::InsertChar(_, c) => chars.insert(k, *c),
                _ if k == chars.len() => {}
                TextEdit::ReplaceChar(_, c) => chars[k] = *c,
                _ => {
                    chars.remove(k);
                }
            }
            chars.into_iter().collect()
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn rendered_programs_parse_back(program in arb_program(GenConfig::full())) {
        use oracle::parse::parse;
        use oracle::render::{body, standalone};

        prop_assert_eq!(parse(&body(&program)), Ok(program.clone()));
        prop_assert_eq!(parse(&standalone(&program)), Ok(program));
    }

    #[test]
    fn parse_never_panics_on_any_text(
        text in proptest::collection::vec(any::<char>(), 0..200).prop_map(String::from_iter),
        soup in arb_parse_soup(),
    ) {
        let _ = oracle::parse::parse(&text);
        let _ = oracle::parse::parse(&soup);
    }

    #[test]
    fn parse_never_panics_on_edited_programs(
        program in arb_program(GenConfig::full()),
        edits in proptest::collection::vec(arb_text_edit(), 1..4),
    ) {
        let mut text = oracle::render::body(&program);
        for edit in &edits {
            text = apply_edit(&text, edit);
            // Every edited text is parsed, and whatever it gives, a program that parses is valid.
            if let Ok(p) = oracle::parse::parse(&text) {
                prop_assert!(validate(&p).is_empty());
                prop_assert_eq!(oracle::parse::parse(&oracle::render::body(&p)), Ok(p));
            }
        }
    }
}

/// A capability set from the bits of `bits`, one bit per `Capability::ALL` entry.
fn capabilities_from(bits: u32) -> oracle::capability::Capabilities {
    use oracle::capability::{Capabilities, Capability};
    Capability::ALL
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .fold(Capabilities::NONE, |caps, (_, c)| caps.with(*c))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn programs_for_an_implementation_use_only_what_it_has(
        (caps, program) in any::<u32>().prop_flat_map(|bits| {
            let caps = capabilities_from(bits);
            (Just(caps), arb_program(GenConfig::full().within(caps)))
        })
    ) {
        let needs = oracle::capability::required(&program);
        prop_assert!(caps.covers(needs), "{caps} does not cover {needs}");
        let diags = validate(&program);
        prop_assert!(diags.is_empty(), "{diags:?}");
    }
}

#[test]
fn with_every_capability_generation_is_unchanged() {
    use oracle::capability::Capabilities;
    let full = GenConfig::full();
    let within = full.within(Capabilities::FULL);
    assert_eq!(within, full);
    for seed in 0..200 {
        assert_eq!(from_seed(seed, &within), from_seed(seed, &full));
    }
}

#[test]
fn without_contextlib_or_async_generators_campaigns_still_reach_async_with_and_generators() {
    use oracle::capability::{Capabilities, Capability};
    // MicroPython's capabilities, as its probe reports them.
    let mut caps = Capabilities::FULL;
    for c in Capability::ALL.iter().filter(|c| c.name().starts_with("contextlib.")) {
        caps = caps.without(*c);
    }
    let caps = caps.without(Capability::AsyncGenerators).without(Capability::Context).without(Capability::ExcInfo);
    let config = GenConfig::full().within(caps);
    let programs: Vec<_> = (0..300).map(|seed| from_seed(seed, &config)).collect();
    assert!(programs.iter().all(|p| caps.covers(oracle::capability::required(p))));
    assert!(programs.iter().any(|p| p.is_async), "async main");
    assert!(programs.iter().any(|p| !p.gens.is_empty()), "generator functions");
    assert!(programs.iter().all(|p| p.cms.is_empty()));
}

#[test]
fn without_cpython_s_nesting_limit_no_program_nests_past_it() {
    use oracle::capability::{Capabilities, Capability};
    use oracle::ir::compile::{refused, Refused};
    let too_deep = |p: &oracle::ir::Program| refused(p).iter().any(|(_, r)| *r == Refused::TooDeep);
    let mut config = GenConfig::full();
    config.focus = crate::config::Focus::CompileTime;
    let with = |caps: Capabilities| (0..400).map(|seed| from_seed(seed, &config.within(caps))).filter(too_deep).count();
    assert!(with(Capabilities::FULL) > 0, "the compile focus reaches the nesting limit");
    assert_eq!(with(Capabilities::FULL.without(Capability::NestingLimit)), 0);
}
