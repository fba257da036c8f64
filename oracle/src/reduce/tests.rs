//! Reduction of hand-built programs under predicates that are pure functions of the program.

use std::cell::Cell;

use expect_test::{expect, Expect};

use crate::ir::{
    validate, Action, AwaitThen, BoolResult, Cause, CmGen, Drive, Elem, ExcClass, ExitFn, ExitFnResult, GenFn, Handler,
    ItemExpr, Manager, Method, NewExc, Parens, Program, RaiseNew, StackOp, Stmt, Target, Thrown, Try, Value, WithItem,
};
use crate::model::predict;
use crate::profile::Profile;
use crate::reduce::{reduce, size, Budget, Reduced};
use crate::render;
use crate::trace::{Event, Outcome};

// ---- builders ----

fn exc(class: ExcClass, label: &str) -> NewExc {
    NewExc { class, label: label.to_string() }
}

fn raise(class: ExcClass, label: &str) -> Stmt {
    Stmt::Raise(RaiseNew { exc: exc(class, label), cause: None })
}

fn log(label: &str) -> Stmt {
    Stmt::Log(label.to_string())
}

fn show(name: &str) -> Stmt {
    Stmt::Show(name.to_string())
}

fn item(m: usize, target: Target) -> WithItem {
    WithItem { expr: ItemExpr::New(m), target }
}

fn name(n: &str) -> Target {
    Target::Name(n.to_string())
}

fn with(items: Vec<WithItem>, body: Vec<Stmt>) -> Stmt {
    Stmt::With { parens: Parens::No, is_async: false, items, body }
}

fn handler(label: &str, class: Option<ExcClass>, bind: bool, body: Vec<Stmt>) -> Handler {
    Handler { label: label.to_string(), class, bind, body }
}

fn try_(body: Vec<Stmt>, handlers: Vec<Handler>, orelse: Vec<Stmt>, finally: Option<(&str, Vec<Stmt>)>) -> Stmt {
    Stmt::Try(Box::new(Try { body, handlers, orelse, finally: finally.map(|(l, b)| (l.to_string(), b)) }))
}

fn manager(enter: Method, exit: Method) -> Manager {
    Manager { init_raises: None, enter, exit, aenter: Method::Missing, aexit: Method::Missing, base: None }
}

fn plain_manager() -> Manager {
    manager(Method::Defined(Action::ReturnSelf), Method::Defined(Action::Return(Value::None)))
}

/// A program of about sixty lines that uses most of the IR.
fn big_program() -> Program {
    let managers = vec![
        plain_manager(),
        manager(
            Method::Defined(Action::Return(Value::Tuple(vec![Value::Int(1), Value::Int(2)]))),
            Method::Defined(Action::SuppressIf(vec![ExcClass::KeyError, ExcClass::ValueError])),
        ),
        manager(Method::Missing, Method::Defined(Action::Return(Value::Bool(true)))),
        Manager {
            init_raises: Some(exc(ExcClass::E3, "i1")),
            enter: Method::Defined(Action::ReturnSelf),
            exit: Method::WrongArity,
            aenter: Method::Missing,
            aexit: Method::Missing,
            base: None,
        },
        manager(
            Method::Defined(Action::ReturnSelf),
            Method::Defined(Action::Raise(RaiseNew {
                exc: exc(ExcClass::TypeError, "r2"),
                cause: Some(Cause::New(exc(ExcClass::E2, "c3"))),
            })),
        ),
        plain_manager(),
        manager(
            Method::Defined(Action::Return(Value::Str("hello".to_string()))),
            Method::Defined(Action::Return(Value::BoolObj {
                label: "b4".to_string(),
                result: BoolResult::Bool(false),
            })),
        ),
    ];
    let main = vec![
        log("L5"),
        with(
            vec![item(0, name("a"))],
            vec![
                show("a"),
                Stmt::Loop {
                    times: 3,
                    body: vec![log("L6"), with(vec![item(5, Target::None)], vec![Stmt::Continue]), Stmt::Break],
                },
            ],
        ),
        try_(
            vec![with(
                vec![
                    item(1, Target::Tuple(vec![Elem::Name("x".to_string()), Elem::Name("y".to_string())])),
                    item(0, Target::None),
                ],
                vec![
                    show("x"),
                    show("y"),
                    Stmt::Raise(RaiseNew { exc: exc(ExcClass::KeyError, "r7"), cause: Some(Cause::None) }),
                ],
            )],
            vec![handler("h8", Some(ExcClass::E1), true, vec![log("L9"), Stmt::RaiseCaught("h8".to_string())])],
            vec![log("L10")],
            Some(("f11", vec![log("L12")])),
        ),
        with(
            vec![item(6, name("s"))],
            vec![
                show("s"),
                with(vec![item(4, Target::None)], vec![with(vec![item(2, Target::None)], vec![log("L13")])]),
            ],
        ),
        try_(
            vec![with(vec![item(3, Target::None)], vec![log("L14")])],
            vec![handler("h15", Some(ExcClass::E3), false, vec![log("L16")])],
            vec![],
            None,
        ),
        Stmt::Loop {
            times: 2,
            body: vec![try_(
                vec![raise(ExcClass::RuntimeError, "r17")],
                vec![
                    handler("h18", Some(ExcClass::LookupError), false, vec![]),
                    handler("h19", None, false, vec![Stmt::Continue]),
                ],
                vec![],
                Some(("f20", vec![log("L21")])),
            )],
        },
        Stmt::Return {
            label: "v22".to_string(),
            value: Value::Tuple(vec![Value::Int(1), Value::Str("abc".to_string()), Value::Bool(true)]),
        },
    ];
    let program = Program { managers, main, gens: vec![], cms: vec![], is_async: false, decos: Vec::new() };
    assert_eq!(validate(&program), vec![]);
    program
}

// ---- the harness ----

struct Run {
    reduced: Reduced,
    /// Every program given to `on_progress`.
    progress: Vec<Program>,
    /// How many times `interesting` was called.
    calls: u64,
}

/// Reduces `program` under `predicate`, checking on the way that the predicate only ever sees
/// valid programs, smaller than the best so far, and that `on_progress` sees each accepted one.
fn run(
    program: &Program,
    max_attempts: u64,
    should_stop: &dyn Fn() -> bool,
    predicate: impl Fn(&Program) -> bool,
) -> Run {
    assert!(predicate(program), "the original must be interesting");
    let best_size = Cell::new(size(program));
    let calls = Cell::new(0u64);
    let mut progress = Vec::new();
    let budget = Budget { max_attempts, should_stop };
    let reduced = reduce(
        program,
        &budget,
        &mut |p| {
            calls.set(calls.get() + 1);
            assert_eq!(validate(p), vec![], "an invalid candidate:\n{}", render::body(p));
            assert!(size(p) < best_size.get(), "a candidate no smaller than the best");
            predicate(p)
        },
        &mut |p| {
            assert!(predicate(p), "on_progress got a program the predicate rejected");
            best_size.set(size(p));
            progress.push(p.clone());
        },
    );
    assert_eq!(reduced.attempts, calls.get());
    assert_eq!(reduced.accepted, progress.len() as u64);
    assert!(size(&reduced.program) <= size(program), "reduce grew the program");
    match progress.last() {
        Some(last) => assert_eq!(last, &reduced.program),
        None => assert_eq!(&reduced.program, program),
    }
    for pair in progress.windows(2) {
        assert!(size(&pair[1]) < size(&pair[0]));
    }
    Run { reduced, progress, calls: calls.get() }
}

fn never() -> bool {
    false
}

/// Reduces without limits and checks the rendered result and the attempt count.
fn check(program: &Program, predicate: impl Fn(&Program) -> bool, expect: Expect, attempts: Expect) {
    let r = run(program, u64::MAX, &never, &predicate);
    assert!(r.reduced.complete);
    expect.assert_eq(&render::body(&r.reduced.program));
    attempts.assert_eq(&format!("{} attempts, {} accepted", r.reduced.attempts, r.reduced.accepted));
}

fn exit_sees(program: &Program, ty: &str) -> bool {
    predict(program, Profile::CPYTHON_3_11).trace.events.iter().any(|e| match e {
        Event::Exit { exc: Some(x), .. } => x.ty == ty,
        _ => false,
    })
}

fn raises(program: &Program, ty: &str) -> bool {
    match predict(program, Profile::CPYTHON_3_11).trace.outcome {
        Outcome::Raised(chain) => chain[0].exc.ty == ty,
        _ => false,
    }
}

// ---- tests ----

#[test]
fn a_raise_in_the_text_reduces_to_that_raise_alone() {
    check(
        &big_program(),
        |p| render::body(p).contains("raise KeyError"),
        expect![[r#"
            def main():
                raise KeyError('r7')
        "#]],
        expect!["26 attempts, 14 accepted"],
    );
}

#[test]
fn an_exit_that_sees_a_type_error_keeps_one_manager() {
    check(
        &big_program(),
        |p| exit_sees(p, "TypeError"),
        expect![[r#"
            class M0:
                def __init__(self):
                    on_init('M0')
                def __enter__(self):
                    on_enter('M0')
                    return self
                def __exit__(self, t, v, tb):
                    on_exit('M0', t, v, tb)
                    raise TypeError('r2')

            def main():
                with M0():
                    with M0():
                        pass
        "#]],
        expect!["21 attempts, 10 accepted"],
    );
}

#[test]
fn a_suppressed_exception_keeps_the_manager_that_suppresses_it() {
    // `main` returns normally only because M1's `__exit__` suppresses the KeyError; keep a
    // `with` and a raise.
    let mut program = big_program();
    program.main.truncate(3);
    let predicate = |p: &Program| {
        let trace = predict(p, Profile::CPYTHON_3_11).trace;
        let suppressed = trace.events.iter().any(|e| matches!(e, Event::Exit { exc: Some(_), .. }));
        suppressed && matches!(trace.outcome, Outcome::Returned(_))
    };
    check(
        &program,
        predicate,
        expect![[r#"
        class M0:
            def __init__(self):
                on_init('M0')
            def __enter__(self):
                on_enter('M0')
                return self
            def __exit__(self, t, v, tb):
                on_exit('M0', t, v, tb)
                return suppress_if(t, (E1,))

        def main():
            with M0():
                raise E1('r7')
    "#]],
        expect!["32 attempts, 17 accepted"],
    );
}

#[test]
fn the_outcome_of_a_protocol_error_is_kept() {
    check(
        &big_program(),
        |p| raises(p, "TypeError"),
        expect![[r#"
        class M0:
            def __init__(self):
                on_init('M0')
            def __enter__(self):
                on_enter('M0')
                return self
            def __exit__(self, t, v, tb):
                on_exit('M0', t, v, tb)
                raise TypeError('r2')

        def main():
            with M0():
                pass
    "#]],
        expect!["17 attempts, 9 accepted"],
    );
}

#[test]
fn max_attempts_is_respected() {
    for max in [0, 1, 5, 20] {
        let r = run(&big_program(), max, &never, |p| exit_sees(p, "TypeError"));
        assert_eq!(r.calls, max);
        assert!(!r.reduced.complete);
    }
}

#[test]
fn should_stop_is_asked_between_attempts() {
    let asked = Cell::new(0u64);
    let stop = || {
        asked.set(asked.get() + 1);
        asked.get() > 7
    };
    let r = run(&big_program(), u64::MAX, &stop, |p| exit_sees(p, "TypeError"));
    assert_eq!(r.calls, 7);
    assert!(!r.reduced.complete);
    assert!(!r.progress.is_empty());
    assert!(size(&r.reduced.program) < size(&big_program()));
}

#[test]
fn an_uninteresting_world_changes_nothing() {
    let program = big_program();
    let r = run(&program, u64::MAX, &never, |p| p == &program);
    assert!(r.reduced.complete);
    assert_eq!(r.reduced.accepted, 0);
    assert_eq!(r.reduced.program, program);
}

#[test]
fn names_bound_by_with_and_except_are_dropped_with_their_binders() {
    // Keeping `show('y', y)` requires keeping the `with` that binds `y`; keeping `raise e_h8`
    // requires the handler that binds `e_h8`.
    check(
        &big_program(),
        |p| {
            let text = render::body(p);
            text.contains("show('y', y)") && text.contains("raise e_h8")
        },
        expect![[r#"
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
                try:
                    with M0() as y:
                        show('y', y)
                except E1 as e_h8:
                    handler('h8')
                    raise e_h8
        "#]],
        expect!["39 attempts, 16 accepted"],
    );
}

// ---- async ----

fn async_with(items: Vec<WithItem>, body: Vec<Stmt>) -> Stmt {
    Stmt::With { parens: Parens::No, is_async: true, items, body }
}

fn async_def(suspend: Option<&str>, action: Action) -> Method {
    Method::AsyncDef { suspend: suspend.map(str::to_string), action }
}

fn aw(label: &str, suspend: bool, then: AwaitThen) -> Value {
    Value::Awaitable { label: label.to_string(), suspend, then: Box::new(then), coroutine: false }
}

/// An `async def main` with managers that use every kind of async method, and one that has
/// async methods but is only used by a plain `with`.
fn async_program() -> Program {
    let managers = vec![
        Manager {
            init_raises: None,
            enter: Method::Defined(Action::ReturnSelf),
            exit: Method::Defined(Action::Return(Value::None)),
            aenter: async_def(Some("s1"), Action::ReturnSelf),
            aexit: async_def(None, Action::SuppressIf(vec![ExcClass::KeyError, ExcClass::E2])),
            base: None,
        },
        Manager {
            init_raises: None,
            enter: Method::Missing,
            exit: Method::Missing,
            aenter: Method::Defined(Action::Return(aw("a2", true, AwaitThen::Return(Value::Int(3))))),
            aexit: async_def(Some("s3"), Action::Return(Value::None)),
            base: None,
        },
        Manager {
            init_raises: None,
            enter: Method::Defined(Action::ReturnSelf),
            exit: Method::Defined(Action::Return(Value::None)),
            aenter: async_def(Some("s4"), Action::ReturnSelf),
            aexit: Method::WrongArity,
            base: None,
        },
        Manager {
            init_raises: None,
            enter: Method::Missing,
            exit: Method::Missing,
            aenter: Method::Defined(Action::Return(Value::BadAwaitable)),
            aexit: async_def(None, Action::Return(Value::Bool(true))),
            base: None,
        },
    ];
    let main = vec![
        log("L5"),
        async_with(
            vec![item(0, name("x")), item(1, name("y"))],
            vec![
                show("x"),
                Stmt::Await("s6".to_string()),
                show("y"),
                with(vec![item(2, Target::None)], vec![raise(ExcClass::KeyError, "r7")]),
            ],
        ),
        Stmt::Await("s8".to_string()),
        try_(
            vec![async_with(vec![item(3, Target::None)], vec![log("L9")])],
            vec![handler("h10", Some(ExcClass::TypeError), false, vec![])],
            vec![],
            None,
        ),
        Stmt::Return { label: "v11".to_string(), value: aw("a12", true, AwaitThen::Raise(ExcClass::E1)) },
    ];
    let program = Program { managers, main, gens: vec![], cms: vec![], is_async: true, decos: Vec::new() };
    assert_eq!(validate(&program), vec![]);
    program
}

fn aexit_sees(program: &Program, ty: &str) -> bool {
    predict(program, Profile::CPYTHON_3_11).trace.events.iter().any(|e| match e {
        Event::Exit { is_async: true, exc: Some(x), .. } => x.ty == ty,
        _ => false,
    })
}

fn suspends_on(program: &Program, label: &str) -> bool {
    let trace = predict(program, Profile::CPYTHON_3_11).trace;
    trace.events.iter().any(|e| matches!(e, Event::Suspend { label: l } if l == label))
}

#[test]
fn an_aexit_that_sees_an_exception_keeps_plain_async_methods() {
    check(
        &async_program(),
        |p| aexit_sees(p, "KeyError"),
        expect![[r#"
            class M0:
                def __init__(self):
                    on_init('M0')
                async def __aenter__(self):
                    on_aenter('M0')
                    return self
                async def __aexit__(self, t, v, tb):
                    on_aexit('M0', t, v, tb)
                    return None

            async def main():
                async with M0():
                    raise KeyError('r7')
        "#]],
        expect!["29 attempts, 14 accepted"],
    );
}

#[test]
fn an_async_main_with_nothing_async_left_becomes_sync() {
    let logs_l5 = |p: &Program| {
        let trace = predict(p, Profile::CPYTHON_3_11).trace;
        trace.events.iter().any(|e| matches!(e, Event::Log { label, .. } if label == "L5"))
    };
    check(
        &async_program(),
        logs_l5,
        expect![[r#"
        def main():
            log('L5')
    "#]],
        expect!["8 attempts, 5 accepted"],
    );
}

#[test]
fn a_plain_def_aenter_is_kept_when_what_it_returns_matters() {
    // Only `def __aenter__` returning the awaitable suspends on `a2`: an `async def` returning it
    // would hand the awaitable itself to the target, unawaited.
    check(
        &async_program(),
        |p| suspends_on(p, "a2"),
        expect![[r#"
        class M0:
            def __init__(self):
                on_init('M0')
            def __aenter__(self):
                on_aenter('M0')
                return Aw('a2', True, None)
            async def __aexit__(self, t, v, tb):
                on_aexit('M0', t, v, tb)
                return None

        async def main():
            async with M0():
                pass
    "#]],
        expect!["34 attempts, 12 accepted"],
    );
}

#[test]
fn a_suspension_in_an_async_method_is_kept_when_it_matters() {
    check(
        &async_program(),
        |p| suspends_on(p, "s3"),
        expect![[r#"
        class M0:
            def __init__(self):
                on_init('M0')
            async def __aenter__(self):
                on_aenter('M0')
                return self
            async def __aexit__(self, t, v, tb):
                on_aexit('M0', t, v, tb)
                await Aw('s3', True, None)
                return None

        async def main():
            async with M0():
                pass
    "#]],
        expect!["20 attempts, 11 accepted"],
    );
}

#[test]
fn a_type_error_from_what_aenter_returns_is_kept() {
    check(
        &async_program(),
        |p| {
            let trace = predict(p, Profile::CPYTHON_3_11).trace;
            trace.events.iter().any(|e| matches!(e, Event::Handler { exc, .. } if exc.exc.ty == "TypeError"))
        },
        expect![[r#"
            class M0:
                def __init__(self):
                    on_init('M0')
                def __aenter__(self):
                    on_aenter('M0')
                    return None
                async def __aexit__(self, t, v, tb):
                    on_aexit('M0', t, v, tb)
                    return None

            async def main():
                try:
                    async with M0():
                        pass
                except:
                    handler('h10')
        "#]],
        expect!["23 attempts, 10 accepted"],
    );
}

#[test]
fn methods_of_a_protocol_a_manager_is_not_used_with_are_dropped() {
    // M2 has async methods but only a plain `with` uses it.
    let sync_exit_sees_key_error = |p: &Program| {
        predict(p, Profile::CPYTHON_3_11).trace.events.iter().any(|e| match e {
            Event::Exit { is_async: false, exc: Some(x), .. } => x.ty == "KeyError",
            _ => false,
        })
    };
    check(
        &async_program(),
        sync_exit_sees_key_error,
        expect![[r#"
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
            with M0():
                raise KeyError('r7')
    "#]],
        expect!["25 attempts, 10 accepted"],
    );
}

#[test]
fn a_def_aenter_becomes_an_async_def() {
    let program = Program {
        managers: vec![Manager {
            init_raises: None,
            enter: Method::Missing,
            exit: Method::Missing,
            aenter: Method::Defined(Action::Return(aw("a1", true, AwaitThen::Return(Value::Int(3))))),
            aexit: async_def(Some("s2"), Action::Return(Value::None)),
            base: None,
        }],
        main: vec![async_with(vec![item(0, name("x"))], vec![show("x"), raise(ExcClass::KeyError, "r3")])],
        gens: vec![],
        cms: vec![],
        is_async: true,
        decos: Vec::new(),
    };
    check(
        &program,
        |p| aexit_sees(p, "KeyError"),
        expect![[r#"
        class M0:
            def __init__(self):
                on_init('M0')
            async def __aenter__(self):
                on_aenter('M0')
                return self
            async def __aexit__(self, t, v, tb):
                on_aexit('M0', t, v, tb)
                return None

        async def main():
            async with M0():
                raise KeyError('r3')
    "#]],
        expect!["13 attempts, 4 accepted"],
    );
}

// ---- generator functions ----

#[test]
fn a_throw_into_a_generator_keeps_the_generator_and_its_with() {
    let drive = |label: &str, gen, how| Stmt::Drive { label: label.to_string(), gen, how, then: None };
    let yield_ = |label: &str| Stmt::Yield(label.to_string());
    let program = Program {
        managers: vec![plain_manager(), plain_manager()],
        cms: vec![],
        gens: vec![
            GenFn { is_async: false, body: vec![yield_("y1"), with(vec![item(1, Target::None)], vec![yield_("y2")])] },
            GenFn {
                is_async: false,
                body: vec![
                    log("L3"),
                    with(vec![item(0, name("x"))], vec![yield_("y4"), show("x"), yield_("y5"), yield_("y6")]),
                    yield_("y7"),
                ],
            },
        ],
        main: vec![
            drive("d8", 0, Drive::Close(2)),
            log("L9"),
            drive("d10", 1, Drive::Throw(3, Thrown::New(exc(ExcClass::KeyError, "r11")))),
            drive("d12", 1, Drive::Exhaust),
        ],
        is_async: false,
        decos: Vec::new(),
    };
    assert_eq!(validate(&program), vec![]);
    check(
        &program,
        |p| exit_sees(p, "KeyError"),
        expect![[r#"
        class M0:
            def __init__(self):
                on_init('M0')
            def __enter__(self):
                on_enter('M0')
                return self
            def __exit__(self, t, v, tb):
                on_exit('M0', t, v, tb)
                return None

        def g0():
            with M0():
                yield 'y6'

        def main():
            drive('d10', g0(), 'throw', 1, KeyError('r11'))
    "#]],
        expect!["33 attempts, 13 accepted"],
    );
}

// ---- contextlib ----

fn cm(
    pre: Vec<Stmt>,
    yields: Option<Value>,
    handler: Option<Handler>,
    finally: Option<(&str, Vec<Stmt>)>,
    post: Vec<Stmt>,
) -> CmGen {
    CmGen {
        is_async: false,
        params: Vec::new(),
        pre,
        yields,
        handler,
        finally: finally.map(|(l, b)| (l.to_string(), b)),
        post,
    }
}

fn with_expr(expr: ItemExpr, target: Target) -> WithItem {
    WithItem { expr, target }
}

/// Three `@contextmanager` functions (the second is the one that matters, the third is unused)
/// and every contextlib item.
fn contextlib_program() -> Program {
    let cms = vec![
        cm(vec![log("L1")], Some(Value::None), None, None, vec![]),
        cm(
            vec![log("L2"), with(vec![item(0, name("m"))], vec![show("m")])],
            Some(Value::Tuple(vec![Value::Int(1), Value::Str("abc".to_string())])),
            Some(handler("h3", Some(ExcClass::KeyError), true, vec![log("L4")])),
            Some(("f5", vec![log("L6")])),
            vec![log("L7"), Stmt::Yield("y8".to_string()), log("L9")],
        ),
        cm(vec![], None, None, None, vec![]),
    ];
    let main = vec![
        with(vec![with_expr(ItemExpr::Cm(0, Vec::new()), name("a"))], vec![show("a")]),
        with(
            vec![
                with_expr(
                    ItemExpr::Nullcontext(Value::BoolObj { label: "b10".to_string(), result: BoolResult::Bool(true) }),
                    name("n"),
                ),
                with_expr(ItemExpr::Suppress(vec![ExcClass::ValueError, ExcClass::TypeError]), Target::None),
                with_expr(
                    ItemExpr::Closing { label: "k11".to_string(), raises: Some(ExcClass::KeyboardInterrupt) },
                    Target::None,
                ),
            ],
            vec![
                show("n"),
                with(
                    vec![with_expr(ItemExpr::Cm(1, Vec::new()), name("x")), item(0, Target::None)],
                    vec![show("x"), raise(ExcClass::KeyError, "r12")],
                ),
            ],
        ),
    ];
    let program =
        Program { managers: vec![plain_manager()], gens: vec![], cms, main, is_async: false, decos: Vec::new() };
    assert_eq!(validate(&program), vec![]);
    program
}

/// Whether `main()` ended with contextlib's "generator didn't stop after throw()" anywhere in
/// the chain of what it raised.
fn didnt_stop_after_throw(program: &Program) -> bool {
    match predict(program, Profile::CPYTHON_3_11).trace.outcome {
        Outcome::Raised(chain) => {
            chain.iter().any(|d| d.exc.msg.as_deref() == Some("generator didn't stop after throw()"))
        }
        _ => false,
    }
}

#[test]
fn a_contextmanager_that_yields_again_after_a_throw_keeps_its_handler_and_second_yield() {
    let program = contextlib_program();
    assert!(render::body(&program).contains("closing(Closer('k11', KeyboardInterrupt))"));
    check(
        &program,
        didnt_stop_after_throw,
        expect![[r#"
            @contextmanager
            def c0():
                try:
                    yield None
                except:
                    handler('h3')
                yield 'y8'

            def main():
                with c0():
                    raise E1('r12')
        "#]],
        expect!["40 attempts, 21 accepted"],
    );
}

#[test]
fn contextlib_items_are_simplified_in_place() {
    // What must stay: an exception is raised and suppressed, the closer runs, and the value
    // bound by nullcontext is shown.
    let program = contextlib_program();
    let keeps = |p: &Program| {
        let trace = predict(p, Profile::CPYTHON_3_11).trace;
        trace.outcome == Outcome::Returned("None".to_string())
            && render::body(p).contains("raise")
            && trace.events.iter().any(|e| matches!(e, Event::Close { label } if label == "k11"))
            && trace.events.iter().any(|e| matches!(e, Event::Var { name, .. } if name == "n"))
    };
    let mut start = program.clone();
    let Stmt::With { items, .. } = &mut start.main[1] else { unreachable!() };
    items[1].expr = ItemExpr::Suppress(vec![ExcClass::ValueError, ExcClass::KeyError, ExcClass::RuntimeError]);
    items[2].expr = ItemExpr::Closing { label: "k11".to_string(), raises: None };
    start.cms[1].post.retain(|s| !matches!(s, Stmt::Yield(_)));
    assert_eq!(validate(&start), vec![]);
    check(
        &start,
        keeps,
        expect![[r#"
            def main():
                with nullcontext(None) as n, suppress(E1), closing(Closer('k11', None)):
                    show('n', n)
                    raise E1('r12')
        "#]],
        expect!["38 attempts, 17 accepted"],
    );
}

#[test]
fn a_contextmanager_that_never_yields_is_smaller_than_one_that_does() {
    let mut program = contextlib_program();
    let yields = size(&program);
    program.cms[1] = cm(vec![log("L2")], None, None, None, vec![]);
    assert!(size(&program) < yields);
    // Any RuntimeError will do: "generator didn't yield" is the smallest way to get one. The
    // unused functions go, and the one left is renumbered.
    let runtime_error = |p: &Program| match predict(p, Profile::CPYTHON_3_11).trace.outcome {
        Outcome::Raised(chain) => chain.iter().any(|d| d.exc.ty == "RuntimeError"),
        _ => false,
    };
    check(
        &contextlib_program(),
        runtime_error,
        expect![[r#"
            @contextmanager
            def c0():
                return
                yield  # unreachable: it makes c() a generator function

            def main():
                with c0():
                    pass
        "#]],
        expect!["26 attempts, 18 accepted"],
    );
}

// ---- async generators, @asynccontextmanager, exit stacks, stepping ----

fn async_manager() -> Manager {
    Manager {
        init_raises: None,
        enter: Method::Defined(Action::ReturnSelf),
        exit: Method::Defined(Action::Return(Value::None)),
        aenter: async_def(None, Action::ReturnSelf),
        aexit: async_def(None, Action::Return(Value::None)),
        base: None,
    }
}

fn stack(st: &str, op: StackOp) -> Stmt {
    Stmt::Stack { stack: st.to_string(), op }
}

fn step(label: &str, var: &str, k: u8, is_async: bool) -> Stmt {
    Stmt::Step { label: label.to_string(), var: var.to_string(), k, is_async }
}

fn events(program: &Program) -> Vec<Event> {
    predict(program, Profile::CPYTHON_3_11).trace.events
}

#[test]
fn async_forms_weigh_more_than_their_sync_forms() {
    let gen_program = |is_async| Program {
        managers: vec![],
        gens: vec![GenFn { is_async, body: vec![Stmt::Yield("y1".to_string())] }],
        cms: vec![],
        main: vec![Stmt::Drive { label: "d2".to_string(), gen: 0, how: Drive::Exhaust, then: None }],
        is_async: true,
        decos: Vec::new(),
    };
    assert!(size(&gen_program(false)) < size(&gen_program(true)));
    let cm_program = |is_async| Program {
        managers: vec![],
        gens: vec![],
        cms: vec![CmGen { is_async, ..cm(vec![], Some(Value::None), None, None, vec![]) }],
        main: vec![Stmt::With {
            parens: Parens::No,
            is_async,
            items: vec![with_expr(ItemExpr::Cm(0, Vec::new()), Target::None)],
            body: vec![],
        }],
        is_async: true,
        decos: Vec::new(),
    };
    assert!(size(&cm_program(false)) < size(&cm_program(true)));
    let value_program = |coroutine| Program {
        managers: vec![],
        gens: vec![],
        cms: vec![],
        main: vec![Stmt::Return {
            label: "v1".to_string(),
            value: Value::Awaitable {
                label: "a2".to_string(),
                suspend: false,
                then: Box::new(AwaitThen::Return(Value::None)),
                coroutine,
            },
        }],
        is_async: false,
        decos: Vec::new(),
    };
    assert!(size(&value_program(false)) < size(&value_program(true)));
    let stack_program = |is_async| {
        let ops = vec![
            StackOp::Enter { expr: ItemExpr::New(0), is_async, target: None },
            StackOp::Push { expr: ItemExpr::New(0), is_async },
            StackOp::Callback { label: "k1".to_string(), raises: None, is_async },
            StackOp::PushFn(ExitFn {
                label: "x2".to_string(),
                is_async,
                suspend: false,
                result: ExitFnResult::Return(Value::None),
            }),
            StackOp::Close { is_async },
        ];
        Program {
            managers: vec![async_manager()],
            gens: vec![],
            cms: vec![],
            main: vec![Stmt::With {
                parens: Parens::No,
                is_async,
                items: vec![with_expr(ItemExpr::ExitStack { is_async }, name("st"))],
                body: ops.into_iter().map(|op| stack("st", op)).collect(),
            }],
            is_async: true,
            decos: Vec::new(),
        }
    };
    assert_eq!(validate(&stack_program(true)), vec![]);
    assert_eq!(validate(&stack_program(false)), vec![]);
    // `async with`, `AsyncExitStack()` and each of the five awaited operations weigh one more.
    assert_eq!(size(&stack_program(false)) + 7, size(&stack_program(true)));
}

#[test]
fn an_async_generator_whose_asyncness_does_not_matter_becomes_sync() {
    // Only the yield of y2 and the KeyError matter: the generator, its aclosing, the step and
    // main all become sync.
    let program = Program {
        managers: vec![],
        gens: vec![GenFn {
            is_async: true,
            body: vec![log("L1"), Stmt::Yield("y2".to_string()), Stmt::Yield("y3".to_string())],
        }],
        cms: vec![],
        main: vec![
            Stmt::Drive { label: "d4".to_string(), gen: 0, how: Drive::Close(2), then: None },
            async_with(
                vec![with_expr(ItemExpr::ClosingGen { gen: 0, is_async: true }, name("a"))],
                vec![step("d5", "a", 3, true), raise(ExcClass::KeyError, "r6")],
            ),
        ],
        is_async: true,
        decos: Vec::new(),
    };
    assert_eq!(validate(&program), vec![]);
    let yields_y2_then_key_error = |p: &Program| {
        raises(p, "KeyError")
            && events(p).iter().any(|e| matches!(e, Event::GenYield { value, .. } if value.contains("y2")))
    };
    check(
        &program,
        yields_y2_then_key_error,
        expect![[r#"
            def g0():
                yield 'y2'

            def main():
                with closing(g0()) as a:
                    step('d5', a, 1)
                    raise KeyError('r6')
        "#]],
        expect!["31 attempts, 6 accepted"],
    );
}

#[test]
fn an_aclosing_is_kept_when_the_generator_awaits() {
    // The suspension inside the generator matters, so it stays an async generator stepped by
    // `await astep` under `aclosing`, whose close runs the finally.
    let program = Program {
        managers: vec![async_manager()],
        gens: vec![GenFn {
            is_async: true,
            body: vec![try_(
                vec![
                    Stmt::Yield("y1".to_string()),
                    Stmt::Await("s2".to_string()),
                    Stmt::Yield("y3".to_string()),
                    Stmt::Yield("y4".to_string()),
                ],
                vec![],
                vec![],
                Some(("f5", vec![log("L6")])),
            )],
        }],
        cms: vec![],
        main: vec![
            log("L7"),
            async_with(
                vec![item(0, Target::None), with_expr(ItemExpr::ClosingGen { gen: 0, is_async: true }, name("a"))],
                vec![step("d8", "a", 3, true), log("L9")],
            ),
        ],
        is_async: true,
        decos: Vec::new(),
    };
    assert_eq!(validate(&program), vec![]);
    let suspends_then_finally = |p: &Program| {
        let events = events(p);
        let suspend = events.iter().position(|e| matches!(e, Event::Suspend { label } if label == "s2"));
        let fin = events.iter().position(|e| matches!(e, Event::Finally { label, .. } if label == "f5"));
        matches!((suspend, fin), (Some(s), Some(f)) if s < f)
    };
    check(
        &program,
        suspends_then_finally,
        expect![[r#"
            async def g0():
                try:
                    yield 'y1'
                    await Aw('s2', True, None)
                finally:
                    fin('f5')

            async def main():
                async with aclosing(g0()) as a:
                    await astep('d8', a, 2)
        "#]],
        expect!["25 attempts, 7 accepted"],
    );
}

/// An `AsyncExitStack` holding one of each operation.
fn async_stack_program() -> Program {
    let program = Program {
        managers: vec![async_manager()],
        gens: vec![],
        cms: vec![],
        main: vec![
            log("L1"),
            async_with(
                vec![with_expr(ItemExpr::ExitStack { is_async: true }, name("st"))],
                vec![
                    stack("st", StackOp::Enter { expr: ItemExpr::New(0), is_async: true, target: None }),
                    stack(
                        "st",
                        StackOp::Enter { expr: ItemExpr::New(0), is_async: true, target: Some("x".to_string()) },
                    ),
                    show("x"),
                    stack(
                        "st",
                        StackOp::PushFn(ExitFn {
                            label: "x2".to_string(),
                            is_async: true,
                            suspend: true,
                            result: ExitFnResult::Return(Value::BoolObj {
                                label: "b3".to_string(),
                                result: BoolResult::Bool(false),
                            }),
                        }),
                    ),
                    stack(
                        "st",
                        StackOp::Callback { label: "k4".to_string(), raises: Some(ExcClass::KeyError), is_async: true },
                    ),
                    stack("st", StackOp::Push { expr: ItemExpr::New(0), is_async: true }),
                    stack(
                        "st",
                        StackOp::PushFn(ExitFn {
                            label: "x5".to_string(),
                            is_async: false,
                            suspend: false,
                            result: ExitFnResult::Raise(ExcClass::ValueError),
                        }),
                    ),
                    log("L6"),
                ],
            ),
        ],
        is_async: true,
        decos: Vec::new(),
    };
    assert_eq!(validate(&program), vec![]);
    program
}

#[test]
fn an_async_exit_stack_whose_asyncness_does_not_matter_becomes_an_exit_stack() {
    // What matters: the callback k4 runs and an exit function then sees a KeyError.
    let callback_then_key_error = |p: &Program| {
        let events = events(p);
        let callback = events.iter().position(|e| matches!(e, Event::Callback { label, .. } if label == "k4"));
        let call = events.iter().position(|e| matches!(e, Event::Call { exc: Some(x), .. } if x.ty == "KeyError"));
        matches!((callback, call), (Some(k), Some(c)) if k < c)
    };
    check(
        &async_stack_program(),
        callback_then_key_error,
        expect![[r#"
            def main():
                with ExitStack() as st:
                    st.push(Xf('x2', None))
                    st.callback(cb, 'k4', KeyError)
        "#]],
        expect!["38 attempts, 12 accepted"],
    );
}

#[test]
fn an_awaited_exit_function_is_kept_when_its_suspension_matters() {
    check(
        &async_stack_program(),
        |p| suspends_on(p, "x2"),
        expect![[r#"
            async def main():
                async with AsyncExitStack() as st:
                    st.push_async_exit(AXf('x2', True, None))
        "#]],
        expect!["27 attempts, 10 accepted"],
    );
}

#[test]
fn a_coroutine_becomes_an_awaitable_unless_its_stop_iteration_boundary_matters() {
    let program = |then: AwaitThen| Program {
        managers: vec![Manager {
            init_raises: None,
            enter: Method::Missing,
            exit: Method::Missing,
            aenter: Method::Defined(Action::Return(Value::Awaitable {
                label: "a1".to_string(),
                suspend: true,
                then: Box::new(then),
                coroutine: true,
            })),
            aexit: async_def(None, Action::Return(Value::None)),
            base: None,
        }],
        gens: vec![],
        cms: vec![],
        main: vec![async_with(vec![item(0, Target::None)], vec![log("L2")])],
        is_async: true,
        decos: Vec::new(),
    };
    check(
        &program(AwaitThen::Return(Value::Int(3))),
        |p| suspends_on(p, "a1"),
        expect![[r#"
            class M0:
                def __init__(self):
                    on_init('M0')
                def __aenter__(self):
                    on_aenter('M0')
                    return Aw('a1', True, None)
                async def __aexit__(self, t, v, tb):
                    on_aexit('M0', t, v, tb)
                    return None

            async def main():
                async with M0():
                    pass
        "#]],
        expect!["14 attempts, 3 accepted"],
    );
    // A StopIteration raised in a coroutine becomes "coroutine raised StopIteration"; in an `Aw`,
    // whose `__await__` is a generator, "generator raised StopIteration".
    let coroutine_boundary = |p: &Program| match predict(p, Profile::CPYTHON_3_11).trace.outcome {
        Outcome::Raised(chain) => chain[0].exc.msg.as_deref() == Some("coroutine raised StopIteration"),
        _ => false,
    };
    check(
        &program(AwaitThen::Raise(ExcClass::StopIteration)),
        coroutine_boundary,
        expect![[r#"
            class M0:
                def __init__(self):
                    on_init('M0')
                def __aenter__(self):
                    on_aenter('M0')
                    return co('a1', False, StopIteration)
                async def __aexit__(self, t, v, tb):
                    on_aexit('M0', t, v, tb)
                    return None

            async def main():
                async with M0():
                    pass
        "#]],
        expect!["20 attempts, 2 accepted"],
    );
}

#[test]
fn an_asynccontextmanager_entered_again_through_its_name_keeps_the_assignment_and_becomes_sync() {
    let program = Program {
        managers: vec![async_manager()],
        gens: vec![],
        cms: vec![CmGen { is_async: true, ..cm(vec![log("L1")], Some(Value::Int(2)), None, None, vec![]) }],
        main: vec![
            Stmt::Assign { name: "m1".to_string(), expr: ItemExpr::Cm(0, Vec::new()) },
            Stmt::Assign { name: "m2".to_string(), expr: ItemExpr::New(0) },
            async_with(
                vec![
                    with_expr(ItemExpr::Var("m1".to_string()), name("a")),
                    with_expr(ItemExpr::Var("m2".to_string()), Target::None),
                ],
                vec![show("a"), log("L3")],
            ),
            async_with(vec![with_expr(ItemExpr::Var("m1".to_string()), Target::None)], vec![log("L4")]),
        ],
        is_async: true,
        decos: Vec::new(),
    };
    assert_eq!(validate(&program), vec![]);
    // Entering a @contextmanager object a second time fails, whatever else happens.
    let second_entry_fails = |p: &Program| raises(p, "AttributeError");
    assert!(second_entry_fails(&program));
    check(
        &program,
        second_entry_fails,
        expect![[r#"
            @contextmanager
            def c0():
                yield None

            def main():
                m1 = c0()
                with m1:
                    pass
                with m1:
                    pass
        "#]],
        expect!["23 attempts, 10 accepted"],
    );
}

#[test]
fn repair_drops_what_names_a_binding_an_edit_removed() {
    // As left by edits: the stack's `with` unwrapped, the binding `m1 = c0()` deleted, the target
    // of `x = st.enter_context(...)` dropped, a step nested one block too deep.
    let program = Program {
        managers: vec![plain_manager()],
        gens: vec![GenFn { is_async: false, body: vec![Stmt::Yield("y1".to_string())] }],
        cms: vec![cm(vec![], Some(Value::None), None, None, vec![])],
        main: vec![
            stack("st", StackOp::Close { is_async: false }),
            Stmt::Assign { name: "s2".to_string(), expr: ItemExpr::PopAll("st".to_string()) },
            with(vec![with_expr(ItemExpr::Var("m1".to_string()), name("a")), item(0, Target::None)], vec![show("a")]),
            with(vec![with_expr(ItemExpr::Var("m1".to_string()), Target::None)], vec![log("L2"), show("m1")]),
            with(
                vec![with_expr(ItemExpr::ExitStack { is_async: false }, name("st"))],
                vec![
                    stack("st", StackOp::Enter { expr: ItemExpr::Cm(0, Vec::new()), is_async: false, target: None }),
                    show("x"),
                    Stmt::Assign { name: "s3".to_string(), expr: ItemExpr::PopAll("st".to_string()) },
                    with(
                        vec![with_expr(ItemExpr::Var("s3".to_string()), name("s4"))],
                        vec![stack("s4", StackOp::Close { is_async: false })],
                    ),
                ],
            ),
            with(
                vec![with_expr(ItemExpr::ClosingGen { gen: 0, is_async: false }, name("g"))],
                vec![step("d3", "g", 1, false), Stmt::Loop { times: 1, body: vec![step("d4", "g", 1, false)] }],
            ),
        ],
        is_async: false,
        decos: Vec::new(),
    };
    assert_ne!(validate(&program), vec![]);
    let mut repaired = program.clone();
    super::repair(&mut repaired);
    assert_eq!(validate(&repaired), vec![]);
    expect![[r#"
        class M0:
            def __init__(self):
                on_init('M0')
            def __enter__(self):
                on_enter('M0')
                return self
            def __exit__(self, t, v, tb):
                on_exit('M0', t, v, tb)
                return None

        @contextmanager
        def c0():
            yield None

        def g0():
            yield 'y1'

        def main():
            with M0():
                pass
            log('L2')
            with ExitStack() as st:
                st.enter_context(c0())
                s3 = st.pop_all()
                with s3 as s4:
                    s4.close()
            with closing(g0()) as g:
                step('d3', g, 1)
                for _ in range(1):
                    pass
    "#]]
    .assert_eq(&render::body(&repaired));
}

/// A program with every async generator, contextlib and exit stack construct.
fn every_construct_program() -> Program {
    let exit_fn = |label: &str, is_async, suspend, result| {
        StackOp::PushFn(ExitFn { label: label.to_string(), is_async, suspend, result })
    };
    let coroutine = |label: &str, then| Value::Awaitable {
        label: label.to_string(),
        suspend: true,
        then: Box::new(then),
        coroutine: true,
    };
    let program = Program {
        managers: vec![async_manager(), plain_manager()],
        gens: vec![
            GenFn {
                is_async: true,
                body: vec![
                    Stmt::Await("s1".to_string()),
                    Stmt::Yield("y2".to_string()),
                    async_with(vec![item(0, Target::None)], vec![Stmt::Yield("y3".to_string())]),
                ],
            },
            GenFn { is_async: false, body: vec![Stmt::Yield("y4".to_string()), Stmt::Yield("y5".to_string())] },
        ],
        cms: vec![
            CmGen {
                is_async: true,
                ..cm(
                    vec![Stmt::Await("s6".to_string())],
                    Some(coroutine("a7", AwaitThen::Return(Value::Int(1)))),
                    Some(handler("h8", Some(ExcClass::S2), true, vec![Stmt::RaiseCaught("h8".to_string())])),
                    None,
                    vec![],
                )
            },
            cm(vec![log("L9")], Some(Value::None), None, Some(("f10", vec![])), vec![]),
        ],
        main: vec![
            Stmt::Assign { name: "m1".to_string(), expr: ItemExpr::Cm(1, Vec::new()) },
            Stmt::Assign { name: "m2".to_string(), expr: ItemExpr::New(0) },
            async_with(
                vec![with_expr(ItemExpr::ExitStack { is_async: true }, name("st")), item(1, name("b"))],
                vec![
                    stack(
                        "st",
                        StackOp::Enter {
                            expr: ItemExpr::Cm(0, Vec::new()),
                            is_async: true,
                            target: Some("x".to_string()),
                        },
                    ),
                    show("x"),
                    stack(
                        "st",
                        StackOp::Enter { expr: ItemExpr::Var("m1".to_string()), is_async: false, target: None },
                    ),
                    stack("st", StackOp::Push { expr: ItemExpr::Var("m2".to_string()), is_async: true }),
                    stack("st", exit_fn("x11", true, true, ExitFnResult::Raise(ExcClass::NameError))),
                    stack(
                        "st",
                        exit_fn(
                            "x12",
                            false,
                            false,
                            ExitFnResult::Return(Value::LenObj { label: "n13".to_string(), len: 2 }),
                        ),
                    ),
                    stack(
                        "st",
                        StackOp::Callback { label: "k14".to_string(), raises: Some(ExcClass::S1), is_async: true },
                    ),
                    stack("st", StackOp::Callback { label: "k15".to_string(), raises: None, is_async: false }),
                    Stmt::Assign { name: "s2".to_string(), expr: ItemExpr::PopAll("st".to_string()) },
                    async_with(
                        vec![with_expr(ItemExpr::Var("s2".to_string()), name("s3"))],
                        vec![stack("s3", StackOp::Close { is_async: true })],
                    ),
                    Stmt::Drive {
                        label: "d16".to_string(),
                        gen: 0,
                        how: Drive::Throw(2, Thrown::New(exc(ExcClass::StopAsyncIteration, "r17"))),
                        then: None,
                    },
                    stack("st", StackOp::Close { is_async: true }),
                ],
            ),
            async_with(
                vec![with_expr(ItemExpr::ClosingGen { gen: 0, is_async: true }, name("a"))],
                vec![step("d18", "a", 4, true), log("L19")],
            ),
            with(
                vec![with_expr(ItemExpr::ClosingGen { gen: 1, is_async: false }, name("c"))],
                vec![step("d20", "c", 2, false)],
            ),
            Stmt::Return {
                label: "v21".to_string(),
                value: coroutine("a22", AwaitThen::Raise(ExcClass::StopAsyncIteration)),
            },
        ],
        is_async: true,
        decos: Vec::new(),
    };
    assert_eq!(validate(&program), vec![]);
    program
}

#[test]
fn every_candidate_of_every_construct_is_valid_and_smaller() {
    // `run` checks every candidate; pseudo-random verdicts reach edits in many orders.
    let program = every_construct_program();
    for seed in 0..16u64 {
        let verdict = |p: &Program| {
            let mut hasher = std::hash::DefaultHasher::new();
            std::hash::Hash::hash(&(seed, p), &mut hasher);
            p == &program || std::hash::Hasher::finish(&hasher) % 3 != 0
        };
        let r = run(&program, u64::MAX, &never, verdict);
        assert!(r.reduced.complete);
        assert!(size(&r.reduced.program) < size(&program));
    }
    let r = run(&program, u64::MAX, &never, |_| true);
    expect![[r#"
        def main():
            pass
    "#]]
    .assert_eq(&render::body(&r.reduced.program));
}

#[test]
fn a_program_at_the_nesting_limit_reduces_without_ever_nesting_deeper() {
    // `async def main` (1) and 16 `with`s around a `try` with a handler and a `finally` (3):
    // CPython's 20 blocks exactly.
    let t = try_(
        vec![raise(ExcClass::E1, "r1")],
        vec![handler("h1", Some(ExcClass::E1), false, vec![log("L1")])],
        vec![],
        Some(("f1", vec![log("L2")])),
    );
    let main = vec![(0..16).fold(t, |s, _| with(vec![item(0, Target::None)], vec![s]))];
    let program =
        Program { managers: vec![plain_manager()], gens: vec![], cms: vec![], main, is_async: true, decos: Vec::new() };
    assert_eq!(validate(&program), vec![]);
    let mut deeper = program.clone();
    deeper.main = vec![with(vec![item(0, Target::None)], deeper.main)];
    assert_ne!(validate(&deeper), vec![], "one more with is too deep");
    // `run` checks that every candidate validates, the nesting limit included.
    let r = run(&program, 10_000, &|| false, |p| render::body(p).contains("log('L1')"));
    assert!(r.reduced.complete);
    assert_eq!(r.reduced.program.main, vec![log("L1")]);
}

/// §16: a parameter goes with the argument that binds it at every call (by keyword or by
/// position), so that a bad call keeps only what makes it bad and a good one loses them all.
#[test]
fn parameters_go_with_their_arguments_and_a_bad_call_keeps_only_what_makes_it_bad() {
    let text = "\
@contextmanager
def c0(self, func, *, kwds):
    show('self', self)
    show('func', func)
    show('kwds', kwds)
    yield None

def main():
    with c0(1, 2, kwds=3):
        log('L1')
    with c0(4, func=5, kwds=6):
        log('L2')
    with c0(7, 8, 9, kwds=10):
        log('L3')
";
    let program = crate::parse::parse(text).unwrap_or_else(|d| panic!("{d:?}"));
    let too_many = |p: &Program| {
        matches!(predict(p, Profile::CPYTHON_3_11).trace.outcome,
            Outcome::Raised(chain) if chain[0].exc.msg.as_deref().is_some_and(|m| m.contains("positional argument")))
    };
    check(
        &program,
        too_many,
        expect![[r#"
            @contextmanager
            def c0():
                return
                yield  # unreachable: it makes c() a generator function

            def main():
                with c0(9):
                    pass
        "#]],
        expect!["14 attempts, 8 accepted"],
    );
}
