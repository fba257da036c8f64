//! Triage on small cases: root causes leave out the kind of event and join families, known files
//! parse (or fail at a line), entries match by rule, what differs, kind and message, and go stale.

use std::collections::BTreeMap;

use expect_test::expect;

use super::known::{parse, Versions};
use super::*;
use crate::verdict::Kind;

fn pypy(minor: u32, micro: u32) -> InterpreterInfo {
    InterpreterInfo {
        implementation: "pypy".to_string(),
        version: (3, minor, micro),
        version_string: format!("3.{minor}.{micro} (7.3.11)\n[PyPy 7.3.11 with GCC 12.2.0]"),
        capabilities: crate::capability::Capabilities::FULL,
    }
}

fn divergence(rule: Rule, differs: Differs, kind: Kind, messages: Option<(&str, &str)>) -> Facts {
    Facts {
        failure: FailureKind::Divergence,
        signature: Some(Signature {
            position: 3,
            kind,
            differs,
            rule: Some(rule),
            detail: "exc message of AttributeError: \"__enter__\" vs \"…\"".to_string(),
            messages: messages.map(|(a, b)| (a.to_string(), b.to_string())),
            raised: None,
            missing: None,
        }),
        status: None,
        text: String::new(),
        unraised: String::new(),
    }
}

/// An exception `ty(msg)`, the `id`-th the program looked at.
fn exc(ty: &str, msg: &str, id: u32) -> crate::trace::ExcRef {
    crate::trace::ExcRef { ty: ty.to_string(), msg: Some(msg.to_string()), id }
}

/// `e` as an event or the outcome shows it, with `context` and nothing else linked.
fn shown(e: crate::trace::ExcRef, context: Option<crate::trace::ExcRef>) -> crate::trace::ExcDetail {
    crate::trace::ExcDetail { exc: e, context, cause: None, suppress_context: false, leaves: Vec::new() }
}

/// The facts of a divergence between two traces (the signature is of no matter here).
fn facts_of(expected: crate::trace::Trace, observed: crate::trace::Trace) -> Facts {
    use crate::verdict::{Divergence, Messages};
    let signature = divergence(Rule::ExitGetsException, Differs::Order, Kind::Call, None).signature.unwrap();
    Facts::of(&Failure::Divergence(Box::new(Divergence { expected, observed, messages: Messages::Exact, signature })))
}

const PYPY: &str = r#"
# Known differences of a PyPy, for the tests.
implementation = "pypy"
versions = ">=3.9, <3.10"

[[known]]
id = "protocol-message"
summary = "the error for a missing __enter__ or __exit__ has PyPy's wording"
cpython = "AttributeError: __enter__"
actual = "AttributeError: 'M0' object is not a context manager (no __enter__/__exit__ method)"
reason = "PyPy words the failed lookup itself"
case = "../corpus/regressions/pypy-missing-protocol-message.case"
rule = "missing-protocol"
differs = "message"
message = "is not a context manager \\(no __a?enter__/__a?exit__ method\\)$"

[[known]]
id = "bool-message"
summary = "__bool__ returning a non-bool names the wrong type"
link = "https://example.org/pypy/issue"
rule = ["bool-returns-non-bool"]
differs = ["message", "type"]
kind = ["raise", "handler"]

[[known.also]]
rule = "no-rule"
differs = "presence"
detail = "^expected => raise TypeError \\| observed "

[[known]]
id = "crashes-on-3.9.16"
summary = "a crash with a status"
reason = "for the test"
versions = "3.9.16"
failure = "crash"
message = "signal 11"
"#;

#[test]
fn families_are_named_apart_from_rules_and_hold_each_rule_once() {
    let mut names: Vec<String> = Rule::ALL.iter().map(|r| r.name()).collect();
    names.extend(FAMILIES.iter().map(|f| f.name.to_string()));
    names.push("no-rule".to_string());
    let n = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), n, "a family or `no-rule` has a rule's name");
    for r in Rule::ALL {
        let homes = FAMILIES.iter().filter(|f| f.rules.contains(r)).count();
        assert!(homes <= 1, "{} is in {homes} families", r.name());
        // Any rule's name names its culprit: its family, or itself.
        let c = Culprit::named(&r.name()).expect("every rule is named");
        assert_eq!(c, Culprit::of(Some(*r)));
        assert!(c.rules().contains(r));
        assert_eq!(Culprit::named(&c.name()), Some(c), "{}", c.name());
    }
    assert_eq!(Culprit::named("no-rule"), Some(Culprit::NoRule));
    assert_eq!(Culprit::named("lacks-exit"), Culprit::named("async-lacks-both"));
    // What except* and suppress make of a group is one function's doing (RustPython's parts all
    // lack __suppress_context__); what handlers raise anew is not a part of the group.
    assert_eq!(Culprit::named("suppress-splits-group"), Culprit::named("except-star-reraises"));
    assert_eq!(Culprit::named("except-star-splits").map(Culprit::name).as_deref(), Some("group-split"));
    assert_ne!(Culprit::named("except-star-raises-new"), Culprit::named("group-split"));
    assert_eq!(Culprit::named("missing-protocol").map(Culprit::name).as_deref(), Some("missing-protocol"));
    assert_eq!(Culprit::named("nope"), None);
}

#[test]
fn the_root_cause_leaves_out_the_kind_of_event_and_joins_a_family() {
    let handler = divergence(Rule::LacksExit, Differs::Message, Kind::Handler, None);
    let outcome = divergence(Rule::AsyncLacksBoth, Differs::Message, Kind::Raise, None);
    let other = divergence(Rule::RaiseNone, Differs::Message, Kind::Raise, None);
    let context = divergence(Rule::LacksExit, Differs::Context, Kind::Raise, None);
    assert_eq!(handler.cause(), outcome.cause());
    assert_ne!(handler.cause(), other.cause());
    assert_ne!(handler.cause(), context.cause());
    assert_eq!(handler.cause().to_string(), "missing-protocol: message");
    assert_eq!(other.cause().to_string(), "raise-none: message");
    let crash = |status: &str| Facts::of(&Failure::Crash { status: status.into(), stderr_tail: "boom".into() });
    assert_eq!(crash("killed by signal 11").cause(), crash("killed by signal 11").cause());
    assert_ne!(crash("killed by signal 11").cause(), crash("exit status 3").cause());
    assert_eq!(crash("killed by signal 11").cause().to_string(), "interpreter crash (killed by signal 11)");
    let hang = Facts::of(&Failure::Hang { stderr_tail: "x".repeat(10_000) });
    assert_eq!(hang.cause(), Cause::Hang);
    assert_eq!(hang.text.len(), MAX_FACT_TEXT_BYTES, "only the end of stderr is kept");
    // A long stderr (warnings) keeps the status in what a known entry's pattern reads.
    let noisy = Facts::of(&Failure::Crash { status: "killed by signal 11".into(), stderr_tail: "w\n".repeat(5_000) });
    assert!(noisy.text.starts_with("killed by signal 11\n"), "{}", &noisy.text[..40]);
    assert!(noisy.text.len() <= MAX_FACT_TEXT_BYTES + 201);
}

#[test]
fn versions_compare_the_parts_they_name() {
    let v = |s: &str| Versions::parse(s).expect(s);
    assert!(v(">=3.9, <3.10").contains((3, 9, 16)));
    assert!(!v(">=3.9, <3.10").contains((3, 10, 0)));
    assert!(v("3.9").contains((3, 9, 0)) && !v("3.9").contains((3, 8, 18)));
    assert!(v("==3.14.0").contains((3, 14, 0)) && !v("==3.14.0").contains((3, 14, 1)));
    assert!(v("*").contains((2, 7, 18)));
    assert!(v(">3.9").contains((3, 10, 0)) && !v(">3.9").contains((3, 9, 99)));
    assert!(v("<=3.11").contains((3, 11, 9)));
    for bad in ["3.x", ">=", "~3.9", "3.9.1.2", "=>3.9"] {
        assert!(Versions::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn an_entry_matches_by_rule_or_family_what_differs_kind_and_message() {
    let file = parse(PYPY, "known/pypy.toml").expect("the test file parses");
    let triage = Triage::new(&[file], &pypy(9, 16));
    assert_eq!(triage.entries().len(), 3);
    let pypy_msg = "'M0' object is not a context manager (no __enter__/__exit__ method)";
    let classify = |f: &Facts| triage.classify(f).known;
    let f = divergence(Rule::LacksEnter, Differs::Message, Kind::Handler, Some(("__enter__", pypy_msg)));
    assert_eq!(classify(&f).as_deref(), Some("protocol-message"));
    let f = divergence(Rule::AsyncLacksExit, Differs::Message, Kind::Raise, Some(("__aexit__", pypy_msg)));
    assert_eq!(classify(&f).as_deref(), Some("protocol-message"), "any rule of the family");
    let f = divergence(Rule::LacksEnter, Differs::Message, Kind::Raise, Some(("__enter__", "something else")));
    assert_eq!(classify(&f), None, "the message must match");
    let f = divergence(Rule::LacksEnter, Differs::Context, Kind::Raise, None);
    assert_eq!(classify(&f), None, "what differs must match");
    let f = divergence(Rule::BoolReturnsNonBool, Differs::Type, Kind::Handler, Some(("a", "b")));
    assert_eq!(classify(&f).as_deref(), Some("bool-message"));
    let f = divergence(Rule::BoolReturnsNonBool, Differs::Message, Kind::Exit, Some(("a", "b")));
    assert_eq!(classify(&f), None, "the kind must be one the entry names");
    // Another pattern of the same entry.
    let mut f = divergence(Rule::BoolReturnsNonBool, Differs::Presence, Kind::Raise, None);
    let sig = f.signature.as_mut().expect("a divergence");
    sig.rule = None;
    sig.detail = "expected => raise TypeError | observed MN.__init__".to_string();
    assert_eq!(classify(&f).as_deref(), Some("bool-message"));
    f.signature.as_mut().expect("a divergence").detail = "expected => raise KeyError | observed log".to_string();
    assert_eq!(classify(&f), None);
    let crash = |s: &str| Facts::of(&Failure::Crash { status: s.into(), stderr_tail: String::new() });
    assert_eq!(classify(&crash("killed by signal 11")).as_deref(), Some("crashes-on-3.9.16"));
    assert_eq!(classify(&crash("exit status 1")), None);
    let class = triage.classify(&crash("killed by signal 11"));
    assert_eq!(class.to_string(), "interpreter crash (killed by signal 11) [known: crashes-on-3.9.16]");

    // Entries apply by implementation and version.
    let file = parse(PYPY, "known/pypy.toml").expect("parses");
    let other = Triage::new(std::slice::from_ref(&file), &pypy(9, 18));
    assert_eq!(other.entries().len(), 2, "the crash entry is for 3.9.16 only");
    let cpython = InterpreterInfo { implementation: "cpython".into(), ..pypy(9, 16) };
    assert_eq!(Triage::new(std::slice::from_ref(&file), &cpython).not_applicable.len(), 3);
    assert_eq!(Triage::new(&[file], &pypy(10, 0)).entries().len(), 0);
}

#[test]
fn stale_entries_are_those_that_matched_nothing_in_enough_programs() {
    let file = parse(PYPY, "known/pypy.toml").expect("parses");
    let triage = Triage::new(&[file], &pypy(9, 16));
    let mut matched = BTreeMap::new();
    matched.insert("protocol-message".to_string(), 12);
    let ids = |v: Vec<&Entry>| v.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
    assert!(triage.stale(&matched, STALE_AFTER_PROGRAMS - 1, Messages::Exact).is_empty(), "too few programs");
    assert_eq!(ids(triage.stale(&matched, 5000, Messages::Exact)), ["bool-message", "crashes-on-3.9.16"]);
    matched.clear();
    assert_eq!(
        ids(triage.stale(&matched, 5000, Messages::Types)),
        ["bool-message", "crashes-on-3.9.16"],
        "a message-only entry cannot match when messages are not compared"
    );
}

fn errors(text: &str) -> String {
    match parse(text, "k.toml") {
        Ok(f) => format!("ok: {} entries\n", f.entries.len()),
        Err(es) => es.iter().map(|e| format!("{e}\n")).collect(),
    }
}

#[test]
fn every_problem_of_a_known_file_is_reported_at_its_line() {
    expect![[r#"
        k.toml:2: string values must be quoted, expected literal string
    "#]]
    .assert_eq(&errors("[[known]]\nid = oops\n"));
    expect![[r#"
        k.toml:3: unknown field `rules`, expected one of `id`, `summary`, `cpython`, `actual`, `reason`, `link`, `case`, `implementation`, `versions`, `version-string`, `failure`, `rule`, `differs`, `kind`, `message`, `expected-message`, `detail`, `raised`, `expected-raised`, `also`
    "#]]
    .assert_eq(&errors("implementation = \"pypy\"\n[[known]]\nrules = \"x\"\n"));
    let text = r#"implementation = "pypy"
versions = ">=3.9"

[[known]]
id = "a"
summary = "s"
reason = "r"
rule = "no-such-rule"
differs = "mesage"
message = "("

[[known]]
id = "a"
summary = "s"
rule = "raise-none"
differs = "message"
kind = "exitt"

[[known.also]]
rule = "raise-none"

[[known]]
id = "c"
summary = "s"
reason = "r"
failure = "crash"
differs = "message"
versions = "3.x"
"#;
    expect![[r#"
        k.toml:8: unknown rule "no-such-rule" (`withstand stats` lists the rules; families: missing-protocol, not-awaitable, pep-479, awaitable-reused, awaitable-throw, group-split; also no-rule, exc-info-leaked, or any alone)
        k.toml:9: unknown difference "mesage"; one of presence, order, type, message, identity, context, cause, suppress_context, value
        k.toml:10: the pattern "(" does not compile: error: unclosed group
        k.toml:12: entry "a" needs a `reason` or a `link`
        k.toml:13: the id "a" is used twice (first at line 4)
        k.toml:17: unknown event kind "exitt"; one of init, enter, aenter, exit, aexit, call, acall, callback, acallback, instance-method, get, bool, len, close, await, suspend, gen-yield, gen-end, gen-closed, gen-cleanup, log, var, store, ret, handler, finally, leaked, return, raise, compile-error, chain, end
        k.toml:19: entry "a" needs `differs` (what differs: message, context, ...)
        k.toml:27: `differs` is for divergences, and this entry is a crash
        k.toml:28: "3.x" is not a version constraint (e.g. ">=3.9, <3.11", "3.9", "==3.14.0")
    "#]]
    .assert_eq(&errors(text));
    expect![[r#"
        k.toml:1: entry "x" needs an `implementation` (or one at the top of the file)
        k.toml:1: entry "x" needs a `rule` (a rule or family name, "no-rule", or "any")
        k.toml:1: entry "x" needs `differs` (what differs: message, context, ...)
    "#]]
    .assert_eq(&errors("[[known]]\nid = \"x\"\nsummary = \"s\"\nlink = \"l\"\n"));
    expect![[r#"
        ok: 3 entries
    "#]]
    .assert_eq(&errors(PYPY));
}

#[test]
fn ids_are_unique_across_files() {
    let a = parse(PYPY, "a.toml").expect("parses");
    let b = parse(PYPY, "b.toml").expect("parses");
    let errs = known::duplicate_ids(&[a, b]);
    assert_eq!(errs.len(), 3);
    assert_eq!(errs[0].to_string(), "b.toml:6: the id \"protocol-message\" is also used at a.toml:6");
}

#[test]
fn an_entry_may_name_the_implementations_own_exception_wherever_the_traces_differ() {
    let text = r#"
implementation = "pypy"
versions = "3.9"

[[known]]
id = "awaitable-throw"
summary = "the awaitables have no throw()"
reason = "for the test"
rule = "awaitable-throw"
differs = "presence"

[[known.also]]
raised = "^RuntimeError: can't do async_generator\\.athrow\\(\\)\\.throw\\(\\)$"
"#;
    let file = parse(text, "k.toml").expect("a pattern with `raised` needs no rule or difference");
    let triage = Triage::new(&[file], &pypy(9, 16));
    let entry = triage.entry("awaitable-throw").expect("applies");
    assert!(entry.criteria()[1].starts_with("any: any, raised ~ /"), "{:?}", entry.criteria());
    // Any rule, anything differing, where the interpreter raised its own RuntimeError.
    let mut facts = divergence(Rule::GenThrowClass, Differs::Type, Kind::Raise, None);
    facts.text = "E1: r3\nRuntimeError: can't do async_generator.athrow().throw()\n".to_string();
    assert_eq!(triage.classify(&facts).known.as_deref(), Some("awaitable-throw"));
    // Not where it raised none.
    facts.text = "E1: r3\n".to_string();
    assert_eq!(triage.classify(&facts).known, None);
    // Its first pattern reads no message: it goes stale under `--messages types` too.
    assert!(!entry.needs_messages(), "its first pattern does not read messages");
    // `raised` is for divergences.
    let crash = text.replace("rule = \"awaitable-throw\"\ndiffers = \"presence\"", "failure = \"crash\"");
    let errors = parse(&crash, "k.toml").expect_err("raised on a crash");
    assert!(errors.iter().any(|e| e.message.contains("`raised` is for divergences")), "{errors:?}");
}

#[test]
fn a_divergences_facts_list_what_only_the_interpreter_raised() {
    use crate::trace::{Outcome, Trace};
    let expected = Trace { events: Vec::new(), outcome: Outcome::Raised(vec![shown(exc("E1", "r3", 1), None)]) };
    let observed = Trace {
        events: Vec::new(),
        outcome: Outcome::Raised(vec![shown(exc("RuntimeError", "can't do it", 2), Some(exc("E1", "r3", 1)))]),
    };
    let facts = facts_of(expected, observed);
    assert_eq!(facts.text, "RuntimeError: can't do it\n", "E1 is in both traces");
    assert_eq!(facts.unraised, "", "what the model raised, the interpreter raised too");
}

#[test]
fn an_entry_for_any_rule_matches_by_its_messages_wherever_the_difference_shows() {
    // KeyError's str without the quotes: a wording that shows under whatever rule the program
    // put the KeyError in.
    let text = r#"
implementation = "pypy"
versions = "3.9"

[[known]]
id = "keyerror-str"
summary = "str(KeyError('r1')) is 'r1'"
reason = "for the test"
rule = "any"
differs = "message"
expected-message = "^'[a-z]\\d+'$"
message = "^[a-z]\\d+$"
"#;
    let triage = Triage::new(&[parse(text, "k.toml").expect("parses")], &pypy(9, 16));
    assert_eq!(
        triage.entry("keyerror-str").expect("applies").criteria(),
        vec!["any: message, message ~ /^[a-z]\\d+$/, expected message ~ /^'[a-z]\\d+'$/"]
    );
    for rule in [Rule::RaiseFromCaught, Rule::NestedExits, Rule::GenSeesCallersHandled] {
        let facts = divergence(rule, Differs::Message, Kind::Raise, Some(("'r24'", "r24")));
        assert_eq!(triage.classify(&facts).known.as_deref(), Some("keyerror-str"), "{rule:?}");
    }
    // Only by its messages: another wording, or another difference, is not it.
    let other = divergence(Rule::RaiseFromCaught, Differs::Message, Kind::Raise, Some(("'r24'", "key r24")));
    assert_eq!(triage.classify(&other).known, None);
    let context = divergence(Rule::RaiseFromCaught, Differs::Context, Kind::Raise, Some(("'r24'", "r24")));
    assert_eq!(triage.classify(&context).known, None);
    // And never without them.
    let bare = text.replace("expected-message = \"^'[a-z]\\\\d+'$\"\nmessage = \"^[a-z]\\\\d+$\"\n", "");
    let errors = parse(&bare, "k.toml").expect_err("any rule and nothing else");
    assert!(errors.iter().any(|e| e.message.contains("`rule = \"any\"` needs")), "{errors:?}");
}

#[test]
fn an_exception_both_traces_have_counts_once_per_object() {
    use crate::trace::{Event, ExcRef, Outcome, Trace};
    // RustPython closes the coroutine whose throw() it refused: a second GeneratorExit, where the
    // model's trace has one too, from a close() elsewhere (seed 0xbeefe8).
    let caught = |label: &str, e: ExcRef, context: Option<ExcRef>| Event::Handler {
        label: label.to_string(),
        exc: shown(e, context),
    };
    let type_error = || exc("TypeError", "bad", 9);
    let exit = |id: u32| exc("GeneratorExit", "", id);
    // One GeneratorExit, shown twice (caught, then as a context): one object.
    let expected = Trace {
        events: vec![caught("h1", exit(1), None), caught("h2", type_error(), Some(exit(1)))],
        outcome: Outcome::Raised(vec![shown(type_error(), Some(exit(1)))]),
    };
    let observed = |second: u32| Trace {
        events: vec![caught("h1", exit(1), None), caught("h3", exit(second), None)],
        outcome: Outcome::Raised(vec![shown(type_error(), None)]),
    };
    let facts = |observed: Trace| facts_of(expected.clone(), observed);
    let two = facts(observed(2));
    assert_eq!(two.text, "GeneratorExit: \n", "the interpreter raised two where the model raised one");
    assert_eq!(two.unraised, "");
    let same = facts(observed(1));
    assert_eq!(same.text, "", "one object shown twice is one exception");
    assert_eq!(same.unraised, "");
}

#[test]
fn an_entry_recognises_what_the_model_raises_and_the_interpreter_never_does() {
    use crate::trace::{ExcRef, Outcome, Trace};
    // CPython refuses to bind None at enter_context(); PyPy binds it, and whatever the first
    // difference, CPython's TypeError is nowhere in its trace (seed 0xbeef41).
    let text = r#"
implementation = "pypy"
versions = "3.9"

[[known]]
id = "binds-none"
summary = "types.MethodType binds None"
reason = "for the test"
expected-raised = "^TypeError: first argument must be callable$"
"#;
    let file = parse(text, "k.toml").expect("a pattern with `expected-raised` needs no rule or difference");
    let triage = Triage::new(&[file], &pypy(9, 16));
    let entry = triage.entry("binds-none").expect("applies");
    assert_eq!(entry.criteria(), vec!["any: any, expected raised ~ /^TypeError: first argument must be callable$/"]);
    let raised = |e: ExcRef| Trace { events: Vec::new(), outcome: Outcome::Raised(vec![shown(e, None)]) };
    let facts = |expected: ExcRef, observed: ExcRef| facts_of(raised(expected), raised(observed));
    let binds = facts(
        exc("TypeError", "first argument must be callable", 1),
        exc("TypeError", "'NoneType' object is not callable", 1),
    );
    assert_eq!(binds.unraised, "TypeError: first argument must be callable\n");
    assert_eq!(binds.text, "TypeError: 'NoneType' object is not callable\n");
    assert_eq!(triage.classify(&binds).known.as_deref(), Some("binds-none"));
    // Not where the interpreter raised it too, nor where the model did not.
    let both = facts(
        exc("TypeError", "first argument must be callable", 1),
        exc("TypeError", "first argument must be callable", 1),
    );
    assert_eq!(triage.classify(&both).known, None);
    let other = facts(exc("E1", "r3", 1), exc("TypeError", "'NoneType' object is not callable", 1));
    assert_eq!(triage.classify(&other).known, None);
    // Like `raised`, it reads messages: under `--messages types` it is not reported stale.
    assert!(entry.needs_messages());
    // `expected-raised` is for divergences.
    let crash = text.replace("reason = \"for the test\"", "reason = \"for the test\"\nfailure = \"crash\"");
    let errors = parse(&crash, "k.toml").expect_err("expected-raised on a crash");
    assert!(errors.iter().any(|e| e.message.contains("`expected-raised` is for divergences")), "{errors:?}");
}

#[test]
fn an_entry_at_the_first_difference_wins_over_an_earlier_ones_raised() {
    let text = r#"
implementation = "pypy"
versions = "3.9"

[[known]]
id = "calls-none"
summary = "a bound None called later"
reason = "for the test"
raised = "^TypeError: 'NoneType' object is not callable$"

[[known]]
id = "no-nesting-limit"
summary = "no nesting limit"
reason = "for the test"
rule = "compile-too-deep"
differs = "presence"
"#;
    let triage = Triage::new(&[parse(text, "k.toml").expect("parses")], &pypy(9, 16));
    let mut facts = divergence(Rule::CompileTooDeep, Differs::Presence, Kind::CompileError, None);
    facts.text = "TypeError: 'NoneType' object is not callable\n".to_string();
    assert_eq!(triage.classify(&facts).known.as_deref(), Some("no-nesting-limit"));
    let mut facts = divergence(Rule::LacksExit, Differs::Presence, Kind::Raise, None);
    facts.text = "TypeError: 'NoneType' object is not callable\n".to_string();
    assert_eq!(triage.classify(&facts).known.as_deref(), Some("calls-none"));
}

#[test]
fn root_causes_join_on_what_half_their_findings_show_and_known_ones_never() {
    use super::join::{join, Joint, Part};
    let sig = |rule: Rule, differs: Differs, raised: Option<&str>| Signature {
        position: 1,
        kind: Kind::Handler,
        differs,
        rule: Some(rule),
        detail: format!("detail of {}", rule.name()),
        messages: None,
        raised: raised.map(str::to_string),
        missing: None,
    };
    let refusal = Some("RuntimeError: can't do async_generator.athrow().throw()");
    let a = [sig(Rule::AsyncGenAwaitableThrow, Differs::Type, refusal)];
    // Two of four is half: joined.
    let b = [
        sig(Rule::GeneratorStopIteration, Differs::Message, refusal),
        sig(Rule::GeneratorStopIteration, Differs::Message, refusal),
        sig(Rule::GeneratorStopIteration, Differs::Message, None),
        sig(Rule::GeneratorStopIteration, Differs::Message, None),
    ];
    // One of three is not.
    let c = [
        sig(Rule::RaiseNone, Differs::Message, refusal),
        sig(Rule::RaiseNone, Differs::Message, None),
        sig(Rule::RaiseNone, Differs::Message, None),
    ];
    fn part(sigs: &[Signature], known: bool) -> Part<'_> {
        Part {
            culprit: (!known).then(|| Culprit::of(sigs[0].rule)),
            signatures: sigs.iter().collect(),
            shown: Vec::new(),
        }
    }
    let parts = [part(&a, false), part(&b, false), part(&c, false), part(&a, true), part(&a, true)];
    let joints = join(&parts);
    let shared = vec!["the interpreter raises RuntimeError: can't do async_generator.athrow().throw()".to_string()];
    assert_eq!(
        joints,
        vec![
            // pep-479 has the most findings: it names the bug.
            Joint { parts: vec![1, 0], shared },
            Joint { parts: vec![2], shared: vec![] },
            Joint { parts: vec![3], shared: vec![] },
            Joint { parts: vec![4], shared: vec![] },
        ]
    );
}

#[test]
fn root_causes_join_on_what_the_model_expected_and_half_their_findings_leave_out() {
    use super::join::{join, Joint, Part};
    let sig = joinable;
    let got = Some((Rule::GenThrowFinished, "got"));
    // A finished athrow() that raises: the missing `got None` is the culprit's own event here...
    let a = [sig(Rule::GenThrowFinished, Differs::Presence, got), sig(Rule::GenThrowFinished, Differs::Presence, got)];
    // ...and another rule's exception there, the same event left out.
    let b = [sig(Rule::GenThrowBadArgs, Differs::Presence, got)];
    // The same rule, another thing left out: not joined.
    let c = [sig(Rule::GenThrowUnstarted, Differs::Presence, Some((Rule::GenThrowFinished, "=> return")))];
    let parts: Vec<Part<'_>> = [&a[..], &b, &c].iter().map(|sigs| part(sigs, Vec::new())).collect();
    assert_eq!(
        join(&parts),
        vec![
            Joint {
                parts: vec![0, 1],
                shared: vec!["the interpreter does not show got of gen-throw-finished".to_string()]
            },
            Joint { parts: vec![2], shared: vec![] },
        ]
    );
}

#[test]
fn root_causes_join_where_one_rule_s_exception_has_another_type_or_another_message() {
    use super::join::{join, Joint, Part};
    let sig = joinable;
    let type_error = Some((Rule::GenThrowBadArgs, "TypeError"));
    // PyPy's throw() refuses its arguments before it delegates: a GeneratorExit where the
    // TypeError was expected...
    let a =
        [sig(Rule::GenThrowBadArgs, Differs::Type, type_error), sig(Rule::GenThrowBadArgs, Differs::Type, type_error)];
    // ...and, where the TypeError is raised, another wording of it.
    let b = [sig(Rule::GenThrowBadArgs, Differs::Message, None)];
    // ...and where the interpreter did something else before the handler of the TypeError: no
    // rule made that, but the TypeError is left out.
    let e = [Signature { rule: None, ..sig(Rule::GenThrowBadArgs, Differs::Presence, type_error) }];
    // Another rule's message: not joined; nor an event of the same rule's missing.
    let c = [sig(Rule::RaiseNone, Differs::Message, None)];
    let d = [sig(Rule::GenThrowBadArgs, Differs::Presence, Some((Rule::GenThrowBadArgs, "MN.__exit__")))];
    let parts: Vec<Part<'_>> = [&a[..], &b, &c, &d, &e].iter().map(|sigs| part(sigs, Vec::new())).collect();
    let joints = join(&parts);
    assert_eq!(joints[0].parts, vec![0, 1, 4]);
    assert!(
        joints[0].shared.contains(&"the interpreter shows the exception of gen-throw-bad-args otherwise".to_string()),
        "{joints:?}"
    );
    assert_eq!(joints[1..], [Joint { parts: vec![2], shared: vec![] }, Joint { parts: vec![3], shared: vec![] }]);
}

#[test]
fn root_causes_join_where_rules_stand_for_one_decision_in_that_difference_only() {
    use super::join::{join, Joint, Part};
    let sig = |rule: Rule, differs: Differs| joinable(rule, differs, None);
    // The context of what throw() raises: into a generator suspended in a handler, one that never
    // started, one that finished.
    let chained = [sig(Rule::GenThrowChained, Differs::Context), sig(Rule::GenThrowChained, Differs::Context)];
    let unstarted = [sig(Rule::GenThrowUnstarted, Differs::Context)];
    let finished = [sig(Rule::GenThrowFinished, Differs::Context)];
    // Where a thrown exception is raised in a generator that never started is not that decision.
    let raised_where = [sig(Rule::GenThrowUnstarted, Differs::Presence)];
    // What a delegate resumed by throw() sees: in sys.exc_info() and in chaining alike.
    let sees = [sig(Rule::YieldFromUnlinked, Differs::Value)];
    let chains = [sig(Rule::YieldFromUnlinked, Differs::Context)];
    let parts: Vec<Part<'_>> = [&chained[..], &unstarted, &finished, &raised_where, &sees, &chains]
        .iter()
        .map(|sigs| part(sigs, Vec::new()))
        .collect();
    assert_eq!(
        join(&parts),
        vec![
            Joint { parts: vec![0, 1, 2], shared: vec!["the context of the exception throw() raises".to_string()] },
            Joint { parts: vec![3], shared: vec![] },
            Joint {
                parts: vec![4, 5],
                shared: vec!["what a generator resumed through yield from sees as handled".to_string()]
            },
        ]
    );
}

/// A signature for joining: `rule` behind `differs`, a detail of its own, and what it left out.
fn joinable(rule: Rule, differs: Differs, missing: Option<(Rule, &str)>) -> Signature {
    Signature {
        position: 1,
        kind: Kind::Handler,
        differs,
        rule: Some(rule),
        detail: format!("detail of {} {}", rule.name(), differs.name()),
        messages: None,
        raised: None,
        missing: missing.map(|(r, what)| (r, what.to_string())),
    }
}

/// A part for joining: its culprit the first finding's rule, with what its findings raise
/// elsewhere (`shown`, empty where not read).
fn part<'a>(sigs: &'a [Signature], shown: Vec<&'a str>) -> super::join::Part<'a> {
    super::join::Part { culprit: Some(Culprit::of(sigs[0].rule)), signatures: sigs.iter().collect(), shown }
}

#[test]
fn a_root_cause_whose_findings_show_two_things_half_and_half_joins_by_either() {
    use super::join::{join, Joint, Part};
    let got = Some((Rule::AsyncGenAthrowFinished, "got"));
    let didnt_stop = Some((Rule::AcmDidntStopAfterAthrow, "RuntimeError"));
    // PyPy's finished athrow(): half the findings leave out its `got None`, half contextlib's
    // "didn't stop" RuntimeError; the value it gives instead leaves out the `got` alone.
    let a = [
        joinable(Rule::AsyncGenAthrowFinished, Differs::Presence, got),
        joinable(Rule::AsyncGenAthrowFinished, Differs::Presence, didnt_stop),
    ];
    let b = [joinable(Rule::AsyncGenAthrowFinished, Differs::Value, got)];
    // One of three is not half.
    let c = [
        joinable(Rule::GenThrowFinished, Differs::Presence, got),
        joinable(Rule::GenThrowFinished, Differs::Presence, None),
        joinable(Rule::GenThrowFinished, Differs::Presence, None),
    ];
    let parts: Vec<Part<'_>> = [&a[..], &b, &c].iter().map(|sigs| part(sigs, Vec::new())).collect();
    assert_eq!(
        join(&parts),
        vec![
            Joint {
                parts: vec![0, 1],
                shared: vec!["the interpreter does not show got of async-gen-athrow-finished".to_string()]
            },
            Joint { parts: vec![2], shared: vec![] },
        ]
    );
}

#[test]
fn a_root_cause_every_finding_of_which_raises_another_s_exception_elsewhere_goes_to_it() {
    use super::join::{join, Joint};
    const REFUSAL: &str = "RuntimeError: can't do async_generator.athrow().throw()";
    let times = |n: usize, sig: Signature| vec![sig; n];
    let raising = |rule: Rule, differs: Differs, raised: &str| Signature {
        raised: Some(raised.to_string()),
        ..joinable(rule, differs, None)
    };
    // PyPy's refusal of athrow().throw(), its own exception at the first difference...
    let refusal = times(8, raising(Rule::AsyncGenAwaitableThrow, Differs::Type, REFUSAL));
    // ...and two findings that first differ where a cleanup then says "ignored GeneratorExit",
    // both raising the refusal elsewhere in the program.
    let after = times(2, joinable(Rule::AsyncGenAwaitableThrow, Differs::Presence, None));
    let ignored = "RuntimeError: async generator ignored GeneratorExit";
    let both = format!("{ignored}\n{REFUSAL}\n");
    // Stay: one that raises it in one finding of two; one not four times rarer than the refusal
    // (3 findings to 8); one whose findings were not read; one of a rule with a root cause of
    // its own elsewhere (a bug of its own that meets the refusal too).
    let once = times(2, joinable(Rule::RaiseNone, Differs::Message, None));
    let common = times(3, joinable(Rule::AwaitNotAwaitable, Differs::Message, None));
    let unread = times(1, joinable(Rule::CmReentered, Differs::Message, None));
    let own_rule = times(1, joinable(Rule::RaiseNone, Differs::Context, None));
    let parts = [
        part(&after, vec![&both, &both]),
        part(&refusal, vec![REFUSAL; 8]),
        part(&once, vec![&both, ignored]),
        part(&common, vec![REFUSAL; 3]),
        part(&unread, Vec::new()),
        part(&own_rule, vec![&both]),
    ];
    assert_eq!(
        join(&parts),
        vec![
            // The refusal names the bug though it comes second: an after-effect never does.
            Joint {
                parts: vec![1, 0],
                shared: vec![format!("the interpreter raises {REFUSAL} elsewhere in the program")]
            },
            Joint { parts: vec![2], shared: vec![] },
            Joint { parts: vec![3], shared: vec![] },
            Joint { parts: vec![4], shared: vec![] },
            Joint { parts: vec![5], shared: vec![] },
        ]
    );
    // Without the other root cause of its rule, that one goes too.
    let parts = [part(&refusal, vec![REFUSAL; 8]), part(&own_rule, vec![&both])];
    assert_eq!(join(&parts).len(), 1);
    // A root cause that goes elsewhere takes what goes to it along.
    let refusal = times(16, raising(Rule::AsyncGenAwaitableThrow, Differs::Type, REFUSAL));
    let middle = times(4, raising(Rule::GeneratorStopIteration, Differs::Context, ignored));
    let tail = times(1, joinable(Rule::RaiseNone, Differs::Type, None));
    let parts = [part(&refusal, vec![REFUSAL; 16]), part(&middle, vec![&both; 4]), part(&tail, vec![ignored])];
    let joints = join(&parts);
    assert_eq!(joints.len(), 1, "{joints:?}");
    assert_eq!(joints[0].parts, vec![0, 1, 2]);
}

#[test]
fn two_differences_of_one_rule_join_by_what_a_third_of_each_shows() {
    use super::join::{join, Joint, Part};
    let got = Some((Rule::AsyncGenAthrowFinished, "got"));
    let didnt_stop = Some((Rule::AcmDidntStopAfterAthrow, "RuntimeError"));
    let times = |n: usize, sig: Signature| vec![sig; n];
    // PyPy's finished athrow(): three of eight `presence` findings leave out its `got None`, five
    // contextlib's "didn't stop" RuntimeError; the one `value` finding gives another value.
    let mut presence = times(3, joinable(Rule::AsyncGenAthrowFinished, Differs::Presence, got));
    presence.extend(times(5, joinable(Rule::AsyncGenAthrowFinished, Differs::Presence, didnt_stop)));
    let value = times(1, joinable(Rule::AsyncGenAthrowFinished, Differs::Value, got));
    // The same rule, a third of one and not of the other (1 of 4): not joined.
    let mut order = times(3, joinable(Rule::AsyncGenAthrowFinished, Differs::Order, None));
    order.push(joinable(Rule::AsyncGenAthrowFinished, Differs::Order, got));
    // Another rule, as many leaving out the `got`: a third is too little across rules.
    let mut other = times(2, joinable(Rule::GenThrowBadArgs, Differs::Type, None));
    other.push(joinable(Rule::GenThrowBadArgs, Differs::Type, got));
    let parts: Vec<Part<'_>> = [&presence, &value, &order, &other].iter().map(|sigs| part(sigs, Vec::new())).collect();
    assert_eq!(
        join(&parts),
        vec![
            Joint {
                parts: vec![0, 1],
                shared: vec!["the interpreter does not show got of async-gen-athrow-finished".to_string()]
            },
            Joint { parts: vec![2], shared: vec![] },
            Joint { parts: vec![3], shared: vec![] },
        ]
    );
}
