//! The model, rule by rule, on tiny programs written in the IR's text form.
//!
//! Each test pins the predicted trace with `expect!` AND, when `python3` is on PATH, runs the
//! same program on it and requires the very same trace: an expectation cannot merely echo the
//! model. `UPDATE_EXPECT=1 cargo test -p withstand-oracle model::tests` re-blesses from the model.

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use expect_test::{expect, Expect};

use crate::model::predict;
use crate::parse::parse;
use crate::profile::Profile;
use crate::render;
use crate::runner::{RunResult, Worker, WorkerConfig};

fn cpython() -> Option<&'static Mutex<Worker>> {
    static WORKER: OnceLock<Option<Mutex<Worker>>> = OnceLock::new();
    WORKER
        .get_or_init(|| {
            let config = WorkerConfig::new("python3", render::PRELUDE, Duration::from_secs(20));
            match Worker::spawn(&config) {
                Ok(w) if w.info().implementation == "cpython" && w.info().version.1 == 11 => Some(Mutex::new(w)),
                Ok(w) => {
                    eprintln!("model tests: python3 is {:?}, not CPython 3.11; not cross-checked", w.info());
                    None
                }
                Err(err) => {
                    eprintln!("model tests: skipped the CPython cross-check: {err}");
                    None
                }
            }
        })
        .as_ref()
}

fn check(text: &str, expected: Expect) {
    let program = parse(text).unwrap_or_else(|d| panic!("test program does not parse: {d:?}"));
    let trace = predict(&program, Profile::CPYTHON_3_11).trace;
    let lines = trace.lines().join("\n") + "\n";
    expected.assert_eq(&lines);
    cross_check(&program, &lines);
}

/// Requires CPython 3.11, when there is one, to produce exactly `lines` on `program`.
fn cross_check(program: &crate::ir::Program, lines: &str) {
    if let Some(worker) = cpython() {
        let mut worker = worker.lock().unwrap_or_else(|e| e.into_inner());
        match worker.run(&render::body(program)).expect("the worker runs") {
            RunResult::Completed(observed) => {
                let observed = observed.lines().join("\n") + "\n";
                assert_eq!(observed, lines, "CPython 3.11 disagrees with the expectation");
            }
            other => panic!("CPython failed on the test program: {other:?}"),
        }
    }
}

const PLAIN: &str = "
class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        return self
    def __exit__(self, t, v, tb):
        on_exit('M0', t, v, tb)
        return None
";

fn with_plain(main: &str) -> String {
    format!("{PLAIN}\n{main}")
}

#[test]
fn exit_gets_none_after_a_normal_body_and_its_result_is_ignored() {
    check(
        &with_plain("def main():\n    with M0() as x:\n        show('x', x)\n"),
        expect![[r#"
            M0.__init__
            M0.__enter__ exc_info=-
            var x = <M0>
            M0.__exit__ exc=- exc_info=-
            => return None
        "#]],
    );
}

#[test]
fn exit_gets_the_very_exception_and_exc_info_is_it() {
    check(
        &with_plain("def main():\n    with M0():\n        raise E1('r1')\n"),
        expect![[r#"
            M0.__init__
            M0.__enter__ exc_info=-
            M0.__exit__ exc=E1("r1")#1 exc_info=E1("r1")#1
            => raise E1("r1")#1
        "#]],
    );
}

#[test]
fn return_value_is_evaluated_before_exit() {
    check(
        &with_plain("def main():\n    with M0():\n        return ret('v1', 3)\n"),
        expect![[r#"
            M0.__init__
            M0.__enter__ exc_info=-
            evaluate return value v1
            M0.__exit__ exc=- exc_info=-
            => return 3
        "#]],
    );
}

#[test]
fn truthy_result_suppresses_and_bool_runs_once() {
    check(
        "
class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        return 1
    def __exit__(self, t, v, tb):
        on_exit('M0', t, v, tb)
        return Bool('b1', True)

def main():
    with M0():
        raise KeyError('r1')
    log('L2')
",
        expect![[r#"
            M0.__init__
            M0.__enter__ exc_info=-
            M0.__exit__ exc=KeyError("'r1'")#1 exc_info=KeyError("'r1'")#1
            b1.__bool__
            log L2 exc_info=-
            => return None
        "#]],
    );
}

#[test]
fn bool_returning_an_int_is_a_type_error_chained_to_the_original() {
    check(
        "
class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        return self
    def __exit__(self, t, v, tb):
        on_exit('M0', t, v, tb)
        return Bool('b1', 1)

def main():
    with M0():
        raise E2('r1')
",
        expect![[r#"
            M0.__init__
            M0.__enter__ exc_info=-
            M0.__exit__ exc=E2("r1")#1 exc_info=E2("r1")#1
            b1.__bool__
            => raise TypeError("__bool__ should return bool, returned int")#2 context=E2#1
               chain E2("r1")#1
        "#]],
    );
}

#[test]
fn exit_raising_on_the_exceptional_path_chains_the_original() {
    check(
        "
class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        return self
    def __exit__(self, t, v, tb):
        on_exit('M0', t, v, tb)
        raise E3('r2') from None

def main():
    with M0():
        raise E1('r1')
",
        expect![[r#"
            M0.__init__
            M0.__enter__ exc_info=-
            M0.__exit__ exc=E1("r1")#1 exc_info=E1("r1")#1
            => raise E3("r2")#2 context=E1#1 suppress_context
               chain E1("r1")#1
        "#]],
    );
}

#[test]
fn bare_raise_in_a_normal_path_exit_has_nothing_to_reraise() {
    check(
        "
class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        return self
    def __exit__(self, t, v, tb):
        on_exit('M0', t, v, tb)
        raise

def main():
    with M0():
        log('L1')
",
        expect![[r#"
            M0.__init__
            M0.__enter__ exc_info=-
            log L1 exc_info=-
            M0.__exit__ exc=- exc_info=-
            => raise RuntimeError("No active exception to reraise")#1
        "#]],
    );
}

#[test]
fn a_normal_path_exit_inside_a_handler_sees_the_handled_exception() {
    check(
        &with_plain(
            "def main():
    try:
        raise E1('r1')
    except E1:
        handler('h2')
        with M0():
            log('L3')
",
        ),
        expect![[r#"
            except h2 caught E1("r1")#1
            M0.__init__
            M0.__enter__ exc_info=E1("r1")#1
            log L3 exc_info=E1("r1")#1
            M0.__exit__ exc=- exc_info=E1("r1")#1
            => return None
        "#]],
    );
}

#[test]
fn enter_raising_skips_exit() {
    check(
        "
class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        raise ValueError('r1')
    def __exit__(self, t, v, tb):
        on_exit('M0', t, v, tb)
        return True

def main():
    with M0():
        log('L2')
",
        expect![[r#"
            M0.__init__
            M0.__enter__ exc_info=-
            => raise ValueError("r1")#1
        "#]],
    );
}

#[test]
fn unpacking_the_target_fails_inside_the_protected_region() {
    check(
        "
class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        return (1, 2, 3)
    def __exit__(self, t, v, tb):
        on_exit('M0', t, v, tb)
        return suppress_if(t, (ValueError,))

def main():
    with M0() as (a, b):
        log('L1')
    log('L2')
",
        expect![[r#"
            M0.__init__
            M0.__enter__ exc_info=-
            M0.__exit__ exc=ValueError("too many values to unpack (expected 2)")#1 exc_info=ValueError("too many values to unpack (expected 2)")#1
            log L2 exc_info=-
            => return None
        "#]],
    );
}

#[test]
fn protocol_errors_name_the_type_and_the_missing_method() {
    check(
        "
class M0:
    def __init__(self):
        on_init('M0')
        self.__exit__ = inst('M0', '__exit__')
    def __enter__(self):
        on_enter('M0')
        return self

def main():
    try:
        with M0():
            log('L1')
    except TypeError:
        handler('h2')
    with 1:
        pass
",
        expect![[r#"
            M0.__init__
            except h2 caught TypeError("'M0' object does not support the context manager protocol (missed __exit__ method)")#1
            => raise TypeError("'int' object does not support the context manager protocol")#2
        "#]],
    );
}

#[test]
fn none_methods_fail_when_called_exit_only_after_the_body() {
    check(
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
        raise E1('r1')
",
        expect![[r#"
            M0.__init__
            M0.__enter__ exc_info=-
            => raise TypeError("'NoneType' object is not callable")#1 context=E1#2
               chain E1("r1")#2
        "#]],
    );
}

#[test]
fn wrong_arity_is_an_ordinary_call_error_with_the_qualname() {
    check(
        "
class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        return self
    def __exit__(self):
        log('unreachable M0.__exit__')

def main():
    with M0():
        return ret('v1', 1)
",
        expect![[r#"
            M0.__init__
            M0.__enter__ exc_info=-
            evaluate return value v1
            => raise TypeError("M0.__exit__() takes 1 positional argument but 4 were given")#1
        "#]],
    );
}

#[test]
fn a_later_item_failing_exits_the_earlier_ones_innermost_first() {
    check(
        "
class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        return self
    def __exit__(self, t, v, tb):
        on_exit('M0', t, v, tb)
        return False

class M1:
    def __init__(self):
        on_init('M1')
        raise E2('r1')
    def __enter__(self):
        on_enter('M1')
        return self
    def __exit__(self, t, v, tb):
        on_exit('M1', t, v, tb)
        return False

def main():
    with M0() as x, M1() as y:
        log('L2')
",
        expect![[r#"
            M0.__init__
            M0.__enter__ exc_info=-
            M1.__init__
            M0.__exit__ exc=E2("r1")#1 exc_info=E2("r1")#1
            => raise E2("r1")#1
        "#]],
    );
}

#[test]
fn reraising_an_outer_exception_in_an_inner_handler_cuts_the_cycle() {
    check(
        "
def main():
    try:
        raise E1('r1')
    except E1 as e_h2:
        handler('h2')
        try:
            raise E3('r3')
        except:
            handler('h4')
            raise e_h2
",
        expect![[r#"
            except h2 caught E1("r1")#1
            except h4 caught E3("r3")#2 context=E1#1
            => raise E1("r1")#1 context=E3#2
               chain E3("r3")#2
        "#]],
    );
}

#[test]
fn return_in_finally_swallows_the_exception_and_exit_sees_none() {
    check(
        &with_plain(
            "def main():
    with M0():
        try:
            raise E1('r1')
        finally:
            fin('f2')
            return ret('v3', 2)
",
        ),
        expect![[r#"
            M0.__init__
            M0.__enter__ exc_info=-
            finally f2 exc_info=E1("r1")#1
            evaluate return value v3
            M0.__exit__ exc=- exc_info=-
            => return 2
        "#]],
    );
}

const ASYNC: &str = "
class M0:
    def __init__(self):
        on_init('M0')
    async def __aenter__(self):
        on_aenter('M0')
        await Aw('s1', True, None)
        return 7
    def __aexit__(self, t, v, tb):
        on_aexit('M0', t, v, tb)
        return Aw('a2', True, True)
";

#[test]
fn async_with_awaits_enter_and_binds_the_awaited_value() {
    check(
        &format!("{ASYNC}\nasync def main():\n    async with M0() as x:\n        show('x', x)\n        await Aw('s3', True, None)\n"),
        expect![[r#"
            M0.__init__
            M0.__aenter__ exc_info=-
            await s1
            suspend s1
            var x = 7
            await s3
            suspend s3
            M0.__aexit__ exc=- exc_info=-
            await a2
            suspend a2
            => return None
        "#]],
    );
}

#[test]
fn the_awaited_value_of_aexit_decides_suppression() {
    check(
        &format!("{ASYNC}\nasync def main():\n    async with M0():\n        raise E1('r4')\n    log('L5')\n"),
        expect![[r#"
            M0.__init__
            M0.__aenter__ exc_info=-
            await s1
            suspend s1
            M0.__aexit__ exc=E1("r4")#1 exc_info=E1("r4")#1
            await a2
            suspend a2
            log L5 exc_info=-
            => return None
        "#]],
    );
}

#[test]
fn a_non_awaitable_from_aexit_is_a_type_error_chained_to_the_body_exception() {
    check(
        "
class M0:
    def __init__(self):
        on_init('M0')
    async def __aenter__(self):
        on_aenter('M0')
        return self
    def __aexit__(self, t, v, tb):
        on_aexit('M0', t, v, tb)
        return None

async def main():
    async with M0():
        raise E1('r1')
",
        expect![[r#"
            M0.__init__
            M0.__aenter__ exc_info=-
            M0.__aexit__ exc=E1("r1")#1 exc_info=E1("r1")#1
            => raise TypeError("'async with' received an object from __aexit__ that does not implement __await__: NoneType")#2 context=E1#1
               chain E1("r1")#1
        "#]],
    );
}

#[test]
fn a_sync_manager_in_async_with_lacks_the_protocol() {
    check(
        &with_plain("async def main():\n    async with M0():\n        log('L1')\n"),
        expect![[r#"
            M0.__init__
            => raise TypeError("'M0' object does not support the asynchronous context manager protocol")#1
        "#]],
    );
}

#[test]
fn stop_iteration_leaving_the_main_coroutine_becomes_a_runtime_error() {
    check(
        "async def main():\n    raise StopIteration('r1')\n",
        expect![[r#"
            => raise RuntimeError("coroutine raised StopIteration")#1 context=StopIteration#2 cause=StopIteration#2 suppress_context
               chain StopIteration("r1")#2
        "#]],
    );
}

#[test]
fn closing_a_generator_suspended_in_a_with_passes_generator_exit_to_exit() {
    check(
        &with_plain(
            "def g0():
    with M0():
        yield 'y1'
        yield 'y2'

def main():
    drive('d3', g0(), 'close', 1, None)
",
        ),
        expect![[r#"
            M0.__init__
            M0.__enter__ exc_info=-
            d3 got y1
            M0.__exit__ exc=GeneratorExit("")#1 exc_info=GeneratorExit("")#1
            d3 closed
            => return None
        "#]],
    );
}

#[test]
fn a_generator_that_swallows_generator_exit_and_yields_is_an_error_of_close() {
    check(
        "
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
    with M0():
        yield 'y1'
    yield 'y2'

def main():
    drive('d3', g0(), 'close', 1, None)
",
        expect![[r#"
            M0.__init__
            M0.__enter__ exc_info=-
            d3 got y1
            M0.__exit__ exc=GeneratorExit("")#1 exc_info=GeneratorExit("")#1
            => raise RuntimeError("generator ignored GeneratorExit")#2
        "#]],
    );
}

#[test]
fn throw_passes_the_exception_to_exit_and_a_return_after_it_is_stop_iteration() {
    check(
        "
class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        return self
    def __exit__(self, t, v, tb):
        on_exit('M0', t, v, tb)
        return suppress_if(t, (E1,))

def g0():
    with M0():
        yield 'y1'
    return ret('v2', 5)

def main():
    drive('d3', g0(), 'throw', 1, E2('r4'))
",
        expect![[r#"
            M0.__init__
            M0.__enter__ exc_info=-
            d3 got y1
            M0.__exit__ exc=E2("r4")#1 exc_info=E2("r4")#1
            evaluate return value v2
            => raise StopIteration("5")#2
        "#]],
    );
}

#[test]
fn a_contextmanager_generator_that_catches_suppresses() {
    check(
        "
@contextmanager
def c0():
    log('L1')
    try:
        yield 5
    except E1:
        handler('h2')
    log('L3')

def main():
    with c0() as x:
        show('x', x)
        raise E2('r4')
    log('L5')
",
        expect![[r#"
            log L1 exc_info=-
            var x = 5
            except h2 caught E2("r4")#1
            log L3 exc_info=E2("r4")#1
            log L5 exc_info=-
            => return None
        "#]],
    );
}

#[test]
fn a_contextmanager_generator_that_never_yields() {
    check(
        "
@contextmanager
def c0():
    log('L1')
    return
    yield  # unreachable: it makes c() a generator function

def main():
    with c0():
        log('L2')
",
        expect![[r#"
            log L1 exc_info=-
            => raise RuntimeError("generator didn't yield")#1 context=StopIteration#2 suppress_context
               chain StopIteration("")#2
        "#]],
    );
}

#[test]
fn a_contextmanager_generator_that_yields_again_after_throw() {
    check(
        "
@contextmanager
def c0():
    try:
        yield 1
    except:
        handler('h1')
    yield 'y2'

def main():
    with c0():
        raise KeyError('r3')
",
        expect![[r#"
            except h1 caught KeyError("'r3'")#1
            => raise RuntimeError("generator didn't stop after throw()")#2 context=KeyError#1
               chain KeyError("'r3'")#1
        "#]],
    );
}

#[test]
fn stop_iteration_from_the_body_comes_out_of_a_contextmanager_unchanged() {
    check(
        "
@contextmanager
def c0():
    yield 1

def main():
    with c0():
        raise StopIteration('r1')
",
        expect![[r#"
            => raise StopIteration("r1")#1
        "#]],
    );
}

#[test]
fn suppress_matches_subclasses_and_closing_closes_on_every_path() {
    check(
        "
def main():
    with suppress(E1), closing(Closer('k1', None)) as c:
        show('c', c)
        raise E2('r2')
    with closing(Closer('k3', ValueError)):
        raise E3('r4')
",
        expect![[r#"
            var c = <Closer k1>
            k1.close()
            k3.close()
            => raise ValueError("k3")#1 context=E3#2
               chain E3("r4")#2
        "#]],
    );
}

/// Each line of the predicted trace, with the rules the provenance gives it: what triage
/// names a divergence at that line by.
fn check_provenance(text: &str, expected: Expect) {
    let program = parse(text).unwrap_or_else(|d| panic!("test program does not parse: {d:?}"));
    let prediction = predict(&program, Profile::CPYTHON_3_11);
    cross_check(&program, &(prediction.trace.lines().join("\n") + "\n"));
    let names = |rules: &[crate::model::Rule]| rules.iter().map(|r| r.name()).collect::<Vec<_>>().join(" ");
    let mut out = String::new();
    for (i, event) in prediction.trace.events.iter().enumerate() {
        out += &format!("{event}  <- [{}]\n", names(prediction.provenance.event_rules(i)));
    }
    out += &format!("outcome <- [{}]\n", names(prediction.provenance.outcome_rules()));
    for n in 1..=4 {
        let r = prediction.provenance.exception(n);
        if r != Default::default() {
            let name = |r: Option<crate::model::Rule>| r.map_or("-".to_string(), |r| r.name());
            out += &format!("#{n} created {} context {} cause {}\n", name(r.created), name(r.context), name(r.cause));
        }
    }
    expected.assert_eq(&out);
}

#[test]
fn provenance_names_the_rule_behind_each_event_and_exception() {
    // The log after a suppressing exit is there because the exit suppressed; the exception the
    // program raised was made by no rule.
    check_provenance(
        "
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
",
        expect![[r#"
            M0.__init__  <- []
            M0.__enter__ exc_info=-  <- []
            M0.__exit__ exc=E1("r1")#1 exc_info=E1("r1")#1  <- [exit-gets-exception]
            log L2 exc_info=-  <- [exit-suppresses]
            outcome <- []
        "#]],
    );
    // A protocol error is made by the rule of the missing method; the TypeError of a raising
    // exit chains to the body's exception by implicit chaining.
    check_provenance(
        "
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
",
        expect![[r#"
            M0.__init__  <- []
            except h2 caught TypeError("'M0' object does not support the context manager protocol (missed __exit__ method)")#1  <- [lacks-exit]
            outcome <- [implicit-chaining]
            #1 created lacks-exit context - cause -
            #2 created - context implicit-chaining cause -
        "#]],
    );
}

#[test]
fn provenance_names_the_rules_of_contextlib_generators_and_stacks() {
    // contextlib's RuntimeError is made by the rule of its message, which also decides the
    // outcome; the generator's `finally` ran when `__exit__` resumed it, before that rule.
    check_provenance(
        "
@contextmanager
def c0():
    try:
        yield 1
    finally:
        fin('f1')
    yield 'y2'

def main():
    with c0():
        log('L3')
",
        expect![[r#"
            log L3 exc_info=-  <- [contextlib-manager cm-enter-yields]
            finally f1 exc_info=-  <- [exit-after-normal-body]
            outcome <- [cm-didnt-stop exit-raises-on-normal-path]
            #1 created cm-didnt-stop context - cause -
        "#]],
    );
    // PEP 479 makes the RuntimeError and sets both its cause and its context.
    check_provenance(
        &with_plain(
            "
def g0():
    yield 'y1'
    with M0():
        raise StopIteration('r2')

def main():
    drive('d3', g0(), 'all', 0, None)
",
        ),
        expect![[r#"
            d3 got y1  <- []
            M0.__init__  <- []
            M0.__enter__ exc_info=-  <- []
            M0.__exit__ exc=StopIteration("r2")#1 exc_info=StopIteration("r2")#1  <- [exit-gets-exception]
            outcome <- [exit-falsy-reraises generator-stop-iteration]
            #2 created generator-stop-iteration context generator-stop-iteration cause generator-stop-iteration
        "#]],
    );
    // The second callback's exception is chained by implicit chaining to the body's, and
    // `_fix_exception_context` points it at the first callback's instead.
    check_provenance(
        "
def main():
    with ExitStack() as s1:
        s1.callback(cb, 'k2', ValueError)
        s1.callback(cb, 'k3', KeyError)
        raise E1('r4')
",
        expect![[r#"
            callback k3 exc_info=E1("r4")#1  <- [contextlib-manager target-binds-enter-value stack-callback stack-callback exit-gets-exception]
            callback k2 exc_info=E1("r4")#1  <- [implicit-chaining stack-callback-raises stack-lifo]
            outcome <- [implicit-chaining stack-callback-raises stack-context-fixed implicit-chaining exit-raises-on-exception]
            #2 created - context stack-context-fixed cause -
            #3 created - context implicit-chaining cause -
        "#]],
    );
    // A missing __aenter__: the TypeError is the rule of the missing method's.
    check_provenance(
        "
class M0:
    def __init__(self):
        on_init('M0')
    async def __aexit__(self, t, v, tb):
        on_aexit('M0', t, v, tb)
        return None

async def main():
    async with M0():
        log('L1')
",
        expect![[r#"
            M0.__init__  <- []
            outcome <- [async-lacks-enter]
            #1 created async-lacks-enter context - cause -
        "#]],
    );
}

#[test]
fn from_3_14_the_stop_iteration_carrying_a_returned_value_is_not_chained() {
    // Seen on CPython 3.14.2 (Pyodide): `_PyGen_SetStopIterationValue` no longer chains.
    let program = |ret: &str| {
        let text = format!(
            "@contextmanager\ndef c0():\n    {ret}\n    return\n    yield  # unreachable: it makes c() a generator function\n\ndef main():\n    try:\n        raise E1('r1')\n    except:\n        handler('h2')\n        with c0():\n            pass\n"
        );
        parse(&text).unwrap_or_else(|d| panic!("{d:?}"))
    };
    let on = |ret: &str, profile: &str| {
        let profile: Profile = profile.parse().expect("a profile");
        predict(&program(ret), profile).trace.lines().join("\n")
    };
    let with_value = "return ret('v3', 5)";
    assert!(
        on(with_value, "cpython-3.13").contains("chain StopIteration(\"5\")#3 context=E1#1"),
        "{}",
        on(with_value, "cpython-3.13")
    );
    assert!(
        on(with_value, "cpython-3.14").ends_with("chain StopIteration(\"5\")#3"),
        "{}",
        on(with_value, "cpython-3.14")
    );
    // A generator that returns None still raises a chained StopIteration.
    assert!(
        on("log('L3')", "cpython-3.14").contains("chain StopIteration(\"\")#3 context=E1#1"),
        "{}",
        on("log('L3')", "cpython-3.14")
    );
}

/// SEMANTICS-ADDENDUM §15.2: a direct `await __aexit__` shows 3.8's None where 3.9+ return False
/// (probed on 3.8.18 and 3.9.18; the `async with` statement cannot tell them apart).
#[test]
fn direct_aexit_of_an_async_generator_manager_returns_none_on_3_8_only() {
    let text = "\
@asynccontextmanager
async def c0():
    log('L1')
    yield 1
    log('L2')

async def main():
    m1 = c0()
    show('d1', await m1.__aenter__())
    show('d2', await m1.__aexit__(None, None, None))
    m2 = c0()
    show('d3', await m2.__aenter__())
    show('d4', await m2.__aexit__(KeyError, KeyError('x1'), None))
    m3 = c0()
    show('d5', await m3.__aenter__())
    show('d6', await m3.__aexit__(RuntimeError, RuntimeError('x2'), None))
";
    let program = parse(text).unwrap_or_else(|d| panic!("{d:?}"));
    let shown = |profile: &str| {
        let trace = predict(&program, profile.parse().unwrap()).trace;
        trace
            .lines()
            .into_iter()
            .filter(|l| l.starts_with("var d2") || l.starts_with("var d4") || l.starts_with("var d6"))
            .collect::<Vec<_>>()
    };
    assert_eq!(shown("cpython-3.8"), ["var d2 = None", "var d4 = None", "var d6 = False"]);
    for version in ["cpython-3.9", "cpython-3.13"] {
        assert_eq!(shown(version), ["var d2 = False", "var d4 = False", "var d6 = False"], "{version}");
    }
}

/// §15.1, §15.2: the same `(E1, None, None)` reaches a class's `__exit__` as it is, and a
/// `@contextmanager` generator as the `E1()` contextlib makes.
#[test]
fn a_type_only_triple_reaches_a_class_as_it_is_and_a_generator_instantiated() {
    check(
        &with_plain(
            "\
@contextmanager
def c0():
    try:
        yield 1
    except E1:
        handler('h1')

def main():
    m1 = M0()
    show('d1', m1.__exit__(E1, None, None))
    m2 = c0()
    show('d2', m2.__enter__())
    show('d3', m2.__exit__(E1, None, None))
",
        ),
        expect![[r#"
            M0.__init__
            M0.__exit__ exc=- INCONSISTENT-ARGS exc_info=-
            var d1 = None
            var d2 = 1
            except h1 caught E1("")#1
            var d3 = True
            => return None
        "#]],
    );
}

/// §16.1: keyword arguments named like contextlib's helper's own reach the generator, which
/// shows them when it starts; a decorator's factory arguments are passed to every call's generator.
#[test]
fn factory_arguments_reach_the_generator_when_it_starts_and_every_decorated_call() {
    check(
        "\
@contextmanager
def c0(self, func, *, args, kwds):
    show('self', self)
    show('func', func)
    show('args', args)
    show('kwds', kwds)
    yield None

@contextmanager
def c1(self):
    show('self', self)
    yield None

def main():
    @c1(self=5)
    def f0(n, k):
        show('n', n)
        show('k', k)
        if n:
            f0(n - 1, k=k + 1)
    m1 = c0(11, kwds=44, func=22, args=33)
    log('L1')
    with m1:
        log('L2')
    f0(1, k=0)
",
        expect![[r#"
            log L1 exc_info=-
            var self = 11
            var func = 22
            var args = 33
            var kwds = 44
            log L2 exc_info=-
            var self = 5
            var n = 1
            var k = 0
            var self = 5
            var n = 0
            var k = 1
            => return None
        "#]],
    );
}

/// §16.2: arguments that do not bind raise TypeError at the factory call, in CPython's order of
/// checks, before `__enter__`; 3.13+ suggest a close parameter name.
#[test]
fn arguments_that_do_not_bind_raise_at_the_factory_with_each_versions_message() {
    let text = "\
@contextmanager
def c0(self, func, *, kwds):
    show('self', self)
    show('func', func)
    show('kwds', kwds)
    yield None

def main():
    try:
        with c0(1, 2, 3, kwds=4):
            log('L1')
    except TypeError:
        handler('h2')
    try:
        with c0(1, funk=2, self=3):
            log('L3')
    except TypeError:
        handler('h4')
    try:
        with c0(1, self=3):
            log('L5')
    except TypeError:
        handler('h6')
    try:
        with c0():
            log('L7')
    except TypeError:
        handler('h8')
    try:
        with c0(1, 2):
            log('L9')
    except TypeError:
        handler('h10')
    with c0(1, 2, 3):
        log('L11')
";
    check(
        text,
        expect![[r#"
            except h2 caught TypeError("c0() takes 2 positional arguments but 3 positional arguments (and 1 keyword-only argument) were given")#1
            except h4 caught TypeError("c0() got an unexpected keyword argument 'funk'")#2
            except h6 caught TypeError("c0() got multiple values for argument 'self'")#3
            except h8 caught TypeError("c0() missing 2 required positional arguments: 'self' and 'func'")#4
            except h10 caught TypeError("c0() missing 1 required keyword-only argument: 'kwds'")#5
            => raise TypeError("c0() takes 2 positional arguments but 3 were given")#6
        "#]],
    );
    let program = parse(text).unwrap_or_else(|d| panic!("{d:?}"));
    let h4 = |profile: &str| {
        let trace = predict(&program, profile.parse().unwrap()).trace;
        trace.lines().into_iter().find(|l| l.starts_with("except h4")).expect("h4 catches")
    };
    assert!(h4("cpython-3.12").ends_with("'funk'\")#2"));
    assert!(h4("cpython-3.13").ends_with("'funk'. Did you mean 'func'?\")#2"));
}
