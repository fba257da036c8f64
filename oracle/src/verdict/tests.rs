//! The verdict on small programs: the observed trace is the predicted one with one thing changed,
//! as a buggy interpreter would change it, and the signature must name what and the rule behind it.

use expect_test::{expect, Expect};

use super::*;
use crate::model::predict;
use crate::parse::parse;
use crate::profile::Profile;

const SUPPRESS: &str = "
class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        return self
    def __exit__(self, t, v, tb):
        on_exit('M0', t, v, tb)
        return True

def main():
    with M0():
        raise E1('r1')
    log('L2')
    return ret('v3', 3)
";

const LACKS_EXIT: &str = "
class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        return self

def main():
    try:
        with M0():
            log('L1')
    except TypeError:
        handler('h2')
        raise E1('r3')
";

fn predicted(text: &str) -> Prediction {
    let program = parse(text).unwrap_or_else(|d| panic!("test program does not parse: {d:?}"));
    predict(&program, Profile::CPYTHON_3_11)
}

/// Judges `change(predicted trace)` as the interpreter's answer; the signature and the diff.
fn check(text: &str, messages: Messages, change: impl FnOnce(&mut Trace), expected: Expect) {
    let prediction = predicted(text);
    let mut observed = prediction.trace.clone();
    change(&mut observed);
    let out = match judge(&prediction, RunResult::Completed(observed), messages) {
        Verdict::Agrees(_) => "agrees\n".to_string(),
        Verdict::Fails(Failure::Divergence(d)) => {
            format!("{} @{}\n{}", d.signature, d.signature.position, d.unified_diff())
        }
        Verdict::Fails(other) => format!("{other:?}\n"),
    };
    expected.assert_eq(&out);
}

fn raised(trace: &mut Trace) -> &mut Vec<ExcDetail> {
    match &mut trace.outcome {
        Outcome::Raised(chain) => chain,
        other => panic!("the test program raises, not {other:?}"),
    }
}

#[test]
fn the_same_trace_agrees_and_a_message_counts_only_when_messages_are_exact() {
    check(SUPPRESS, Messages::Exact, |_| {}, expect!["agrees\n"]);
    let reword = |t: &mut Trace| raised(t)[0].exc.msg = Some("another wording".to_string());
    check(LACKS_EXIT, Messages::Types, reword, expect!["agrees\n"]);
    check(
        LACKS_EXIT,
        Messages::Exact,
        |t| {
            if let Event::Handler { exc, .. } = &mut t.events[1] {
                exc.exc.msg = Some("'M0' object is not a context manager".to_string());
            }
        },
        expect![[r#"
            lacks-exit: message of handler (exc message of TypeError: "'MN' object does not support the context manager protocol (missed __exit__ method)" vs "'MN' object is not a context manager") @1
            --- expected (model)
            +++ observed (interpreter)
            @@ -1,4 +1,4 @@
             M0.__init__
            -except h2 caught TypeError("'M0' object does not support the context manager protocol (missed __exit__ method)")#1
            +except h2 caught TypeError("'M0' object is not a context manager")#1
             => raise E1("r3")#2 context=TypeError#1
                chain TypeError("'M0' object does not support the context manager protocol (missed __exit__ method)")#1
        "#]],
    );
}

#[test]
fn a_missing_event_is_presence_and_names_the_rule_behind_the_expected_event() {
    // The interpreter ignores the truthy result: no `log L2`, the exception escapes.
    check(
        SUPPRESS,
        Messages::Exact,
        |t| {
            t.events.truncate(3);
            t.outcome = Outcome::Raised(vec![ExcDetail {
                exc: ExcRef { ty: "E1".to_string(), msg: Some("r1".to_string()), id: 1 },
                context: None,
                cause: None,
                suppress_context: false,
                leaves: Vec::new(),
            }]);
        },
        expect![[r#"
            exit-suppresses: presence of log (expected log | observed => raise EN) @3
            --- expected (model)
            +++ observed (interpreter)
            @@ -1,6 +1,4 @@
             M0.__init__
             M0.__enter__ exc_info=-
             M0.__exit__ exc=E1("r1")#1 exc_info=E1("r1")#1
            -log L2 exc_info=-
            -evaluate return value v3
            -=> return 3
            +=> raise E1("r1")#1
        "#]],
    );
    // An extra event: no rule of the model produced it.
    check(
        SUPPRESS,
        Messages::Exact,
        |t| t.events.insert(3, Event::Log { label: "L9".to_string(), info: None }),
        expect![[r#"
            no-rule: presence of log (expected log | observed log) @3
            --- expected (model)
            +++ observed (interpreter)
            @@ -1,6 +1,7 @@
             M0.__init__
             M0.__enter__ exc_info=-
             M0.__exit__ exc=E1("r1")#1 exc_info=E1("r1")#1
            +log L9 exc_info=-
             log L2 exc_info=-
             evaluate return value v3
             => return 3
        "#]],
    );
}

#[test]
fn the_same_events_in_another_order_are_order() {
    check(
        SUPPRESS,
        Messages::Exact,
        |t| t.events.swap(3, 4),
        expect![[r#"
            exit-suppresses: order of log (expected log | observed evaluate return value) @3
            --- expected (model)
            +++ observed (interpreter)
            @@ -1,6 +1,6 @@
             M0.__init__
             M0.__enter__ exc_info=-
             M0.__exit__ exc=E1("r1")#1 exc_info=E1("r1")#1
            +evaluate return value v3
             log L2 exc_info=-
            -evaluate return value v3
             => return 3
        "#]],
    );
}

#[test]
fn fields_name_what_differs_and_the_rule_that_made_or_chained_the_exception() {
    // The type of the protocol error: the rule that created it.
    check(
        LACKS_EXIT,
        Messages::Types,
        |t| {
            if let Event::Handler { exc, .. } = &mut t.events[1] {
                exc.exc.ty = "AttributeError".to_string();
            }
        },
        expect![[r#"
            lacks-exit: type of handler (exc type: TypeError vs AttributeError) @1
            --- expected (model)
            +++ observed (interpreter)
            @@ -1,4 +1,4 @@
             M0.__init__
            -except h2 caught TypeError#1
            +except h2 caught AttributeError#1
             => raise E1#2 context=TypeError#1
                chain TypeError#1
        "#]],
    );
    // The context of the raised exception: the rule that chained it.
    check(
        LACKS_EXIT,
        Messages::Exact,
        |t| {
            let chain = raised(t);
            chain[0].context = None;
            chain.truncate(1);
        },
        expect![[r#"
            implicit-chaining: context of raise (context of EN: TypeError vs -) @2
            --- expected (model)
            +++ observed (interpreter)
            @@ -1,4 +1,3 @@
             M0.__init__
             except h2 caught TypeError("'M0' object does not support the context manager protocol (missed __exit__ method)")#1
            -=> raise E1("r3")#2 context=TypeError#1
            -   chain TypeError("'M0' object does not support the context manager protocol (missed __exit__ method)")#1
            +=> raise E1("r3")#2
        "#]],
    );
    // Another exception object reaches __exit__: identity, the rule behind the exit.
    check(
        SUPPRESS,
        Messages::Exact,
        |t| {
            if let Event::Exit { exc: Some(e), .. } = &mut t.events[2] {
                e.id = 2;
            }
        },
        expect![[r#"
            exit-gets-exception: identity of exit (exc identity of EN) @2
            --- expected (model)
            +++ observed (interpreter)
            @@ -1,6 +1,6 @@
             M0.__init__
             M0.__enter__ exc_info=-
            -M0.__exit__ exc=E1("r1")#1 exc_info=E1("r1")#1
            +M0.__exit__ exc=E1("r1")#2 exc_info=E1("r1")#1
             log L2 exc_info=-
             evaluate return value v3
             => return 3
        "#]],
    );
    // A returned value, which no rule decided (the program returns it).
    check(
        SUPPRESS,
        Messages::Exact,
        |t| t.outcome = Outcome::Returned("None".to_string()),
        expect![[r#"
            no-rule: value of return (return value: N vs None) @5
            --- expected (model)
            +++ observed (interpreter)
            @@ -1,6 +1,6 @@
             M0.__init__
             M0.__enter__ exc_info=-
             M0.__exit__ exc=E1("r1")#1 exc_info=E1("r1")#1
             log L2 exc_info=-
             evaluate return value v3
            -=> return 3
            +=> return None
        "#]],
    );
}

#[test]
fn shrinking_keeps_a_root_cause_not_a_detail_and_interpreter_failures_by_kind() {
    let prediction = predicted(SUPPRESS);
    let fail = |change: &dyn Fn(&mut Trace)| {
        let mut t = prediction.trace.clone();
        change(&mut t);
        judge(&prediction, RunResult::Completed(t), Messages::Exact).failure().expect("it fails")
    };
    let a = fail(&|t| t.outcome = Outcome::Returned("None".to_string()));
    let b = fail(&|t| t.outcome = Outcome::Returned("'x'".to_string()));
    let c = fail(&|t| t.events.swap(3, 4));
    assert!(a.same_as(&b), "the same root cause with other values");
    assert_ne!(a.key(), b.key(), "the detail tells them apart");
    assert!(!a.same_as(&c));
    let crash = |status: &str| Failure::Crash { status: status.to_string(), stderr_tail: String::new() };
    assert!(crash("killed by signal 11").same_as(&crash("killed by signal 11")));
    assert!(!crash("killed by signal 11").same_as(&crash("exit status 1")));
    assert!(Failure::Hang { stderr_tail: "a".into() }.same_as(&Failure::Hang { stderr_tail: "b".into() }));
    assert!(!a.same_as(&Failure::Hang { stderr_tail: String::new() }));
}

#[test]
fn a_flood_of_events_is_judged_and_diffed_in_bounded_size() {
    let prediction = predicted(SUPPRESS);
    let mut observed = prediction.trace.clone();
    let flood = (0..400_000).map(|i| Event::Log { label: format!("L{i}"), info: None });
    observed.events.splice(3..3, flood);
    let Verdict::Fails(Failure::Divergence(d)) = judge(&prediction, RunResult::Completed(observed), Messages::Exact)
    else {
        panic!("a flood diverges")
    };
    assert_eq!((d.signature.position, d.signature.differs), (3, Differs::Presence));
    let diff = d.unified_diff();
    let lines = diff.lines().count();
    assert!(lines <= 2 * MAX_DIFF_LINES + 50, "the diff is cut: {lines} lines");
    assert!(diff.starts_with("(long traces: lines 1.. shown"), "and says so:\n{}", &diff[..200]);
}

#[test]
fn a_long_value_is_cut_in_the_diff_and_the_signature() {
    let prediction = predicted(SUPPRESS);
    let mut observed = prediction.trace.clone();
    observed.outcome = Outcome::Returned(format!("'{}'", "x".repeat(100_000)));
    let f = judge(&prediction, RunResult::Completed(observed), Messages::Exact).failure().expect("it fails");
    assert!(f.key().len() < 300, "{}", f.key());
    let diff = f.details();
    assert!(diff.len() < 10 * MAX_DIFF_LINE_BYTES, "{} bytes", diff.len());
    assert!(diff.contains("more bytes)"), "{diff}");
}

#[test]
fn kinds_and_differences_are_read_back_by_name() {
    for k in Kind::ALL {
        assert_eq!(k.name().parse::<Kind>(), Ok(*k));
    }
    for d in Differs::ALL {
        assert_eq!(d.name().parse::<Differs>(), Ok(*d));
    }
    assert!("exitt".parse::<Kind>().is_err());
}

#[test]
fn kinds_and_differences_have_distinct_names() {
    let mut names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
    names.extend(Differs::ALL.iter().map(|d| d.name()));
    let n = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), n);
}

const GROUP: &str = "
def main():
    raise ExceptionGroup('g1', [E1('r2'), ValueError('r3')])
";

const CLOSE_VALUE: &str = "
def g0():
    try:
        yield 'y1'
    except GeneratorExit:
        handler('h4')
        return ret('v2', 5)

def main():
    drive('d3', g0(), 'close', 1, None)
";

#[test]
fn what_a_group_holds_is_compared() {
    check(
        GROUP,
        Messages::Exact,
        |t| {
            if let Outcome::Raised(chain) = &mut t.outcome {
                chain[0].leaves.pop();
            }
        },
        expect![[r#"
            group-raised: value of raise (exceptions of ExceptionGroup: 2 vs 1) @0
            --- expected (model)
            +++ observed (interpreter)
            @@ -1,3 +1,3 @@
            -=> raise ExceptionGroup("g1 (2 sub-exceptions)")#1 [E1#2, ValueError#3]
            +=> raise ExceptionGroup("g1 (2 sub-exceptions)")#1 [E1#2]
                chain E1("r2")#2
                chain ValueError("r3")#3
        "#]],
    );
}

#[test]
fn what_close_returned_is_compared() {
    check(
        CLOSE_VALUE,
        Messages::Exact,
        |t| {
            for e in &mut t.events {
                if let Event::GenClosed { value, .. } = e {
                    *value = Some("5".to_string());
                }
            }
        },
        expect![[r#"
            gen-close-returns-value: value of gen-closed (close() returned: None vs N) @3
            --- expected (model)
            +++ observed (interpreter)
            @@ -1,5 +1,5 @@
             d3 got y1
             except h4 caught GeneratorExit("")#1
             evaluate return value v2
            -d3 closed
            +d3 closed, returned 5
             => return None
        "#]],
    );
}

/// A build failure of `how` at `stage`, as a compiler reports it.
fn build_failure(stage: crate::runner::compile::Stage, how: crate::runner::compile::How, output: &str) -> BuildFailure {
    BuildFailure {
        compiler: "cython 3.3.1".to_string(),
        stage,
        how,
        summary: "w1_0.py:9:4: bad".to_string(),
        output: output.to_string(),
        commands: Vec::new(),
    }
}

#[test]
fn a_compiler_that_refuses_what_cpython_refuses_agrees_and_nothing_else_does() {
    use crate::runner::compile::{How, Stage};
    let refused = predicted(
        "
class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        return self
    def __exit__(self, t, v, tb):
        on_exit('M0', t, v, tb)
        return None

def main():
    with M0() as None:
        log('L1')
",
    );
    assert!(matches!(refused.trace.outcome, Outcome::CompileError(_)), "{:?}", refused.trace);
    let compiles = predicted(SUPPRESS);
    let rejects =
        build_failure(Stage::Build, How::Rejected { status: "exit status 1".into() }, "Cannot assign to None");
    let crashes = build_failure(Stage::Build, How::Crashed { status: "exit status 2".into() }, "Traceback");
    let hangs = build_failure(Stage::Build, How::Hung { after: std::time::Duration::from_secs(1) }, "");
    let import_syntax =
        build_failure(Stage::Import, How::Rejected { status: "import failed".into() }, "SyntaxError: invalid syntax");
    let import_other =
        build_failure(Stage::Import, How::Rejected { status: "import failed".into() }, "ImportError: no init");
    // The compiler's own wording of the refusal is not compared: the refusal is.
    assert_eq!(judge_build_failure(&refused, &rejects), Verdict::Agrees(refused.trace.clone()));
    assert_eq!(judge_build_failure(&refused, &import_syntax), Verdict::Agrees(refused.trace.clone()));
    for f in [&crashes, &hangs, &import_other] {
        assert_eq!(judge_build_failure(&refused, f), Verdict::Fails(Failure::Compile(Box::new(f.clone()))), "{f:?}");
    }
    // A program CPython compiles stays a finding however the compiler fails on it.
    for f in [&rejects, &crashes, &hangs, &import_syntax, &import_other] {
        assert_eq!(judge_build_failure(&compiles, f), Verdict::Fails(Failure::Compile(Box::new(f.clone()))), "{f:?}");
    }
}

/// The divergence of `observed` from `prediction`; the test fails if they agree.
fn diverged(prediction: &Prediction, observed: Trace, messages: Messages) -> Divergence {
    match judge(prediction, RunResult::Completed(observed), messages) {
        Verdict::Fails(Failure::Divergence(d)) => *d,
        other => panic!("the traces must diverge: {other:?}"),
    }
}

/// An outcome that raises one exception `ty(msg)`, with nothing chained.
fn raises(ty: &str, msg: &str) -> Outcome {
    Outcome::Raised(vec![ExcDetail {
        exc: ExcRef { ty: ty.to_string(), msg: Some(msg.to_string()), id: 2 },
        context: None,
        cause: None,
        suppress_context: false,
        leaves: Vec::new(),
    }])
}

#[test]
fn an_exception_only_one_rule_raises_names_that_rule_whatever_was_expected() {
    // Where the program returns, the interpreter raises what only an awaitable awaited again
    // raises: that rule, as an extra exception, with its message for known-file patterns.
    let prediction = predicted(SUPPRESS);
    let mut observed = prediction.trace.clone();
    observed.outcome = raises("RuntimeError", "cannot reuse already awaited aclose()/athrow()");
    let d = diverged(&prediction, observed, Messages::Exact);
    assert_eq!(d.signature.rule, Some(Rule::AsyncGenAwaitableReused));
    assert_eq!(d.signature.differs, Differs::Presence);
    let (_, observed_message) = d.signature.messages.expect("the extra exception's message");
    assert_eq!(observed_message, "cannot reuse already awaited aclose()/athrow()");
    // A message some other code could write is no rule's own: the verdict's usual attribution.
    let mut observed = prediction.trace.clone();
    observed.outcome = raises("RuntimeError", "cannot reuse");
    assert_ne!(diverged(&prediction, observed, Messages::Exact).signature.rule, Some(Rule::AsyncGenAwaitableReused));
    // With messages masked nothing is recognised.
    let mut observed = prediction.trace.clone();
    observed.outcome = raises("RuntimeError", "cannot reuse already awaited aclose()/athrow()");
    let d = diverged(&prediction, observed.without_messages(), Messages::Types);
    assert_ne!(d.signature.rule, Some(Rule::AsyncGenAwaitableReused));
}

#[test]
fn an_item_missing_or_extra_carries_the_messages_of_the_exceptions_it_is_about() {
    // The interpreter logs once more before it raises what the model raises: the event is its
    // own, and the model's message there is what a known entry's `expected-message` reads.
    let prediction = predicted(LACKS_EXIT);
    let extra_log =
        |trace: &mut Trace, at: usize| trace.events.insert(at, Event::Log { label: "L9".to_string(), info: None });
    let mut observed = prediction.trace.clone();
    extra_log(&mut observed, prediction.trace.events.len());
    let d = diverged(&prediction, observed.clone(), Messages::Exact);
    assert_eq!((d.signature.differs, d.signature.rule), (Differs::Presence, None), "{}", d.signature);
    assert_eq!(d.signature.messages, Some(("r3".to_string(), String::new())));
    // None once messages are masked.
    let d = diverged(&prediction, observed.without_messages(), Messages::Types);
    assert_eq!(d.signature.messages, None);
    // None where neither item is about an exception: a log in place of a log.
    let prediction = predicted(SUPPRESS);
    let mut observed = prediction.trace.clone();
    let at = observed.events.iter().position(|e| matches!(e, Event::Log { .. })).expect("SUPPRESS logs");
    extra_log(&mut observed, at);
    let d = diverged(&prediction, observed, Messages::Exact);
    assert_eq!(d.signature.differs, Differs::Presence);
    assert_eq!(d.signature.messages, None, "{}", d.signature);
}

#[test]
fn a_wrong_variant_of_the_models_own_message_stays_a_message_difference() {
    // Both raise PEP 479's RuntimeError, in another wording: the template is the model's own
    // there, so what differs is the message, not an extra exception.
    let program = "
def g0():
    yield 'y1'
    raise StopIteration('r2')

def main():
    drive('d3', g0(), 'all', 0, None)
";
    let prediction = predicted(program);
    let mut observed = prediction.trace.clone();
    let pep479 = raised(&mut observed)[0].exc.msg.clone();
    assert_eq!(pep479.as_deref(), Some("generator raised StopIteration"));
    raised(&mut observed)[0].exc.msg = Some("coroutine raised StopIteration".to_string());
    let d = diverged(&prediction, observed, Messages::Exact);
    assert_eq!(d.signature.differs, Differs::Message);
    assert_eq!(d.signature.rule, Some(Rule::GeneratorStopIteration));
    // 3.11's protocol error where the model raises none is the protocol's rule, whatever the type
    // name in it.
    let mut observed = prediction.trace.clone();
    observed.outcome =
        raises("TypeError", "'X.Y' object does not support the context manager protocol (missed __exit__ method)");
    let d = diverged(&prediction, observed, Messages::Exact);
    assert_eq!((d.signature.rule, d.signature.differs), (Some(Rule::LacksExit), Differs::Presence));
}

#[test]
fn a_getter_the_interpreter_added_is_the_lookups_rule() {
    let prediction = predicted(SUPPRESS);
    let mut observed = prediction.trace.clone();
    observed.events.insert(1, Event::Get { mgr: "M0".to_string(), method: "__exit__".to_string() });
    let d = diverged(&prediction, observed, Messages::Exact);
    assert_eq!((d.signature.rule, d.signature.differs), (Some(Rule::DescriptorGet), Differs::Presence));
    // Another added event stays no rule's.
    let mut observed = prediction.trace.clone();
    observed.events.insert(1, Event::Log { label: "L9".to_string(), info: None });
    assert_eq!(diverged(&prediction, observed, Messages::Exact).signature.rule, None);
}

#[test]
fn a_missing_exception_is_not_the_chaining_rules_that_gave_it_a_context() {
    // PyPy's finished `athrow()` raises where CPython's returns, so contextlib's "didn't stop"
    // RuntimeError is missing; that it would have had a context is not why it is missing.
    let program = "
@asynccontextmanager
async def c0():
    return
    yield

async def main():
    m8 = c0()
    try:
        raise E1('r14')
    except:
        handler('h16')
        show('d11', await m8.__aexit__(S2, S2('x10'), None))
        show('d13', await m8.__aexit__(KeyError, KeyError('x12'), None))
";
    let prediction = predicted(program);
    let chain = match &prediction.trace.outcome {
        Outcome::Raised(chain) => chain.clone(),
        other => panic!("the program raises: {other:?}"),
    };
    assert_eq!(chain[0].context.as_ref().map(|c| c.ty.as_str()), Some("E1"), "the RuntimeError is chained");
    let mut observed = prediction.trace.clone();
    observed.events.push(Event::Var { name: "d13".to_string(), value: "False".to_string() });
    observed.outcome = Outcome::Returned("None".to_string());
    let d = diverged(&prediction, observed, Messages::Exact);
    assert_eq!(d.signature.differs, Differs::Presence);
    assert_ne!(d.signature.rule, Some(Rule::ImplicitChaining));
    // The second __aexit__ awaits athrow() on the finished generator, which finishes at once:
    // that, not contextlib's reaction to it, is what an interpreter that raises there differs in.
    assert_eq!(d.signature.rule, Some(Rule::AsyncGenAthrowFinished), "{}", d.signature);
}

#[test]
fn an_exception_left_in_hand_after_main_is_its_own_root_cause() {
    use crate::trace::ExcRef;
    use crate::triage::{Cause, Culprit, Facts};
    let prediction = predicted(SUPPRESS);
    let mut observed = prediction.trace.clone();
    let leaked = ExcRef { ty: "E1".to_string(), msg: Some("r1".to_string()), id: 1 };
    observed.events.push(Event::Leaked { info: leaked });
    let d = diverged(&prediction, observed.clone(), Messages::Exact);
    assert_eq!((d.signature.kind, d.signature.differs, d.signature.rule), (Kind::Leaked, Differs::Presence, None));
    let cause = Facts::of(&Failure::Divergence(Box::new(d))).cause();
    assert_eq!(cause, Cause::Divergence { culprit: Culprit::Leaked, differs: Differs::Presence });
    assert_eq!(cause.to_string(), "exc-info-leaked: presence");
    // An earlier difference is still what the root cause is about.
    observed.events.remove(1);
    let d = diverged(&prediction, observed, Messages::Exact);
    assert_ne!(d.signature.kind, Kind::Leaked, "{}", d.signature);
}

#[test]
fn an_exception_the_interpreter_made_up_is_named_whatever_was_expected() {
    // SUPPRESS returns; an interpreter that raises a refusal of its own there shows it, digits
    // masked, so that the report can tell one refusal seen under several rules.
    let prediction = predicted(SUPPRESS);
    let own = |ty: &str, msg: &str, messages: Messages| {
        let mut observed = prediction.trace.clone();
        observed.outcome = raises(ty, msg);
        let observed = if messages == Messages::Types { observed.without_messages() } else { observed };
        diverged(&prediction, observed, messages).signature.raised
    };
    assert_eq!(
        own("RuntimeError", "can't do async_generator.athrow().throw() 2", Messages::Exact).as_deref(),
        Some("RuntimeError: can't do async_generator.athrow().throw() N")
    );
    // The program's own classes and labels are not the interpreter's making.
    assert_eq!(own("E1", "can't do that", Messages::Exact), None);
    assert_eq!(own("ValueError", "r12", Messages::Exact), None);
    assert_eq!(own("KeyError", "'r12'", Messages::Exact), None);
    assert_eq!(own("ExceptionGroup", "g1 (2 sub-exceptions)", Messages::Exact), None);
    assert_eq!(own("GeneratorExit", "", Messages::Exact), None);
    // Nor is an exception the model's trace has too, nor anything once messages are masked.
    assert_eq!(own("RuntimeError", "can't do that", Messages::Types), None);
    let prediction = predicted(LACKS_EXIT);
    let mut observed = prediction.trace.clone();
    let handled = observed.events.iter().find_map(|e| match e {
        Event::Handler { exc, .. } => Some(exc.exc.clone()),
        _ => None,
    });
    let handled = handled.expect("LACKS_EXIT handles the protocol's TypeError");
    raised(&mut observed)[0].exc = ExcRef { id: 9, ..handled };
    let d = diverged(&prediction, observed, Messages::Exact);
    assert_eq!(d.signature.raised, None, "{}", d.signature);
}

#[test]
fn an_exception_the_model_raises_elsewhere_linked_anew_is_a_link_difference() {
    // PEP 479's RuntimeError is handled; the interpreter then chains it to the next exception.
    // It is the model's own exception linked where CPython does not link it (a context), not
    // PEP 479 applied where CPython does not apply it.
    let program = "
def g0():
    yield 'y1'
    raise StopIteration('r2')

def main():
    try:
        drive('d3', g0(), 'all', 0, None)
    except RuntimeError:
        handler('h4')
    raise E1('r5')
";
    let prediction = predicted(program);
    let mut observed = prediction.trace.clone();
    let handled = observed.events.iter().find_map(|e| match e {
        Event::Handler { exc, .. } => Some(exc.exc.clone()),
        _ => None,
    });
    raised(&mut observed)[0].context = handled;
    let d = diverged(&prediction, observed, Messages::Exact);
    assert_eq!(d.signature.differs, Differs::Context, "{}", d.signature);
    assert_ne!(d.signature.rule, Some(Rule::GeneratorStopIteration), "{}", d.signature);
}

#[test]
fn a_missing_context_names_the_rule_that_gave_it_there_not_the_last_to_set_it() {
    // E1('r17') is thrown into g0 while g0 handles r13: throw() chains it to r13. Later main
    // raises it again from a handler, and implicit chaining gives it another context. The
    // handler h21 saw the first: an interpreter that does not chain the throw differs there,
    // and the rule is throw()'s, not the later raise's (PyPy, seed 0xbeef24).
    let program = "
def g0():
    try:
        raise E1('r13')
    except:
        handler('h12')
        yield 'y16'

def main():
    try:
        drive('d18', g0(), 'throw', 1, E1('r17'))
    except E1 as e_h21:
        handler('h21')
        try:
            raise E1('r23')
        except:
            handler('h22')
            raise e_h21
";
    let prediction = predicted(program);
    let mut observed = prediction.trace.clone();
    for e in &mut observed.events {
        if let Event::Handler { label, exc } = e {
            if label == "h21" {
                exc.context = None;
            }
        }
    }
    let d = diverged(&prediction, observed, Messages::Exact);
    assert_eq!(
        (d.signature.rule, d.signature.differs),
        (Some(Rule::GenThrowChained), Differs::Context),
        "{}",
        d.signature
    );
}

#[test]
fn a_context_added_to_what_is_thrown_into_an_unstarted_generator_is_the_throws() {
    // Thrown into a generator that never started, E1('r3') is raised with no context, whatever
    // main handles; an interpreter that chains it to main's exception differs under the rule of
    // that throw, not under the rule that raises it again later (PyPy, seed 0xbeef29).
    let program = "
def g0():
    yield 'y1'

def main():
    try:
        raise E1('r2')
    except E1:
        handler('h4')
        drive('d5', g0(), 'throw', 0, E1('r3'))
";
    assert_chaining_the_outcome_to_main_s_exception_names(program, Rule::GenThrowUnstarted);
}

/// An interpreter that chains the outcome, which CPython leaves unchained, to the exception main
/// handles first differs in that context, under `rule`.
fn assert_chaining_the_outcome_to_main_s_exception_names(program: &str, rule: Rule) {
    let prediction = predicted(program);
    let mut observed = prediction.trace.clone();
    let handled = observed.events.iter().find_map(|e| match e {
        Event::Handler { exc, .. } => Some(exc.exc.clone()),
        _ => None,
    });
    assert_eq!(raised(&mut observed)[0].context, None, "CPython leaves it unchained");
    raised(&mut observed)[0].context = handled;
    let d = diverged(&prediction, observed, Messages::Exact);
    assert_eq!((d.signature.rule, d.signature.differs), (Some(rule), Differs::Context), "{}", d.signature);
}

#[test]
fn a_context_a_generator_takes_from_its_caller_names_that_rule() {
    // g0 is past its own except block when close() runs it on, while main's with statement
    // handles the RuntimeError of the bare raise: what g0 raises is chained to that. An
    // interpreter that leaves it unchained differs under the rule of that fallback, not under
    // implicit chaining at large (PyPy, seed 0xbeef1a).
    let program = "
class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        return self
    def __exit__(self, t, v, tb):
        on_exit('M0', t, v, tb)
        return True

def g0():
    try:
        raise E1('r3')
    except:
        handler('h2')
        with M0():
            yield 'y7'
    raise E2('r1')

def main():
    with closing(g0()) as i16:
        step('d17', i16, 1)
        raise
";
    let prediction = predicted(program);
    let mut observed = prediction.trace.clone();
    let outcome = raised(&mut observed);
    assert!(outcome[0].context.is_some(), "CPython chains it to main's RuntimeError");
    outcome[0].context = None;
    let d = diverged(&prediction, observed, Messages::Exact);
    assert_eq!(
        (d.signature.rule, d.signature.differs),
        (Some(Rule::GenSeesCallersHandled), Differs::Context),
        "{}",
        d.signature
    );
}

#[test]
fn a_context_added_to_what_is_thrown_into_a_generator_handling_nothing_is_the_throws() {
    // E1('r9') is thrown through g0's yield from into g1, neither of which handles anything:
    // it is raised with no context, whatever main handles. An interpreter that chains it to
    // main's exception differs under throw()'s rule (PyPy, seed 0xbeef0c).
    let program = "
def g0():
    yield from g1()

def g1():
    yield 'y4'

def main():
    try:
        raise E1('r2')
    except E1:
        handler('h8')
        drive('d10', g0(), 'throw', 1, E1('r9'))
";
    assert_chaining_the_outcome_to_main_s_exception_names(program, Rule::GenThrowChained);
}

#[test]
fn what_the_model_expected_and_is_not_there_names_the_rule_that_made_it() {
    // The handler's TypeError has another type: the rule that made it, and its type.
    let prediction = predicted(LACKS_EXIT);
    let handler = |t: &Trace| t.events.iter().position(|e| matches!(e, Event::Handler { .. })).expect("a handler");
    let mut observed = prediction.trace.clone();
    let at = handler(&observed);
    if let Event::Handler { exc, .. } = &mut observed.events[at] {
        exc.exc.ty = "AttributeError".to_string();
    }
    let d = diverged(&prediction, observed, Messages::Exact);
    assert_eq!(d.signature.differs, Differs::Type);
    assert_eq!(d.signature.missing, Some((Rule::LacksExit, "TypeError".to_string())));
    // The handler never runs: the same, though the rule behind the missing event is another.
    let mut observed = prediction.trace.clone();
    observed.events.remove(handler(&observed));
    let d = diverged(&prediction, observed, Messages::Exact);
    assert_eq!(d.signature.differs, Differs::Presence);
    assert_eq!(d.signature.missing, Some((Rule::LacksExit, "TypeError".to_string())));
    // The interpreter does something more first: nothing of the model's is left out yet.
    let mut observed = prediction.trace.clone();
    observed.events.insert(0, Event::Log { label: "L9".to_string(), info: None });
    assert_eq!(diverged(&prediction, observed, Messages::Exact).signature.missing, None);
    // It does more first where the model's next item is about the TypeError (it went on where
    // the model raised): that exception is left out.
    let mut observed = prediction.trace.clone();
    let at = handler(&observed);
    observed.events.insert(at, Event::Log { label: "L9".to_string(), info: None });
    let d = diverged(&prediction, observed, Messages::Exact);
    assert_eq!((d.signature.rule, d.signature.differs), (None, Differs::Presence), "{}", d.signature);
    assert_eq!(d.signature.missing, Some((Rule::LacksExit, "TypeError".to_string())));
    // Something more before an outcome that chains two TypeErrors: an exit stack refuses a None
    // `__exit__`, and the enclosing `with` calls its own None `__exit__` on top of that. Where the
    // interpreter shows the first one nowhere, it is the one left out...
    let prediction = predicted(
        "
class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        return self
    __exit__ = None

def main():
    with M0():
        with ExitStack() as s1:
            s1.enter_context(M0())
",
    );
    let more = |reworded: bool| {
        let mut observed = prediction.trace.clone();
        observed.events.push(Event::Log { label: "L9".to_string(), info: None });
        observed.outcome.for_each_exc_ref(&mut |e: &mut ExcRef| {
            if reworded && e.msg.as_deref() == Some("first argument must be callable") {
                e.msg = Some("another wording".to_string());
            }
        });
        diverged(&prediction, observed, Messages::Exact).signature
    };
    let sig = more(true);
    assert_eq!((sig.rule, sig.differs), (None, Differs::Presence), "{sig}");
    assert_eq!(sig.missing, Some((Rule::StackExitIsNone, "TypeError".to_string())), "{sig}");
    // ...and where it shows both, the outcome's own exception.
    assert_eq!(more(false).missing, Some((Rule::ExitIsNone, "TypeError".to_string())));
    // A missing event about no exception a rule made: the rule that produced it and its subject,
    // also when the interpreter raises another rule's own exception instead (which names that
    // rule as the culprit).
    let prediction = predicted(SUPPRESS);
    let mut observed = prediction.trace.clone();
    let at = observed.events.iter().position(|e| matches!(e, Event::Log { .. })).expect("SUPPRESS logs");
    observed.events.truncate(at);
    observed.outcome = raises("RuntimeError", "cannot reuse already awaited aclose()/athrow()");
    let d = diverged(&prediction, observed, Messages::Exact);
    assert_eq!(d.signature.rule, Some(Rule::AsyncGenAwaitableReused));
    assert_eq!(d.signature.missing, Some((Rule::ExitSuppresses, "log".to_string())));
}

#[test]
fn a_context_no_rule_gave_is_named_by_the_item_s_rule() {
    // E1('r2') is raised `from None` while nothing is handled: no rule of the model gives it a
    // context. Where the interpreter links one, the raise's rule is named, not none: a model that
    // forgot to chain must not look like a link the interpreter added (`no-rule: context`, which
    // known files describe), or a known file would hide the model's bug.
    let program = "
def main():
    log('L1')
    raise E1('r2') from None
";
    let prediction = predicted(program);
    let mut observed = prediction.trace.clone();
    raised(&mut observed)[0].context = Some(ExcRef { ty: "E2".to_string(), msg: Some("r9".to_string()), id: 9 });
    let d = diverged(&prediction, observed, Messages::Exact);
    assert_eq!(
        (d.signature.rule, d.signature.differs),
        (Some(Rule::RaiseFromNone), Differs::Context),
        "{}",
        d.signature
    );
    // Where a rule did give the exception its context, dropping it is that rule's.
    let prediction = predicted(LACKS_EXIT);
    let mut observed = prediction.trace.clone();
    assert!(raised(&mut observed)[0].context.is_some(), "E1('r3') is chained to the TypeError");
    raised(&mut observed)[0].context = None;
    let d = diverged(&prediction, observed, Messages::Exact);
    assert_eq!(
        (d.signature.rule, d.signature.differs),
        (Some(Rule::ImplicitChaining), Differs::Context),
        "{}",
        d.signature
    );
}

#[test]
fn contextlib_s_didnt_stop_after_athrow_is_the_rule_it_reacts_to_when_that_one_decided_it() {
    // The generator catches what athrow() throws and yields again: contextlib's RuntimeError is
    // its own rule's, alone in its step.
    let program = "
@asynccontextmanager
async def c0():
    try:
        yield 'y1'
    except E1:
        handler('h2')
    yield 'y3'

async def main():
    m8 = c0()
    show('d5', await m8.__aenter__())
    show('d6', await m8.__aexit__(E1, E1('r4'), None))
";
    let prediction = predicted(program);
    assert!(
        matches!(&prediction.trace.outcome, Outcome::Raised(c) if c[0].exc.ty == "RuntimeError"),
        "the generator didn't stop: {:?}",
        prediction.trace.outcome
    );
    let mut observed = prediction.trace.clone();
    observed.outcome = Outcome::Returned("None".to_string());
    let d = diverged(&prediction, observed, Messages::Exact);
    assert_eq!((d.signature.rule, d.signature.differs), (Some(Rule::AcmDidntStopAfterAthrow), Differs::Presence));
}

#[test]
fn a_value_other_than_the_rule_gives_leaves_out_what_the_model_expected() {
    // athrow() on the finished generator gives None; PyPy raises the StopIteration it is given,
    // which ends the await with its value. The `got None` is left out as surely as where PyPy
    // raises something else (a difference in presence), so the two join.
    let program = "
async def g0():
    yield 'y1'

async def main():
    await adrive('d2', g0(), 'all+throw', 0, StopIteration('r3'))
";
    let prediction = predicted(program);
    let mut observed = prediction.trace.clone();
    let got_none = observed
        .events
        .iter_mut()
        .rev()
        .find_map(|e| match e {
            Event::GenYield { value, .. } if value == "None" => Some(value),
            _ => None,
        })
        .expect("the model expects `d2 got None`");
    *got_none = "'r3'".to_string();
    let d = diverged(&prediction, observed, Messages::Exact);
    assert_eq!((d.signature.rule, d.signature.differs), (Some(Rule::AsyncGenAthrowFinished), Differs::Value));
    assert_eq!(d.signature.missing, Some((Rule::AsyncGenAthrowFinished, "got".to_string())));
}

#[test]
fn what_a_delegate_resumed_by_throw_sees_is_named_by_the_rule_that_unlinks_it() {
    // g1, resumed by throw() through g0's yield from, does not see the KeyError g0 handles
    // (SEMANTICS-ADDENDUM §11.4): log L5 shows no exception, and E2('r6'), raised and handled
    // there, gets no context.
    let program = "
def g0():
    try:
        raise KeyError('r1')
    except KeyError:
        handler('h2')
        yield from g1()

def g1():
    try:
        yield 'y3'
    except E1:
        handler('h4')
    log('L5')
    try:
        raise E2('r6')
    except E2:
        handler('h9')

def main():
    drive('d7', g0(), 'throw', 1, E1('r8'))
";
    let prediction = predicted(program);
    let key_error =
        prediction.trace.exc_refs().into_iter().find(|e| e.ty == "KeyError").expect("g0 handles a KeyError");
    let log_at = prediction
        .trace
        .events
        .iter()
        .position(|e| matches!(e, Event::Log { label, .. } if label == "L5"))
        .expect("L5 is logged");
    // An interpreter whose delegate sees the delegator's exception: sys.exc_info() shows it...
    let mut observed = prediction.trace.clone();
    if let Event::Log { info, .. } = &mut observed.events[log_at] {
        assert_eq!(*info, None, "CPython's delegate sees nothing handled");
        *info = Some(key_error.clone());
    }
    let d = diverged(&prediction, observed, Messages::Exact);
    assert_eq!(
        (d.signature.rule, d.signature.differs),
        (Some(Rule::YieldFromUnlinked), Differs::Value),
        "{}",
        d.signature
    );
    // ...and chains what it raises to it.
    let mut observed = prediction.trace.clone();
    let mut chained = false;
    for ev in &mut observed.events {
        if let Event::Handler { exc, .. } = ev {
            if exc.exc.ty == "E2" {
                assert_eq!(exc.context, None, "CPython leaves E2 unchained in the delegate");
                exc.context = Some(key_error.clone());
                chained = true;
            }
        }
    }
    assert!(chained, "h9 handles E2: {:?}", prediction.trace.lines());
    let d = diverged(&prediction, observed, Messages::Exact);
    assert_eq!(
        (d.signature.rule, d.signature.differs),
        (Some(Rule::YieldFromUnlinked), Differs::Context),
        "{}",
        d.signature
    );
    // A difference in whether the log is there at all is not that rule's: it decides what an
    // event shows, never whether it is there.
    let mut observed = prediction.trace.clone();
    observed.events.remove(log_at);
    let d = diverged(&prediction, observed, Messages::Exact);
    assert_ne!(d.signature.rule, Some(Rule::YieldFromUnlinked), "{}", d.signature);
}
