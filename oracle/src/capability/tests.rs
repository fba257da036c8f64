//! Capabilities: names, sets, what a program needs, and masking.

use super::{required, Capabilities, Capability};
use crate::profile::Profile;
use crate::trace::{Event, ExcDetail, ExcRef, Outcome, Trace};

fn exc(ty: &str, id: u32) -> ExcRef {
    ExcRef { ty: ty.to_owned(), msg: Some(format!("m{id}")), id }
}

fn detail(e: ExcRef, context: Option<ExcRef>, cause: Option<ExcRef>) -> ExcDetail {
    ExcDetail { exc: e, context, cause, suppress_context: false, leaves: Vec::new() }
}

/// A handler sees E3#1 whose context is E1#2; main then raises E3#1 again.
fn chained() -> Trace {
    let handled = detail(exc("E3", 1), Some(exc("E1", 2)), None);
    Trace {
        events: vec![
            Event::Handler { label: "h1".into(), exc: handled.clone() },
            Event::Log { label: "L2".into(), info: Some(exc("E3", 1)) },
            Event::Exit { mgr: "M0".into(), is_async: false, exc: Some(exc("E3", 1)), consistent: false, info: None },
        ],
        outcome: Outcome::Raised(vec![
            handled,
            detail(exc("E1", 2), None, Some(exc("KeyError", 3))),
            detail(exc("KeyError", 3), None, None),
        ]),
    }
}

#[test]
fn every_capability_round_trips_through_its_name() {
    for c in Capability::ALL {
        assert_eq!(c.name().parse::<Capability>(), Ok(*c));
    }
    assert!("contextlib.frobnicate".parse::<Capability>().is_err());
    let some = Capabilities::FULL.without(Capability::Context).without(Capability::ExcInfo);
    assert_eq!(some.to_string(), "all but __context__, sys.exc_info");
    assert_eq!(some.to_string().parse::<Capabilities>(), Ok(some));
    assert_eq!("-__context__,-sys.exc_info".parse::<Capabilities>(), Ok(some));
    assert_eq!("all".parse::<Capabilities>(), Ok(Capabilities::FULL));
    assert_eq!("none".parse::<Capabilities>().map(|c| c.to_string()), Ok("none".to_owned()));
    let only = "contextlib.suppress, __context__".parse::<Capabilities>().expect("names");
    assert_eq!(only.iter().collect::<Vec<_>>(), [Capability::Suppress, Capability::Context]);
    assert_eq!(Capabilities::FULL.changes_to(some.with(Capability::Context)), "-sys.exc_info");
}

#[test]
fn a_full_set_masks_nothing() {
    let t = chained();
    assert!(!Capabilities::FULL.masks());
    assert_eq!(Capabilities::FULL.mask(&t), t);
    // Missing capabilities that are left out of generation mask nothing either.
    let no_contextlib = Capabilities::FULL.without(Capability::ExitStack).without(Capability::Contextmanager);
    assert_eq!(no_contextlib.mask(&t), t);
}

#[test]
fn without_context_chains_are_cut_and_exceptions_renumbered() {
    let masked = Capabilities::FULL.without(Capability::Context).mask(&chained());
    let lines = masked.lines();
    assert_eq!(
        lines,
        [
            "except h1 caught E3(\"m1\")#1",
            "log L2 exc_info=E3(\"m1\")#1",
            "M0.__exit__ exc=E3(\"m1\")#1 INCONSISTENT-ARGS exc_info=-",
            "=> raise E3(\"m1\")#1",
        ]
    );
}

#[test]
fn without_exc_info_and_tracebacks_those_fields_are_not_compared() {
    let caps = Capabilities::FULL.without(Capability::ExcInfo).without(Capability::Traceback);
    let lines = caps.mask(&chained()).lines();
    assert_eq!(lines[1], "log L2 exc_info=-");
    assert_eq!(lines[2], "M0.__exit__ exc=E3(\"m1\")#1 exc_info=-");
    // The context is still there, and the chain through it.
    assert_eq!(lines[0], "except h1 caught E3(\"m1\")#1 context=E1#2");
    assert_eq!(lines.len(), 6);
}

#[test]
fn renumbering_follows_the_masked_trace() {
    // E1#2 is seen only as a context; without contexts, KeyError (was #3) becomes #2 when the
    // cause is still shown, and the chain keeps it.
    let mut t = chained();
    let Outcome::Raised(chain) = &mut t.outcome else { unreachable!() };
    chain[0].cause = Some(exc("KeyError", 3));
    let masked = Capabilities::FULL.without(Capability::Context).mask(&t);
    let Outcome::Raised(chain) = &masked.outcome else { unreachable!() };
    let shown: Vec<String> = chain.iter().map(|d| d.to_string()).collect();
    assert_eq!(shown, ["E3(\"m1\")#1 cause=KeyError#2", "KeyError(\"m3\")#2"]);
}

#[test]
fn a_prediction_within_capabilities_is_masked_like_an_observation() {
    let program = crate::parse::parse(
        "class M0:\n    def __init__(self):\n        on_init('M0')\n    def __enter__(self):\n        on_enter('M0')\n        return self\n    def __exit__(self, t, v, tb):\n        on_exit('M0', t, v, tb)\n        raise E2('r2')\n\ndef main():\n    with M0():\n        raise E1('r1')\n",
    )
    .expect("a program");
    let p = crate::model::predict(&program, Profile::CPYTHON_3_11);
    assert!(p.trace.lines().join("\n").contains("context=E1#1"), "{:?}", p.trace.lines());
    let caps = Capabilities::FULL.without(Capability::Context).without(Capability::ExcInfo);
    let within = p.within(caps);
    assert_eq!(within.trace, caps.mask(&p.trace));
    assert!(!within.trace.lines().join("\n").contains("context="));
    assert_eq!(p.within(Capabilities::FULL).trace, p.trace);
}

#[test]
fn programs_name_the_capabilities_they_use() {
    let program = crate::parse::parse(
        "@contextmanager\ndef c0():\n    yield 1\n\ndef main():\n    with c0(), suppress(E1):\n        with ExitStack() as s1:\n            s1.enter_context(nullcontext(2))\n",
    )
    .expect("a program");
    let needs = required(&program);
    let names: Vec<&str> = needs.iter().map(|c| c.name()).collect();
    assert_eq!(
        names,
        ["contextlib.contextmanager", "contextlib.ExitStack", "contextlib.suppress", "contextlib.nullcontext"]
    );
    assert!(Capabilities::FULL.covers(needs));
    assert!(!Capabilities::FULL.without(Capability::Suppress).covers(needs));
}

#[test]
fn only_a_function_nested_past_cpython_s_limit_needs_the_limit() {
    let deep = |n: usize| {
        let mut src = String::from("class M0:\n    def __init__(self):\n        on_init('M0')\n    def __enter__(self):\n        on_enter('M0')\n        return self\n    def __exit__(self, t, v, tb):\n        on_exit('M0', t, v, tb)\n        return None\n\ndef main():\n");
        for i in 0..n {
            src.push_str(&format!("{}with M0():\n", "    ".repeat(i + 1)));
        }
        src.push_str(&format!("{}pass\n", "    ".repeat(n + 1)));
        crate::parse::parse(&src).expect("a program")
    };
    assert!(required(&deep(crate::ir::REFUSED_BLOCKS)).has(Capability::NestingLimit));
    assert!(!required(&deep(crate::ir::MAX_BLOCKS)).has(Capability::NestingLimit));
    assert!(!Capabilities::FULL.without(Capability::NestingLimit).covers(required(&deep(crate::ir::REFUSED_BLOCKS))));
}
