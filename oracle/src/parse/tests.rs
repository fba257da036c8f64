//! Tests of the parser: every shape the renderer prints, the slack a hand-edited file may take,
//! and the diagnostics for what it may not.

use expect_test::{expect, Expect};

use super::parse;
use crate::ir::{
    validate, Action, AwaitThen, BoolResult, Cause, DirectCall, Elem, ExcClass, ExitFn, ExitFnResult, GenFn, Handler,
    ItemExpr, Manager, Method, NewExc, Parens, Program, RaiseNew, StackOp, Stmt, Target, Triple, Try, Value, WithItem,
};
use crate::render;

/// `text` is what the renderer prints for the program it parses to.
fn roundtrip(text: &str) {
    let program = match parse(text) {
        Ok(p) => p,
        Err(diags) => panic!("{}", show(&diags)),
    };
    assert_eq!(render::body(&program), text);
}

fn show(diags: &[crate::ir::Diagnostic]) -> String {
    diags.iter().map(|d| format!("{d}\n")).collect()
}

fn check_err(text: &str, expect: Expect) {
    match parse(text) {
        Ok(p) => panic!("parsed, but should not have: {p:?}"),
        Err(diags) => expect.assert_eq(&show(&diags)),
    }
}

fn plain_manager() -> Manager {
    Manager {
        init_raises: None,
        enter: Method::Defined(Action::ReturnSelf),
        exit: Method::Defined(Action::Return(Value::None)),
        aenter: Method::Missing,
        aexit: Method::Missing,
        base: None,
    }
}

fn exc(class: ExcClass, label: &str) -> NewExc {
    NewExc { class, label: label.to_string() }
}

#[test]
fn every_statement_reads_back() {
    roundtrip(
        "\
class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        return (1, 2)
    def __exit__(self, t, v, tb):
        on_exit('M0', t, v, tb)
        return None

def main():
    log('L1')
    with M0() as x, 1 as (a, b), None, 's' as (c,), M0():
        show('x', x)
        show('c', c)
    with M0():
        pass
    for _ in range(3):
        break
        continue
    for _ in range(0):
        pass
    try:
        raise E1('r1') from None
    except E1 as e_h2:
        handler('h2')
        raise e_h2
    except KeyError:
        handler('h3')
    except:
        handler('h4')
        raise
    else:
        log('L5')
    finally:
        fin('f6')
        raise ValueError('r7') from E2('c8')
    try:
        pass
    finally:
        fin('f9')
    with (1, 2) as y, Bool('b1', True) as z:
        show('y', y)
    return ret('v10', (1, 2))
",
    );
}

#[test]
fn every_manager_shape_reads_back() {
    roundtrip(
        "\
class M0:
    def __init__(self):
        on_init('M0')
        self.__enter__ = inst('M0', '__enter__')
        self.__exit__ = inst('M0', '__exit__')
        raise KeyboardInterrupt('r1')

class M1:
    def __init__(self):
        on_init('M1')
    __enter__ = None
    def __exit__(self):
        log('unreachable M1.__exit__')

class M2:
    def __init__(self):
        on_init('M2')
    def __enter__(self, x):
        log('unreachable M2.__enter__')
    __exit__ = None

class M3:
    def __init__(self):
        on_init('M3')
    def __enter__(self):
        on_enter('M3')
        raise E1('r2') from None
    def __exit__(self, t, v, tb):
        on_exit('M3', t, v, tb)
        return suppress_if(t, (E1, KeyError))

class M4:
    def __init__(self):
        on_init('M4')
    def __enter__(self):
        on_enter('M4')
        raise
    def __exit__(self, t, v, tb):
        on_exit('M4', t, v, tb)
        raise v

class M5:
    def __init__(self):
        on_init('M5')
    def __exit__(self, t, v, tb):
        on_exit('M5', t, v, tb)
        return suppress_if(t, (BaseException,))

class M6:
    def __init__(self):
        on_init('M6')

class M7:
    def __init__(self):
        on_init('M7')
    def __enter__(self):
        on_enter('M7')
        return self
    def __exit__(self, t, v, tb):
        on_exit('M7', t, v, tb)
        raise SystemExit('r3') from GeneratorExit('c4')

def main():
    pass
",
    );
}

#[test]
fn manager_methods_read_into_the_ir() {
    let program = parse(
        "\
class M0:
    def __init__(self):
        on_init('M0')
        self.__exit__ = inst('M0', '__exit__')
        raise E3('r1')
    __enter__ = None

class M1:
    def __init__(self):
        on_init('M1')
    def __enter__(self, x):
        log('unreachable M1.__enter__')
    def __exit__(self, t, v, tb):
        on_exit('M1', t, v, tb)
        return Bool('b2', TypeError)

def main():
    pass
",
    )
    .unwrap();
    assert_eq!(
        program.managers,
        vec![
            Manager {
                init_raises: Some(exc(ExcClass::E3, "r1")),
                enter: Method::NoneAttr,
                exit: Method::InstanceOnly,
                aenter: Method::Missing,
                aexit: Method::Missing,
                base: None,
            },
            Manager {
                init_raises: None,
                enter: Method::WrongArity,
                exit: Method::Defined(Action::Return(Value::BoolObj {
                    label: "b2".to_string(),
                    result: BoolResult::Raise(ExcClass::TypeError),
                })),
                aenter: Method::Missing,
                aexit: Method::Missing,
                base: None,
            },
        ]
    );
    assert_eq!(program.main, vec![]);
}

#[test]
fn values_read_back() {
    let values = [
        "None",
        "True",
        "False",
        "0",
        "3",
        "-1",
        "-9223372036854775808",
        "9223372036854775807",
        "''",
        "'ab'",
        "\"it's\"",
        "'say \"hi\"'",
        "'both \\' and \"'",
        "'back\\\\slash'",
        "()",
        "(1,)",
        "((),)",
        "(1, 'a', None, (True, -2))",
        "Bool('b1', True)",
        "Bool('b1', False)",
        "Bool('b1', 2)",
        "Bool('b1', -1)",
        "Bool('b1', E1)",
        "Bool('b1', StopIteration)",
        "Len('n1', -1)",
        "Len('n1', 0)",
        "(Bool('b1', 0), Len('n2', 3))",
    ];
    for v in values {
        roundtrip(&format!("def main():\n    return ret('v1', {v})\n"));
    }
}

#[test]
fn strings_keep_what_the_renderer_escapes() {
    let strings = ["", "a", "it's", "say \"hi\"", "both ' and \"", "back\\slash", "#not a comment"];
    for s in strings {
        let program = Program {
            managers: vec![],
            main: vec![Stmt::Return { label: "v1".to_string(), value: Value::Str(s.to_string()) }],
            gens: vec![],
            cms: vec![],
            is_async: false,
            decos: Vec::new(),
        };
        assert_eq!(parse(&render::body(&program)), Ok(program));
    }
    // Escapes the renderer writes for characters validation does not allow read back too.
    let program = parse("def main():\n    log('a\\x41\\n')\n");
    let diags = program.unwrap_err();
    assert_eq!(diags[0].kind.to_string(), "label \"aA\\n\" must be 1-16 ASCII letters, digits or '_'");
}

#[test]
fn a_program_built_by_hand_reads_back() {
    let program = Program {
        managers: vec![plain_manager(), plain_manager()],
        main: vec![Stmt::With {
            parens: Parens::No,
            is_async: false,
            items: vec![
                WithItem { expr: ItemExpr::New(1), target: Target::Name("x".to_string()) },
                WithItem {
                    expr: ItemExpr::Literal(Value::Tuple(vec![])),
                    target: Target::Tuple(vec![Elem::Name("a".to_string()), Elem::Name("b".to_string())]),
                },
            ],
            body: vec![Stmt::Try(Box::new(Try {
                body: vec![Stmt::Loop {
                    times: 5,
                    body: vec![Stmt::Raise(RaiseNew {
                        exc: exc(ExcClass::E2, "r1"),
                        cause: Some(Cause::New(exc(ExcClass::LookupError, "c2"))),
                    })],
                }],
                handlers: vec![
                    Handler {
                        label: "h3".to_string(),
                        class: Some(ExcClass::E1),
                        bind: true,
                        body: vec![Stmt::RaiseCaught("h3".to_string())],
                    },
                    Handler { label: "h4".to_string(), class: None, bind: false, body: vec![] },
                ],
                orelse: vec![],
                finally: Some(("f5".to_string(), vec![Stmt::Show("x".to_string())])),
            }))],
        }],
        gens: vec![],
        cms: vec![],
        is_async: false,
        decos: Vec::new(),
    };
    assert_eq!(parse(&render::body(&program)), Ok(program.clone()));
    assert_eq!(parse(&render::standalone(&program)), Ok(program));
}

#[test]
fn a_standalone_file_reads_from_its_marker() {
    let program = Program {
        managers: vec![plain_manager()],
        main: vec![Stmt::Log("L1".into())],
        gens: vec![],
        cms: vec![],
        is_async: false,
        decos: Vec::new(),
    };
    let text = render::standalone(&program);
    assert!(text.contains(super::MARKER));
    assert_eq!(parse(&text), Ok(program));
}

#[test]
fn a_hand_edited_file_may_have_comments_blank_lines_and_trailing_space() {
    let text = "\u{feff}# format: 1\r
# origin: seed 0x1d0b14e4db018fed\r
# target: cpython-3.11\r
\r
class M0:   \r
    # a comment inside a class\r
    def __init__(self):\r
        on_init('M0')  # trailing comment\r
\r
\r
    def __exit__(self, t, v, tb):\t\r
        on_exit('M0', t, v, tb)\r
  # a comment indented by two\r
        return suppress_if(t, (E1,))\r
def main():\r
    with M0() as x:   # why this case exists\r
\r
        return ret('v1', '#1')  # a hash in a string is no comment\r
";
    let program = parse(text).unwrap();
    expect![[r#"
        class M0:
            def __init__(self):
                on_init('M0')
            def __exit__(self, t, v, tb):
                on_exit('M0', t, v, tb)
                return suppress_if(t, (E1,))

        def main():
            with M0() as x:
                return ret('v1', '#1')
    "#]]
    .assert_eq(&render::body(&program));
}

#[test]
fn pass_stands_for_an_empty_block_anywhere() {
    let program = parse(
        "\
def main():
    try:
        pass
    except E1:
        handler('h1')
        pass
    else:
        pass
    finally:
        fin('f2')
        pass
",
    )
    .unwrap();
    let Stmt::Try(t) = &program.main[0] else { panic!() };
    assert!(t.body.is_empty() && t.handlers[0].body.is_empty() && t.orelse.is_empty());
    assert_eq!(t.finally, Some(("f2".to_string(), vec![])));
}

#[test]
fn a_line_that_is_no_statement_is_reported_with_what_was_expected() {
    check_err(
        "\
def main():
    foo()
    log(L1)
    log('L2') log('L3')
    with M0(), foo():
        log('L4')
    return 3
    raise Foo('r1')
    raise v
    for _ in range(1000):
        pass
    with M0() as (a):
        pass
    return ret('v1', (1))
    return ret('v1', 007)
    return ret('v1', 99999999999999999999)
    log('unterminated)
    log('bad \\q escape')
    log('L5') @
",
        expect![[r#"
            line 2: expected a statement such as log('L1') or with M0():, found "foo()"
            line 3: expected a label such as 'L1', found "L1)"
            line 4: expected the end of the line, found "log('L3')"
            line 5: expected a manager such as M0(), c0(), suppress(E1), nullcontext(1), closing(Closer('k1', None)), closing(g0()), ExitStack(), st.pop_all(), a variable such as m1 or a literal such as 1, found "foo():"
            line 7: expected ret('v1', <value>), found "3"
            line 8: expected E1('r1') or e_h1 (the name a handler binds) after raise, found "Foo('r1')"
            line 10: a loop runs from 0 to 5 times, found range(1000)
            line 14: expected ',' (a one-item tuple is written (1,)), found "))"
            line 15: expected an integer without leading zeros, found "007)"
            line 16: expected an integer that fits in 64 bits, found "99999999999999999999)"
            line 17: unterminated string in "log('unterminated)"
            line 18: unsupported escape \q in "log('bad \\q escape')"; strings use \\ \' \" \n \r \t and \xNN
            line 19: expected the end of the line, found "@"
        "#]],
    );
}

#[test]
fn indentation_is_four_spaces_a_level() {
    check_err(
        "\
def main():
\tlog('L1')
    with M0():
      log('L2')
    log('L3')
        log('L4')
    with M0():
    log('L5')
",
        expect![[r#"
            line 2: a tab in the indentation; indent with 4 spaces per level
            line 4: indented by 6 spaces; indent with 4 spaces per level
            line 6: unexpected indentation
            line 7: expected an indented block after "with M0():"
        "#]],
    );
}

#[test]
fn try_clauses_must_be_in_order_and_labelled() {
    check_err(
        "\
def main():
    try:
        log('L1')
    finally:
        fin('f1')
    except E1:
        handler('h2')
    try:
        log('L3')
    except E1 as e_h4:
        handler('h5')
    except E1 as err:
        handler('h6')
    except E9:
        handler('h7')
    except E2:
        log('L8')
    else:
        log('L9')
    else:
        log('L10')
    except E3:
    finally:
        fin('f11')
        fin('f12')
    else:
        pass
    pass
",
        expect![[r#"
            line 6: except clauses come before else: and finally:
            line 11: the handler is bound as e_h4, so its label is "h4", found "handler('h5')"
            line 12: expected a name e_<label> such as e_h1, with the handler's label, found "err:"
            line 14: expected an exception class such as E1 or KeyError, found "E9:"
            line 17: expected handler('h1') first in the block, found "log('L8')"
            line 20: a second else: in one try:
            line 22: except clauses come before else: and finally:
            line 22: expected an indented block starting with handler('h1') after "except E3:"
            line 25: expected a statement such as log('L1') or with M0():, found "fin('f12')"
            line 26: a second else: in one try:
            line 28: pass stands for an empty block, so it must be the only statement
        "#]],
    );
}

#[test]
fn a_clause_without_a_try_is_reported() {
    check_err(
        "\
def main():
    log('L1')
    except E1:
        handler('h1')
    else:
        pass
    finally:
        fin('f1')
",
        expect![[r#"
            line 3: except: without a try: before it
            line 5: else: without a try: before it
            line 7: finally: without a try: before it
        "#]],
    );
}

#[test]
fn manager_classes_must_have_the_rendered_shapes() {
    check_err(
        "\
class M1:
    def __init__(self):
        on_init('M1')
    def __enter__(self):
        on_enter('M0')
        return self
    def __exit__(self, t, v):
        on_exit('M1', t, v, tb)
        return None

class M1:
    def __enter__(self):
        on_enter('M1')
    def __init__(self):
        on_init('M1')
        raise E1('r1')
        self.__enter__ = inst('M1', '__enter__')
    def __exit__(self, t, v, tb):
        on_exit('M1', t, v, tb)
        return self
        log('L2')
    __exit__ = None
    def helper(self):
        pass

class M2:
    def __init__(self):
        on_init('M2')
        self.__enter__ = inst('M2', '__enter__')
        self.__exit__ = inst('M2', '__enter__')
        print('hi')
    def __enter__(self):
        on_enter('M2')
        return 1
    def __exit__(self):
        log('unreachable M2.__enter__')

class M3:
    __enter__ = None

def main():
    with M0():
        pass
",
        expect![[r#"
            line 1: expected class M0: (manager classes are named M0, M1, ... in order), found "class M1:"
            line 5: expected on_enter('M1'), found "on_enter('M0')"
            line 7: expected def __exit__(self, t, v, tb): or, of the wrong arity, def __exit__(self):, found "def __exit__(self, t, v):"
            line 13: expected a line such as return self or raise E1('r1') after on_enter('M1')
            line 17: nothing follows the raise in __init__
            line 21: a method does one thing after on_exit('M1', t, v, tb), but here is another line: "log('L2')"
            line 22: a second __exit__ in class M1
            line 23: expected def __init__(self):, def __enter__(self):, def __exit__(self, t, v, tb):, async def __aenter__(self):, async def __aexit__(self, t, v, tb): or __enter__ = None, found "def helper(self):"
            line 30: expected self.__enter__ = inst('M2', '__enter__') (or __exit__, __aenter__, __aexit__ likewise) or raise E1('r1'), found "self.__exit__ = inst('M2', '__enter__')"
            line 31: expected self.__enter__ = inst('M2', '__enter__') (or __exit__, __aenter__, __aexit__ likewise) or raise E1('r1'), found "print('hi')"
            line 32: M2.__enter__ is set on the instance in __init__, so it cannot be in the class too
            line 36: expected log('unreachable M2.__exit__'), found "log('unreachable M2.__enter__')"
            line 38: class M3 needs def __init__(self): with on_init('M3')
        "#]],
    );
}

#[test]
fn the_top_level_holds_classes_then_main() {
    check_err(
        "\
import sys
def main():
    pass
class M0:
    def __init__(self):
        on_init('M0')
def main():
    pass
    log('L1')
",
        expect![[r#"
            line 1: expected class M0:, @contextmanager, @asynccontextmanager, def g0():, async def g0():, def main(): or async def main():, found "import sys"
            line 4: manager classes come before def main():
            line 7: a second def main():
        "#]],
    );
    check_err(
        "# only a header\n\n",
        expect![[r#"
            end of input: expected def main(): or async def main(): after the manager classes and generator functions
        "#]],
    );
    check_err(
        "    log('L1')\ndef main():\n",
        expect![[r#"
            line 1: unexpected indentation
            line 2: expected an indented block after "def main():"
        "#]],
    );
}

#[test]
fn a_program_that_parses_is_validated() {
    check_err(
        "\
class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        raise v

def main():
    show('x', x)
    break
    with M3():
        raise e_h1
",
        expect![[r#"
            line 4: `raise v` needs the exception argument of __exit__
            line 9: `x` is not bound here
            line 10: break/continue outside a loop
            line 11: manager M3 is not defined
            line 12: `raise e_h1` outside the handler that binds it
        "#]],
    );
}

#[test]
fn show_names_the_variable_it_shows() {
    check_err(
        "def main():\n    with M0() as x:\n        show('x', y)\n",
        expect![[r#"
            line 3: expected the variable x itself, as in show('x', x), found "y)"
        "#]],
    );
}

/// `def main():` (or `async def`) with `n` nested `with M0():` around `log('L1')`, as text.
fn nested_withs(n: usize, is_async: bool) -> String {
    let with = |s| Stmt::With {
        parens: Parens::No,
        is_async: false,
        items: vec![WithItem { expr: ItemExpr::New(0), target: Target::None }],
        body: vec![s],
    };
    let main = vec![(0..n).fold(Stmt::Log("L1".to_string()), |s, _| with(s))];
    render::body(&Program {
        managers: vec![plain_manager()],
        gens: vec![],
        cms: vec![],
        main,
        is_async,
        decos: Vec::new(),
    })
}

#[test]
fn blocks_nested_deeper_than_cpython_compiles_are_refused_at_the_line_where_they_are() {
    // CPython 3.8 to 3.12 compile 20 nested `with`s in a function and refuse 21 ("too many
    // statically nested blocks"); 3.12.1 crashes on 20 in a coroutine.
    roundtrip(&nested_withs(20, false));
    roundtrip(&nested_withs(19, true));
    let diags = parse(&nested_withs(21, false)).unwrap_err();
    expect![[r#"
        line 32: blocks nest 21 deep here, and CPython compiles at most 20 in one function ("too many statically nested blocks")
    "#]]
    .assert_eq(&show(&diags));
    assert_eq!(diags[0].kind, crate::ir::DiagnosticKind::TooDeep { blocks: 21, limit: 20 });
    let diags = parse(&nested_withs(20, true)).unwrap_err();
    assert_eq!(show(&diags), "line 31: blocks nest 21 deep here, and CPython compiles at most 20 in one function (\"too many statically nested blocks\")\n");
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let mut text = String::from("def main():\n");
    for depth in 1..=200 {
        text.push_str(&"    ".repeat(depth));
        text.push_str("for _ in range(1):\n");
    }
    let diags = parse(&text).unwrap_err();
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].to_string(), "line 101: blocks nest at most 100 deep");

    let value = format!("{}1{}", "(".repeat(1000), ",)".repeat(1000));
    let diags = parse(&format!("def main():\n    return ret('v1', {value})\n")).unwrap_err();
    assert_eq!(diags.len(), 1);
    assert!(diags[0].kind.to_string().starts_with("expected a value; tuples nest at most 32 deep"));
}

#[test]
fn odd_input_gives_diagnostics_not_panics() {
    for text in [
        "",
        "\n\n\n",
        ":",
        "def",
        "def main():\n    with",
        "def main():\n    with M0() as",
        "def main():\n    with M0() as (",
        "def main():\n    log('\\x4",
        "def main():\n    log('é')\n    ✓",
        "def main():\n    return ret('v1', Bool('b1', -))",
        "def main():\n    return ret('v1', -)",
        "def main():\n    try:\n        pass\n    except",
        "def main():\n    try:\n    else:\n    finally:\n",
        "class",
        "class M0:\n    def __init__(self):\n        on_init(",
        "class M0:\n    def __exit__(self, t, v, tb):\n        on_exit('M0', t, v, tb)\n        return suppress_if(t, (",
        "class M0:\n    def __exit__(self, t, v, tb):\n        on_exit('M0', t, v, tb)\n        return suppress_if(t, (E1))",
        "class M0:\n    def __exit__(self, t, v, tb):\n        on_exit('M0', t, v, tb)\n        return",
        "class M0:\n    def __exit__(self, t, v, tb):\n        on_exit('M0', t, v, tb)\n        raise e_h1",
        "class M0:\n    def __exit__(self, t, v, tb):\n        on_exit('M0', t, v, tb)\n            raise",
        "# ---- the program ----",
        "if __name__ == \"__main__\":\n    _report(main)\n",
        "def main():\n    with M00():\n        pass\n    with M99999999999999999999999():\n        pass",
        "async",
        "async def",
        "async def main",
        "async def main():\n    async",
        "async def main():\n    async with",
        "async def main():\n    await",
        "async def main():\n    await Aw(",
        "async def main():\n    await Aw('s1', True, None",
        "def main():\n    return ret('v1', Aw('a1', True,",
        "def main():\n    return ret('v1', Aw('a1', True, E1",
        "def main():\n    return ret('v1', BadAw(",
        "class M0:\n    async",
        "class M0:\n    async def __aenter__(self):\n        on_aenter('M0')\n        await",
        "class M0:\n    async def __aenter__(self):\n        on_aenter('M0')\n        await Aw('s1', True, None)",
        "class M0:\n    def __init__(self):\n        on_init('M0')\n        self.__aenter__ = inst('M0', '__aenter__')\n    async def __aenter__(self):\n        on_aenter('M0')\n        return self\ndef main():\n    pass",
    ] {
        assert!(parse(text).is_err(), "{text:?}");
    }
}

// ---- async ----

fn label(s: &str) -> String {
    s.to_string()
}

fn aw(label: &str, suspend: bool, then: AwaitThen) -> Value {
    Value::Awaitable { label: label.to_string(), suspend, then: Box::new(then), coroutine: false }
}

#[test]
fn every_async_shape_reads_back() {
    roundtrip(
        "\
class M0:
    def __init__(self):
        on_init('M0')
    async def __aenter__(self):
        on_aenter('M0')
        return self
    async def __aexit__(self, t, v, tb):
        on_aexit('M0', t, v, tb)
        await Aw('s1', True, None)
        return suppress_if(t, (E1,))

class M1:
    def __init__(self):
        on_init('M1')
        self.__aenter__ = inst('M1', '__aenter__')
        self.__aexit__ = inst('M1', '__aexit__')
    def __enter__(self):
        on_enter('M1')
        return self
    def __exit__(self, t, v, tb):
        on_exit('M1', t, v, tb)
        return None

class M2:
    def __init__(self):
        on_init('M2')
    __aenter__ = None
    def __aexit__(self):
        log('unreachable M2.__aexit__')

class M3:
    def __init__(self):
        on_init('M3')
    def __aenter__(self, x):
        log('unreachable M3.__aenter__')
    __aexit__ = None

class M4:
    def __init__(self):
        on_init('M4')
        self.__exit__ = inst('M4', '__exit__')
        raise E1('r2')
    def __enter__(self):
        on_enter('M4')
        return BadAw()
    def __aenter__(self):
        on_aenter('M4')
        return Aw('a3', True, (1, Aw('a4', False, E2)))
    def __aexit__(self, t, v, tb):
        on_aexit('M4', t, v, tb)
        raise v

class M5:
    def __init__(self):
        on_init('M5')
    async def __aenter__(self):
        on_aenter('M5')
        await Aw('s5', True, None)
        raise E3('r6') from None
    async def __aexit__(self, t, v, tb):
        on_aexit('M5', t, v, tb)
        return Aw('a7', False, None)

async def main():
    log('L8')
    async with M0() as x, M1():
        show('x', x)
        await Aw('s9', True, None)
        with M1() as y:
            async with M5():
                pass
    await Aw('s10', True, None)
    try:
        async with Aw('a11', False, 1) as z, BadAw() as w:
            show('z', z)
    except TypeError:
        handler('h12')
    return ret('v13', Aw('a14', True, KeyboardInterrupt))
",
    );
}

#[test]
fn an_async_program_built_by_hand_reads_back() {
    let async_def = |suspend: Option<&str>, action| Method::AsyncDef { suspend: suspend.map(label), action };
    let program = Program {
        managers: vec![
            Manager {
                init_raises: None,
                enter: Method::Defined(Action::Return(Value::BadAwaitable)),
                exit: Method::WrongArity,
                aenter: async_def(Some("s1"), Action::Return(aw("a2", true, AwaitThen::Return(Value::Int(3))))),
                aexit: async_def(None, Action::Return(Value::Bool(true))),
                base: None,
            },
            Manager {
                init_raises: None,
                enter: Method::Missing,
                exit: Method::InstanceOnly,
                aenter: Method::InstanceOnly,
                aexit: Method::Defined(Action::Return(aw("a3", false, AwaitThen::Raise(ExcClass::E1)))),
                base: None,
            },
            Manager {
                init_raises: Some(exc(ExcClass::E2, "r4")),
                enter: Method::NoneAttr,
                exit: Method::Defined(Action::BareRaise),
                aenter: Method::NoneAttr,
                aexit: Method::WrongArity,
                base: None,
            },
            Manager {
                init_raises: None,
                enter: Method::Missing,
                exit: Method::Missing,
                aenter: Method::WrongArity,
                aexit: async_def(Some("s5"), Action::SuppressIf(vec![ExcClass::KeyError, ExcClass::E3])),
                base: None,
            },
        ],
        main: vec![
            Stmt::With {
                parens: Parens::No,
                is_async: true,
                items: vec![
                    WithItem { expr: ItemExpr::New(0), target: Target::Name("x".to_string()) },
                    WithItem { expr: ItemExpr::New(1), target: Target::None },
                ],
                body: vec![
                    Stmt::Await("s6".to_string()),
                    Stmt::With {
                        parens: Parens::No,
                        is_async: false,
                        items: vec![WithItem { expr: ItemExpr::New(2), target: Target::None }],
                        body: vec![Stmt::Show("x".to_string())],
                    },
                    Stmt::Loop {
                        times: 2,
                        body: vec![Stmt::With {
                            parens: Parens::No,
                            is_async: true,
                            items: vec![WithItem {
                                expr: ItemExpr::Literal(aw("a7", true, AwaitThen::Return(Value::None))),
                                target: Target::Tuple(vec![Elem::Name("a".to_string())]),
                            }],
                            body: vec![Stmt::Await("s8".to_string()), Stmt::Break],
                        }],
                    },
                ],
            },
            Stmt::With {
                parens: Parens::No,
                is_async: true,
                items: vec![WithItem { expr: ItemExpr::New(3), target: Target::None }],
                body: vec![],
            },
            Stmt::Return {
                label: "v9".to_string(),
                value: Value::Tuple(vec![
                    aw("a10", false, AwaitThen::Return(Value::Str("E1".to_string()))),
                    aw("a11", true, AwaitThen::Raise(ExcClass::StopIteration)),
                    Value::BadAwaitable,
                ]),
            },
        ],
        gens: vec![],
        cms: vec![],
        is_async: true,
        decos: Vec::new(),
    };
    assert_eq!(validate(&program), vec![]);
    assert_eq!(parse(&render::body(&program)), Ok(program.clone()));
    assert_eq!(parse(&render::standalone(&program)), Ok(program));
}

#[test]
fn async_values_read_back() {
    let values = [
        "BadAw()",
        "Aw('a1', True, None)",
        "Aw('a1', False, 3)",
        "Aw('a1', False, -3)",
        "Aw('a1', True, E1)",
        "Aw('a1', False, GeneratorExit)",
        "Aw('a1', True, 'E1')",
        "Aw('a1', True, ())",
        "Aw('a1', False, (BadAw(), Bool('b2', E1)))",
        "Aw('a1', True, Aw('a2', False, Aw('a3', True, Len('n4', 2))))",
        "(Aw('a1', True, False),)",
    ];
    for v in values {
        roundtrip(&format!("async def main():\n    return ret('v1', {v})\n"));
        roundtrip(&format!("def main():\n    return ret('v1', {v})\n"));
    }
    let program = parse("def main():\n    return ret('v1', Aw('a1', False, E2))\n").unwrap();
    assert_eq!(
        program.main,
        vec![Stmt::Return { label: "v1".to_string(), value: aw("a1", false, AwaitThen::Raise(ExcClass::E2)) }]
    );
}

#[test]
fn async_shapes_that_are_wrong_are_reported() {
    check_err(
        "\
class M0:
    def __init__(self):
        on_init('M0')
        self.__aenter__ = inst('M0', '__aexit__')
    async def __aenter__(self, x):
        log('unreachable M0.__aenter__')
    async def __aexit__(self):
        log('unreachable M0.__aexit__')
    async def __init__(self):
        on_init('M0')
    async __aexit__ = None

class M1:
    def __init__(self):
        on_init('M1')
    async def __aenter__(self):
        on_enter('M1')
        return self
    def __aexit__(self, t, v, tb):
        on_aexit('M1', t, v, tb)
        await Aw('s1', True, None)
        return None

class M2:
    def __init__(self):
        on_init('M2')
    async def __aenter__(self):
        on_aenter('M2')
        await Aw('s2', False, None)
        return self
    async def __aexit__(self, t, v, tb):
        on_aexit('M2', t, v, tb)
        await Aw('s3', True, None)
    async def __helper__(self):
        pass

class M3:
    def __init__(self):
        on_init('M3')
    async def __aenter__(self):
        on_aenter('M3')
        await Aw('s4', True, None)
        return self
        log('L5')
    async def __aexit__(self, t, v, tb):
        on_aexit('M3', t, v, tb)
        await sleep(0)
        return None
    def __aenter__(self):
        on_aenter('M3')
        return self

async def main():
    await Aw('s6', True, 1)
    await Aw('s7', False, None)
    await something()
    await
    async for _ in range(1):
        pass
    async with M0() as x, Aw('a8', maybe, None):
        pass
    async with Aw('a9', True, Foo):
        pass
    return ret('v10', Aw('a11'))
    return ret('v12', BadAw(1))
    with Aw('a13', True, None), 1:
        pass
async main():
    pass
",
        expect![[r#"
            line 4: expected self.__enter__ = inst('M0', '__enter__') (or __exit__, __aenter__, __aexit__ likewise) or raise E1('r1'), found "self.__aenter__ = inst('M0', '__aexit__')"
            line 5: expected async def __aenter__(self): or, of the wrong arity, def __aenter__(self, x):, found "async def __aenter__(self, x):"
            line 7: expected async def __aexit__(self, t, v, tb): or, of the wrong arity, def __aexit__(self):, found "async def __aexit__(self):"
            line 9: expected def __init__(self):, found "async def __init__(self):"
            line 11: expected def after async, found "__aexit__ = None"
            line 17: expected on_aenter('M1'), found "on_enter('M1')"
            line 21: await in a plain def; a method that awaits is written async def __aexit__
            line 29: expected True (a statement awaits only to suspend once, as in await Aw('s1', True, None)), found "False, None)"
            line 33: expected a line such as return self or raise E1('r1') after await Aw('s3', True, None)
            line 34: expected def __init__(self):, def __enter__(self):, def __exit__(self, t, v, tb):, async def __aenter__(self):, async def __aexit__(self, t, v, tb): or __enter__ = None, found "async def __helper__(self):"
            line 44: a method does one thing after await Aw('s4', True, None), but here is another line: "log('L5')"
            line 47: expected Aw (a statement awaits only to suspend once, as in await Aw('s1', True, None)), found "sleep(0)"
            line 49: a second __aenter__ in class M3
            line 54: expected None (a statement awaits only to suspend once, as in await Aw('s1', True, None)), found "1)"
            line 55: expected True (a statement awaits only to suspend once, as in await Aw('s1', True, None)), found "False, None)"
            line 56: expected Aw('s1', True, None), adrive(...), astep(...), g1() or a stack method such as st.aclose() after await, found "something()"
            line 57: expected Aw('s1', True, None), adrive(...), astep(...), g1() or a stack method such as st.aclose() after await, found the end of the line
            line 58: expected with after async (main has async with, not async for), found "for _ in range(1):"
            line 60: expected True or False (whether it suspends once), found "maybe, None):"
            line 62: expected what awaiting it gives: an exception class such as E1 or a value such as None, found "Foo):"
            line 64: expected ',', found "))"
            line 65: expected ')' (BadAw() takes no arguments), found "1))"
            line 68: expected def after async, as in async def main():, found "main():"
        "#]],
    );
}

#[test]
fn async_constructs_are_validated_where_they_stand() {
    check_err(
        "\
class M0:
    def __init__(self):
        on_init('M0')
    async def __enter__(self):
        on_enter('M0')
        await Aw('s1', True, None)
        return self
    async def __exit__(self, t, v, tb):
        on_exit('M0', t, v, tb)
        return None
    async def __aenter__(self):
        on_aenter('M0')
        raise v

def main():
    await Aw('s2', True, None)
    async with M0():
        with M1():
            await Aw('bad label', True, None)
    return ret('v3', Aw('', True, None))
",
        expect![[r#"
            line 4: only __aenter__ and __aexit__ can be async def
            line 8: only __aenter__ and __aexit__ can be async def
            line 11: `raise v` needs the exception argument of __exit__
            line 16: await outside an async function
            line 18: manager M1 is not defined
            line 19: label "bad label" must be 1-16 ASCII letters, digits or '_'
            line 19: await outside an async function
            line 20: label "" must be 1-16 ASCII letters, digits or '_'
        "#]],
    );
}

// ---- generator functions ----

#[test]
fn generator_functions_and_drives_read_back() {
    roundtrip(
        "\
class M0:
    def __init__(self):
        on_init('M0')

def g0():
    log('L1')
    with M0() as x:
        yield 'y2'
        show('x', x)
    return ret('v3', None)

def g1():
    try:
        yield 'y4'
    finally:
        fin('f5')
        yield 'y6'

def main():
    drive('d7', g0(), 'all', 0, None)
    drive('d8', g1(), 'close', 1, None)
    for _ in range(2):
        drive('d9', g1(), 'throw', 5, KeyError('r10'))
",
    );
    let program = parse("def g0():\n    yield 'y1'\n\ndef main():\n    drive('d2', g0(), 'throw', 2, E3('r3'))\n");
    assert_eq!(
        program.map(|p| p.main),
        Ok(vec![Stmt::Drive {
            label: "d2".to_string(),
            gen: 0,
            how: crate::ir::Drive::Throw(2, crate::ir::Thrown::New(exc(ExcClass::E3, "r3"))),
            then: None,
        }])
    );
}

#[test]
fn generator_functions_and_drives_that_are_wrong_are_reported() {
    check_err(
        "\
def g1():
    yield y1
def g0():
    yield 'y2'
async def g3():
    pass
def main():
    drive('d3', g0, 'all', 0, None)
    drive('d4', g0(), 'next', 1, None)
    drive('d5', g0(), 'all', 2, None)
    drive('d6', g0(), 'close', 1, E1('r7'))
    drive('d8', g0(), 'throw', 1, None)
    drive('d9', g0(), 'throw', 1000, E1('r10'))
    drive('d11', f(), 'all', 0, None)
class M0:
    def __init__(self):
        on_init('M0')
def g3():
    pass
",
        expect![[r#"
            line 1: expected def g0(): (generator functions are named g0, g1, ... in order), found "def g1():"
            line 2: expected a label such as 'y1', or a value such as (1,), 3 or StopIteration('y1'), found "y1"
            line 3: expected def g1(): (generator functions are named g0, g1, ... in order), found "def g0():"
            line 5: expected async def g2(): (generator functions are named g0, g1, ... in order), found "async def g3():"
            line 8: expected '(' (a generator function is called with no arguments, as in g0()), found ", 'all', 0, None)"
            line 9: expected how to drive it: 'all', 'close', 'throw', 'send', 'anext.throw', 'aclose.throw' or 'athrow.throw', maybe followed by '+close', '+throw', '+again' or '+next', found "'next', 1, None)"
            line 10: expected 0 (a drive to exhaustion takes no count), found "2, None)"
            line 11: expected None (only 'throw' throws an exception), found "E1('r7'))"
            line 12: expected an exception to throw, such as E1('r1'), e_h1, E1 or (E1, E1('r1'), None), found "None)"
            line 13: expected how many items to take first, from 0 to 5, found "1000, E1('r10'))"
            line 14: expected a generator function call such as g0(), found "f(), 'all', 0, None)"
            line 15: manager classes come before def main():
            line 18: generator functions come before def main():
        "#]],
    );
    check_err(
        "\
def g0():
    drive('d1', g0(), 'all', 0, None)
    await Aw('s2', True, None)

def main():
    yield 'y3'
    drive('d4', g1(), 'close', 0, None)
",
        expect![[r#"
            line 1: a generator function needs a yield (without one it is a plain function)
            line 2: drive inside a generator function
            line 3: await outside an async function
            line 6: yield outside a generator function
            line 7: generator function g1 is not defined
        "#]],
    );
}

// ---- contextlib ----

#[test]
fn contextmanager_functions_and_contextlib_items_read_back() {
    roundtrip(
        "\
class M0:
    def __init__(self):
        on_init('M0')

@contextmanager
def c0():
    yield 'y1'

@contextmanager
def c1():
    log('L2')
    try:
        pass
    finally:
        fin('f3')
    try:
        yield (1, Bool('b4', True))
    except E1 as e_h5:
        handler('h5')
        raise e_h5
    finally:
        fin('f6')
        log('L7')
    log('L8')
    yield 'y9'
    return ret('v10', None)

@contextmanager
def c2():
    try:
        yield None
    except:
        handler('h11')

@contextmanager
def c3():
    try:
        yield 'y12'
    finally:
        fin('f13')
    yield 'y14'

@contextmanager
def c4():
    with M0() as x:
        show('x', x)
    return
    yield  # unreachable: it makes c() a generator function

@contextmanager
def c5():
    return
    yield  # unreachable: it makes c() a generator function

def g0():
    with c0() as y:
        yield 'y15'

def main():
    with c1() as x, suppress(E1, KeyError), suppress(), suppress(BaseException):
        show('x', x)
    with nullcontext(3) as (a, b), nullcontext(None), closing(Closer('k16', None)) as k:
        show('k', k)
    with closing(Closer('k17', E1)), c2(), c3(), c4(), c5():
        drive('d18', g0(), 'all', 0, None)
",
    );
}

#[test]
fn a_contextlib_program_built_by_hand_reads_back() {
    let cm = |pre, yields, handler, finally: Option<(&str, Vec<Stmt>)>, post| crate::ir::CmGen {
        is_async: false,
        params: Vec::new(),
        pre,
        yields,
        handler,
        finally: finally.map(|(l, b)| (l.to_string(), b)),
        post,
    };
    let program = Program {
        managers: vec![plain_manager()],
        cms: vec![
            cm(vec![], Some(Value::Str("y1".into())), None, None, vec![Stmt::Yield("y2".into())]),
            cm(
                vec![Stmt::Log("L3".into())],
                Some(Value::Int(-4)),
                Some(Handler { label: "h4".into(), class: Some(ExcClass::KeyError), bind: false, body: vec![] }),
                None,
                vec![],
            ),
            cm(vec![], Some(Value::None), None, Some(("f5", vec![Stmt::Log("L6".into())])), vec![]),
            cm(vec![Stmt::Log("L7".into())], None, None, None, vec![]),
        ],
        gens: vec![],
        main: vec![Stmt::With {
            parens: Parens::No,
            is_async: false,
            items: vec![
                WithItem { expr: ItemExpr::Cm(1, Vec::new()), target: Target::Name("x".into()) },
                WithItem { expr: ItemExpr::Suppress(vec![ExcClass::E2]), target: Target::None },
                WithItem { expr: ItemExpr::Nullcontext(Value::Str("s".into())), target: Target::None },
                WithItem {
                    expr: ItemExpr::Closing { label: "k8".into(), raises: Some(ExcClass::KeyboardInterrupt) },
                    target: Target::None,
                },
                WithItem { expr: ItemExpr::Cm(0, Vec::new()), target: Target::None },
                WithItem { expr: ItemExpr::Cm(2, Vec::new()), target: Target::None },
                WithItem { expr: ItemExpr::Cm(3, Vec::new()), target: Target::None },
                WithItem { expr: ItemExpr::New(0), target: Target::None },
            ],
            body: vec![Stmt::Show("x".into())],
        }],
        is_async: false,
        decos: Vec::new(),
    };
    assert_eq!(validate(&program), vec![]);
    assert_eq!(parse(&render::body(&program)), Ok(program.clone()));
    assert_eq!(parse(&render::standalone(&program)), Ok(program));
}

#[test]
fn contextlib_items_may_be_edited_by_hand() {
    // A trailing comma, spaces, and a comment after the unreachable yield.
    let program = parse(
        "\
@contextmanager
def c0():
    return
    yield   # never reached

def main():
    with suppress( E1 , ) as s, c0( ):
        show('s', s)
",
    )
    .unwrap();
    assert_eq!(program.cms[0].yields, None);
    let Stmt::With { items, .. } = &program.main[0] else { panic!("{:?}", program.main) };
    assert_eq!(items[0].expr, ItemExpr::Suppress(vec![ExcClass::E1]));
    assert_eq!(items[1].expr, ItemExpr::Cm(0, Vec::new()));
}

#[test]
fn contextmanager_functions_that_are_wrong_are_reported() {
    check_err(
        "\
@contextmanager
def c1():
    yield 1

def c1():
    yield 2

@contextmanager
class M0:
    def __init__(self):
        on_init('M0')

@property
def c2():
    yield 3

async def c2():
    yield 4

def main():
    pass
",
        expect![[r#"
            line 2: expected def c0(): (@contextmanager functions are named c0, c1, ... in order), found "def c1():"
            line 5: expected @contextmanager on the line before "def c1():"
            line 8: expected def c2(): on the line after @contextmanager, found "class M0:"
            line 9: manager classes come before the @contextmanager functions
            line 13: expected contextmanager or asynccontextmanager (the only decorators programs use), found "property"
            line 17: expected @asynccontextmanager on the line before "async def c2():"
            line 17: expected async def c3(): (@contextmanager functions are named c0, c1, ... in order), found "async def c2():"
        "#]],
    );
    check_err(
        "\
def g0():
    yield 'y1'

@contextmanager
def c0():
    yield 1

def main():
    pass

@contextmanager
def c1():
    yield 2
",
        expect![[r#"
            line 5: @contextmanager functions come before the generator functions
            line 12: @contextmanager functions come before def main():
        "#]],
    );
    check_err(
        "\
@contextmanager
def c0():
    yield 1

@contextmanager
def c1():
    log('L2')

@contextmanager
def c2():
    yield
    yield 3

@contextmanager
def c3():
    return
    log('L4')

@contextmanager
def c4():
    return
    yield
    log('L5')

@contextmanager
def c5():
    try:
        log('L6')
        yield 7
    finally:
        fin('f8')

@contextmanager
def c6():
    try:
        yield 9
        log('L10')
    except E1:
        handler('h11')
    except E2:
        handler('h12')
    else:
        log('L13')

@contextmanager
def c7():
    try:
        yield 14
    finally:
        fin('f15')
    except E1:
        handler('h16')
    finally:
        fin('f17')

@contextmanager
def c8():
    try:
        yield 18
    log('L19')

@contextmanager
def c9():
    try:
        yield 20 21
    except E1 as e_h22:
        handler('h23')

def main():
    pass
",
        expect![[r#"
            line 6: expected yield <value> in the body of "def c1():": alone, in a try: with an except or finally clause, or after a bare return
            line 11: expected a value after yield (what __enter__ returns), such as None or 1, found the end of the line
            line 16: expected a bare yield on the line after return (unreachable, it makes the function a generator)
            line 17: nothing follows the unreachable yield (a generator that returns before it yields has only its pre statements), found "log('L4')"
            line 23: nothing follows the unreachable yield (a generator that returns before it yields has only its pre statements), found "log('L5')"
            line 28: expected yield <value>, the only statement in the try: around it, found "log('L6')"
            line 37: expected nothing after yield <value>, the only statement in the try: around it, found "log('L10')"
            line 40: a second except: the try: around the yield has at most one
            line 42: the try: around the yield has no else: (what follows the yield comes after the try)
            line 51: except clauses come before else: and finally:
            line 53: a second finally: in one try:
            line 58: expected except or finally: after the try: around the yield (without either, the yield stands alone, with no try:)
            line 65: expected the end of the line, found "21"
            line 67: the handler is bound as e_h22, so its label is "h22", found "handler('h23')"
        "#]],
    );
}

#[test]
fn contextlib_items_that_are_wrong_are_reported() {
    check_err(
        "\
def main():
    with c0:
        pass
    with c00():
        pass
    with suppress(E1 KeyError):
        pass
    with suppress(1):
        pass
    with nullcontext():
        pass
    with nullcontext(1, 2):
        pass
    with closing(1):
        pass
    with closing(Closer('k1')):
        pass
    with closing(Closer('k2', 3)):
        pass
    with closing(Closer('k3', None):
        pass
    with contextmanager():
        pass
",
        expect![[r#"
            line 2: expected '(' (a @contextmanager manager is created with no arguments, as in c0()), found ":"
            line 4: expected a manager such as M0(), c0(), suppress(E1), nullcontext(1), closing(Closer('k1', None)), closing(g0()), ExitStack(), st.pop_all(), a variable such as m1 or a literal such as 1, found "c00():"
            line 6: expected ',' or ')', found "KeyError):"
            line 8: expected an exception class such as E1 or KeyError, found "1):"
            line 10: expected a value, as in nullcontext(None), found "):"
            line 12: expected ')', found ", 2):"
            line 14: expected Closer('k1', None) or a generator function call such as g0() (what closing wraps), found "1):"
            line 16: expected ',', found ")):"
            line 18: expected None or an exception class such as E1 (what close() raises), found "3)):"
            line 20: expected ')', found ":"
            line 22: expected a manager such as M0(), c0(), suppress(E1), nullcontext(1), closing(Closer('k1', None)), closing(g0()), ExitStack(), st.pop_all(), a variable such as m1 or a literal such as 1, found "contextmanager():"
        "#]],
    );
}

#[test]
fn contextmanager_functions_are_validated() {
    check_err(
        "\
@contextmanager
def c0():
    with M0():
        yield 'y1'
    try:
        yield 2
    except E1 as e_h3:
        handler('h3')
        show('x', x)
        yield 'y4'
    finally:
        fin('f5')
        drive('d6', g0(), 'all', 0, None)
    for _ in range(1):
        yield 'y7'
    yield 'y8'
    yield 'y9'

def main():
    with c1():
        pass
",
        expect![[r#"
            line 2: only post may yield again
            line 2: post holds at most one yield, at its top level
            line 3: manager M0 is not defined
            line 9: `x` is not bound here
            line 13: drive inside a generator function
            line 13: generator function g0 is not defined
            line 20: context manager function c1 is not defined
        "#]],
    );
}

#[test]
fn odd_contextlib_input_gives_diagnostics_not_panics() {
    for text in [
        "@",
        "@contextmanager",
        "@contextmanager\n",
        "@contextmanager\n@contextmanager\ndef c0():\n    yield 1\ndef main():\n    pass",
        "@contextmanager\ndef c0():",
        "@contextmanager\ndef c0():\n    try:",
        "@contextmanager\ndef c0():\n    try:\n        yield",
        "@contextmanager\ndef c0():\n    try:\n        yield 1\n    except",
        "@contextmanager\ndef c0():\n    try:\n        yield 1\n    finally:",
        "@contextmanager\ndef c0():\n    try:\n            yield 1\n    finally:\n        fin('f1')",
        "@contextmanager\ndef c0():\n    return",
        "@contextmanager\ndef c0():\n    return\n        yield",
        "@contextmanager\ndef c0():\n    yield (",
        "@contextmanager\ndef c0():\n    try:\n        yield 1\n    except E1:\n        handler('h1')\n    else:",
        "def main():\n    with suppress(",
        "def main():\n    with suppress(E1,",
        "def main():\n    with nullcontext(",
        "def main():\n    with closing(Closer('k1', None)",
        "def main():\n    with c0() as",
        "def main():\n    with c99999999999999999999999():\n        pass",
    ] {
        assert!(parse(text).is_err(), "{text:?}");
    }
}

// ---- async generators, @asynccontextmanager, re-entry, exit stacks, stepping ----

#[test]
fn async_generator_functions_and_adrive_read_back() {
    let text = "\
class M0:
    def __init__(self):
        on_init('M0')
    async def __aenter__(self):
        on_aenter('M0')
        return self
    async def __aexit__(self, t, v, tb):
        on_aexit('M0', t, v, tb)
        return None

async def g0():
    log('L1')
    await Aw('s2', True, None)
    async with M0() as x:
        yield 'y3'
        show('x', x)
    try:
        yield 'y4'
    finally:
        fin('f5')
        await Aw('s6', True, None)

def g1():
    yield 'y7'

async def main():
    await adrive('d8', g0(), 'all', 0, None)
    await adrive('d9', g0(), 'close', 1, None)
    await adrive('d10', g0(), 'throw', 2, StopAsyncIteration('r11'))
    drive('d12', g1(), 'throw', 1, S1('r13'))
";
    roundtrip(text);
    let program = parse(text).unwrap();
    assert_eq!(program.gens.iter().map(|g| g.is_async).collect::<Vec<_>>(), [true, false]);
}

#[test]
fn asynccontextmanager_functions_read_back() {
    let text = "\
@contextmanager
def c0():
    yield None

@asynccontextmanager
async def c1():
    await Aw('s1', True, None)
    try:
        yield co('a2', True, 5)
    except S2 as e_h3:
        handler('h3')
        with c0() as y:
            show('y', y)
    finally:
        fin('f4')
        await Aw('s5', True, None)
    async with c2():
        pass
    yield 'y6'

@asynccontextmanager
async def c2():
    return
    yield  # unreachable: it makes c() a generator function

async def main():
    async with c1() as x:
        show('x', x)
    with c0():
        async with c2():
            pass
";
    roundtrip(text);
    let program = parse(text).unwrap();
    assert_eq!(program.cms.iter().map(|c| c.is_async).collect::<Vec<_>>(), [false, true, true]);
    assert_eq!(
        program.cms[1].yields,
        Some(Value::Awaitable {
            label: label("a2"),
            suspend: true,
            then: Box::new(AwaitThen::Return(Value::Int(5))),
            coroutine: true
        })
    );
}

#[test]
fn a_manager_bound_to_a_name_is_entered_again() {
    let text = "\
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
    yield 1

def main():
    m1 = c0()
    with m1 as a:
        show('a', a)
    with m1:
        pass
    m2 = M0()
    n = nullcontext(3)
    with m2, n as b, m2 as (c, d):
        show('b', b)
    x = 5
    t2 = (1, 2)
    s = suppress(E1, NameError)
    with s:
        raise E1('r1')
    with x as (e,):
        pass
";
    roundtrip(text);
    let program = parse(text).unwrap();
    assert_eq!(program.main[0], Stmt::Assign { name: label("m1"), expr: ItemExpr::Cm(0, Vec::new()) });
    let Stmt::With { items, .. } = &program.main[2] else { panic!("{:?}", program.main[2]) };
    assert_eq!(items, &[WithItem { expr: ItemExpr::Var(label("m1")), target: Target::None }]);
    assert_eq!(
        program.main[7],
        Stmt::Assign { name: label("t2"), expr: ItemExpr::Literal(Value::Tuple(vec![Value::Int(1), Value::Int(2)])) }
    );
}

#[test]
fn exit_stacks_read_back_with_every_operation() {
    roundtrip(
        "\
class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        return self
    def __exit__(self, t, v, tb):
        on_exit('M0', t, v, tb)
        return None
    async def __aenter__(self):
        on_aenter('M0')
        return self
    async def __aexit__(self, t, v, tb):
        on_aexit('M0', t, v, tb)
        return None

@contextmanager
def c0():
    yield 'y1'

def g0():
    yield 'y18'

async def main():
    with ExitStack() as st:
        st.enter_context(M0())
        x = st.enter_context(c0())
        show('x', x)
        st.push(M0())
        st.push(c0())
        st.push(Xf('x2', True))
        st.push(Xf('x3', Bool('b4', False)))
        st.push(Xf('x5', Len('n6', 0)))
        st.push(Xf('x7', KeyError))
        st.push(Xf('x8', None))
        st.push(Xf('x9', 2))
        st.callback(cb, 'k10', None)
        st.callback(cb, 'k11', E1)
        st.enter_context(closing(g0()))
        with st.pop_all() as s2:
            s2.close()
        st.close()
    async with AsyncExitStack() as ast:
        await ast.enter_async_context(M0())
        y = await ast.enter_async_context(M0())
        show('y', y)
        ast.enter_context(M0())
        ast.push_async_exit(M0())
        ast.push_async_exit(AXf('x12', False, None))
        ast.push_async_exit(AXf('x13', True, S2))
        ast.push(Xf('x14', False))
        ast.push_async_callback(acb, 'k15', None)
        ast.push_async_callback(acb, 'k16', E1)
        ast.callback(cb, 'k17', None)
        async with ast.pop_all() as s3:
            await s3.aclose()
        s4 = ast.pop_all()
        await ast.aclose()
    st2 = ExitStack()
    with st2 as st3:
        m = M0()
        st3.enter_context(m)
        st2.push(st3)
",
    );
}

#[test]
fn a_name_bound_to_a_stack_call_is_an_entered_manager_and_anything_else_an_assignment() {
    let program = parse(
        "\
class M0:
    def __init__(self):
        on_init('M0')

async def main():
    async with AsyncExitStack() as st:
        x = st.enter_context(M0())
        y = await st.enter_async_context(M0())
        z = st.pop_all()
        w = st
",
    )
    .unwrap();
    let Stmt::With { body, .. } = &program.main[0] else { panic!("{:?}", program.main) };
    let stack = |op| Stmt::Stack { stack: label("st"), op };
    assert_eq!(
        body,
        &[
            stack(StackOp::Enter { expr: ItemExpr::New(0), is_async: false, target: Some(label("x")) }),
            stack(StackOp::Enter { expr: ItemExpr::New(0), is_async: true, target: Some(label("y")) }),
            Stmt::Assign { name: label("z"), expr: ItemExpr::PopAll(label("st")) },
            Stmt::Assign { name: label("w"), expr: ItemExpr::Var(label("st")) },
        ]
    );
}

#[test]
fn an_exit_function_returns_a_value_or_raises_a_class() {
    let program = parse(
        "\
async def main():
    async with AsyncExitStack() as st:
        st.push(Xf('x1', Bool('b2', NameError)))
        st.push_async_exit(AXf('x3', True, StopAsyncIteration))
",
    )
    .unwrap();
    let Stmt::With { body, .. } = &program.main[0] else { panic!("{:?}", program.main) };
    let push = |label: &str, is_async, suspend, result| Stmt::Stack {
        stack: "st".to_string(),
        op: StackOp::PushFn(ExitFn { label: label.to_string(), is_async, suspend, result }),
    };
    let bool_raises = Value::BoolObj { label: label("b2"), result: BoolResult::Raise(ExcClass::NameError) };
    assert_eq!(
        body,
        &[
            push("x1", false, false, ExitFnResult::Return(bool_raises)),
            push("x3", true, true, ExitFnResult::Raise(ExcClass::StopAsyncIteration)),
        ]
    );
}

#[test]
fn closing_and_aclosing_of_stepped_generators_read_back() {
    roundtrip(
        "\
class M0:
    def __init__(self):
        on_init('M0')

def g0():
    yield 'y1'
    yield 'y2'

async def g1():
    yield 'y3'
    await Aw('s4', True, None)
    yield 'y5'

async def main():
    with closing(g0()) as a:
        step('d6', a, 1)
        log('L7')
        step('d8', a, 2)
    async with aclosing(g1()) as b:
        await astep('d9', b, 5)
    with M0(), closing(g0()):
        pass
    async with M0() as c, aclosing(g1()) as d:
        show('c', c)
        await astep('d10', d, 1)
",
    );
}

#[test]
fn the_new_exception_classes_and_coroutines_read_back() {
    roundtrip(
        "\
def main():
    with suppress(S1, S2, NameError, StopAsyncIteration):
        raise S2('r1') from StopAsyncIteration('c2')
    try:
        raise S1('r3')
    except NameError:
        handler('h4')
    return ret('v5', Bool('b6', S1))
",
    );
    let values = [
        "co('a1', True, None)",
        "co('a1', False, S1)",
        "co('a1', True, co('a2', False, Aw('a3', True, 1)))",
        "(co('a1', False, ()), Aw('a2', False, StopAsyncIteration))",
    ];
    for v in values {
        roundtrip(&format!("async def main():\n    return ret('v1', {v})\n"));
    }
    let program = parse("def main():\n    return ret('v1', co('a1', False, E2))\n").unwrap();
    let coroutine = Value::Awaitable {
        label: label("a1"),
        suspend: false,
        then: Box::new(AwaitThen::Raise(ExcClass::E2)),
        coroutine: true,
    };
    assert_eq!(program.main, vec![Stmt::Return { label: label("v1"), value: coroutine }]);
}

#[test]
fn a_program_of_every_new_construct_built_by_hand_reads_back() {
    let stack = |op| Stmt::Stack { stack: label("st"), op };
    let exit_fn = |l: &str, is_async, suspend, result| ExitFn { label: label(l), is_async, suspend, result };
    let item = |expr, target| WithItem { expr, target };
    let program = Program {
        managers: vec![plain_manager()],
        cms: vec![crate::ir::CmGen {
            is_async: true,
            params: Vec::new(),
            pre: vec![Stmt::Await(label("s1"))],
            yields: Some(Value::Awaitable {
                label: label("a2"),
                suspend: false,
                then: Box::new(AwaitThen::Raise(ExcClass::S1)),
                coroutine: true,
            }),
            handler: None,
            finally: Some((label("f3"), vec![Stmt::Await(label("s4"))])),
            post: vec![],
        }],
        gens: vec![
            GenFn { is_async: true, body: vec![Stmt::Await(label("s5")), Stmt::Yield(label("y6"))] },
            GenFn { is_async: false, body: vec![Stmt::Yield(label("y7")), Stmt::Yield(label("y8"))] },
        ],
        main: vec![
            Stmt::Assign { name: label("m1"), expr: ItemExpr::Cm(0, Vec::new()) },
            Stmt::With {
                parens: Parens::No,
                is_async: true,
                items: vec![
                    item(ItemExpr::Var(label("m1")), Target::None),
                    item(ItemExpr::ExitStack { is_async: true }, Target::Name(label("st"))),
                ],
                body: vec![
                    stack(StackOp::Enter {
                        expr: ItemExpr::Var(label("m1")),
                        is_async: true,
                        target: Some(label("x")),
                    }),
                    stack(StackOp::Push { expr: ItemExpr::New(0), is_async: false }),
                    stack(StackOp::PushFn(exit_fn("x9", true, true, ExitFnResult::Raise(ExcClass::S2)))),
                    stack(StackOp::PushFn(exit_fn(
                        "x10",
                        false,
                        false,
                        ExitFnResult::Return(Value::LenObj { label: label("n11"), len: 2 }),
                    ))),
                    stack(StackOp::Callback { label: label("k12"), raises: Some(ExcClass::NameError), is_async: true }),
                    stack(StackOp::Close { is_async: true }),
                    Stmt::Drive { label: label("d13"), gen: 0, how: crate::ir::Drive::Close(1), then: None },
                ],
            },
            Stmt::With {
                parens: Parens::No,
                is_async: true,
                items: vec![item(ItemExpr::ClosingGen { gen: 0, is_async: true }, Target::Name(label("a")))],
                body: vec![Stmt::Step { label: label("d14"), var: label("a"), k: 2, is_async: true }],
            },
            Stmt::With {
                parens: Parens::No,
                is_async: false,
                items: vec![item(ItemExpr::ClosingGen { gen: 1, is_async: false }, Target::Name(label("b")))],
                body: vec![Stmt::Step { label: label("d15"), var: label("b"), k: 1, is_async: false }],
            },
        ],
        is_async: true,
        decos: Vec::new(),
    };
    assert_eq!(validate(&program), vec![]);
    let text = render::body(&program);
    assert!(text.contains("await adrive('d13', g0(), 'close', 1, None)"), "{text}");
    assert_eq!(parse(&text), Ok(program.clone()));
    assert_eq!(parse(&render::standalone(&program)), Ok(program));
}

#[test]
fn drives_steps_and_stack_operations_that_are_wrong_are_reported() {
    check_err(
        "\
async def g0():
    yield 'y1'

def g1():
    yield 'y2'

async def main():
    drive('d3', g0(), 'all', 0, None)
    await adrive('d4', g1(), 'all', 0, None)
    await drive('d5', g1(), 'all', 0, None)
    adrive('d6', g0(), 'all', 0, None)
    step('d7', 'a', 1)
    step('d8', a, 300)
    with aclosing(Closer('k9', None)):
        pass
    with closing(g0) as a:
        pass
    with ExitStack as st:
        pass
    with st.enter_context(M0()):
        pass
    with ExitStack() as st:
        st.frobnicate()
        st.aclose()
        await st.close()
        st.push(AXf('x10', False, None))
        st.push_async_exit(Xf('x11', None))
        st.push(Xf('x12', Foo))
        st.push_async_exit(AXf('x13', None, None))
        st.callback(acb, 'k14', None)
        st.callback(cb, 'k15', 3)
        st.close(1)
        x = st.push(M0())
        x = await Aw('a16', True, None)
        x = st.enter_async_context(M0())
        x = await st.enter_context(M0())
        x = foo()
        x =
        x = M0() as y
        st.pop_all()
        st.
    return ret('v17', co('a18', maybe, None))
",
        expect![[r#"
            line 8: expected await adrive(...): g0 is an async generator function, found "drive('d3', g0(), 'all', 0, None)"
            line 9: expected drive(...) without await: g1 is a generator or coroutine function, found "await adrive('d4', g1(), 'all', 0, None)"
            line 10: expected Aw('s1', True, None), adrive(...), astep(...), g1() or a stack method such as st.aclose() after await, found "drive('d5', g1(), 'all', 0, None)"
            line 11: expected await before adrive (it is a coroutine function), found "adrive('d6', g0(), 'all', 0, None)"
            line 12: expected the variable bound by closing, as in step('d1', a, 2), found "'a', 1)"
            line 13: expected how many items to advance, from 1 to 5, found "300)"
            line 14: expected a generator function call such as g0() (aclosing wraps an async generator), found "Closer('k9', None)):"
            line 16: expected '(' (a generator function is called with no arguments, as in g0()), found ") as a:"
            line 18: expected '(' (an exit stack is created with no arguments, as in ExitStack()), found "as st:"
            line 20: expected pop_all() (the one stack method that makes a manager; the others are statements), found "enter_context(M0()):"
            line 23: expected an exit stack method: enter_context, push, push_async_exit, callback, push_async_callback or close, found "frobnicate()"
            line 24: expected await before st.aclose (it is a coroutine method), found "st.aclose()"
            line 25: expected enter_async_context or aclose (the stack methods that are awaited), found "close()"
            line 26: expected Xf (push takes Xf('x1', None), push_async_exit AXf('x1', False, None)), found "AXf('x10', False, None))"
            line 27: expected AXf (push takes Xf('x1', None), push_async_exit AXf('x1', False, None)), found "Xf('x11', None))"
            line 28: expected what a call gives: an exception class such as E1 or a value such as None, found "Foo))"
            line 29: expected True or False (whether it suspends once), found "None, None))"
            line 30: expected cb (what callback registers, as in st.callback(cb, 'k1', None)), found "acb, 'k14', None)"
            line 31: expected None or an exception class such as E1 (what the callback raises), found "3)"
            line 32: expected ')' (close() takes no arguments), found "1)"
            line 33: expected enter_context or, after await, enter_async_context (what a stack method binds to a name is what entering gives), found "push(M0())"
            line 34: expected a stack method such as st.enter_async_context(M0()) after await (the only await that binds a name), found "Aw('a16', True, None)"
            line 35: expected await before st.enter_async_context (it is a coroutine method), found "st.enter_async_context(M0())"
            line 36: expected enter_async_context or aclose (the stack methods that are awaited), found "enter_context(M0())"
            line 37: expected a manager such as M0(), c0(), suppress(E1), nullcontext(1), closing(Closer('k1', None)), closing(g0()), ExitStack(), st.pop_all(), a variable such as m1 or a literal such as 1, found "foo()"
            line 38: expected a manager such as M0(), c0(), suppress(E1), nullcontext(1), closing(Closer('k1', None)), closing(g0()), ExitStack(), st.pop_all(), a variable such as m1 or a literal such as 1, found the end of the line
            line 39: expected the end of the line, found "as y"
            line 40: expected an exit stack method: enter_context, push, push_async_exit, callback, push_async_callback or close (pop_all() makes a manager, as in with st.pop_all() as s: or s = st.pop_all()), found "pop_all()"
            line 41: expected an exit stack method: enter_context, push, push_async_exit, callback, push_async_callback or close, found the end of the line
            line 42: expected True or False (whether it suspends once), found "maybe, None))"
        "#]],
    );
}

#[test]
fn async_contextlib_functions_that_are_wrong_are_reported() {
    check_err(
        "\
@asynccontextmanager
def c0():
    yield 1

@contextmanager
async def c1():
    yield 2

async def c2():
    yield 3

@asynccontextmanager
class M0:
    def __init__(self):
        on_init('M0')

def main():
    pass
",
        expect![[r#"
            line 2: expected async def c0(): on the line after @asynccontextmanager, found "def c0():"
            line 6: expected def c1(): on the line after @contextmanager, found "async def c1():"
            line 9: expected @asynccontextmanager on the line before "async def c2():"
            line 12: expected async def c3(): on the line after @asynccontextmanager, found "class M0:"
            line 13: manager classes come before the @contextmanager functions
        "#]],
    );
}

#[test]
fn new_constructs_are_validated_where_they_stand() {
    check_err(
        "\
async def g0():
    yield 'y1'
    return ret('v2', None)

def g1():
    yield 'y3'

def main():
    await adrive('d4', g0(), 'all', 0, None)
    m1 = closing(g1())
    with closing(g1()) as a:
        with M0():
            step('d5', a, 1)
        step('d6', a, 0)
        await astep('d7', a, 1)
    st.close()
    with ExitStack() as st:
        await st.aclose()
        st.push_async_callback(acb, 'k8', None)
        st.push(Xf('x9', 'no'))
        x = st.enter_context(M9())
    with aclosing(g1()):
        pass
    show('x', x)
    with m2:
        pass
    with e_h1.pop_all():
        pass
",
        expect![[r#"
            line 3: an async generator cannot return a value
            line 9: an async generator is driven by `await adrive(...)`, in async code
            line 10: a closing(g0()) is only stepped inside its own with
            line 12: manager M0 is not defined
            line 13: a step is a top-level statement of the body of `with closing(g<n>()) as a:`
            line 14: a step advances 1 to 5 items
            line 15: a step is a top-level statement of the body of `async with aclosing(g<n>()) as a:`
            line 15: await outside an async function
            line 16: `st` holds no exit stack here
            line 18: ExitStack has close(), AsyncExitStack aclose()
            line 18: await outside an async function
            line 19: push_async_callback is a method of AsyncExitStack only
            line 20: an exit function returns None, a bool, an int, Bool(...) or Len(...)
            line 21: manager M9 is not defined
            line 22: closing takes a generator, aclosing an async generator
            line 25: `m2` is not bound here
            line 27: `e_h1` holds no exit stack here
        "#]],
    );
}

#[test]
fn odd_input_of_the_new_forms_gives_diagnostics_not_panics() {
    for text in [
        "async def g0",
        "async def g0():",
        "@asynccontextmanager",
        "@asynccontextmanager\nasync def c0():",
        "@asynccontextmanager\nasync def c0():\n    try:\n        yield co(",
        "async def main():\n    await adrive(",
        "async def main():\n    await adrive('d1', g0(",
        "async def main():\n    await astep(",
        "async def main():\n    await astep('d1', a,",
        "async def main():\n    await st.",
        "async def main():\n    await st.aclose(",
        "def main():\n    step('d1', a, -1)",
        "def main():\n    step('d1', a, 99999999999999999999)",
        "def main():\n    x =",
        "def main():\n    x = =",
        "def main():\n    x = await",
        "def main():\n    x = await st",
        "def main():\n    x = await st.",
        "def main():\n    x = st.enter_context(",
        "def main():\n    st.",
        "def main():\n    st.push(",
        "def main():\n    st.push(Xf(",
        "def main():\n    st.push(Xf('x1',",
        "def main():\n    st.push_async_exit(AXf('x1', True,",
        "def main():\n    st.callback(",
        "def main():\n    st.callback(cb, 'k1',",
        "def main():\n    with closing(",
        "def main():\n    with aclosing(g0(",
        "def main():\n    with AsyncExitStack(",
        "def main():\n    with st.pop_all(",
        "def main():\n    with st.",
        "def main():\n    with m1 as",
        "def main():\n    return ret('v1', co(",
        "def main():\n    .close()",
        "def main():\n    = 1",
    ] {
        assert!(parse(text).is_err(), "{text:?}");
    }
}

#[test]
fn throws_into_awaitables_by_hand_read_back() {
    roundtrip(
        "\
async def g0():
    yield 'y1'

async def main():
    await adrive('d2', g0(), 'anext.throw', 1, E1)
    await adrive('d3', g0(), 'aclose.throw+again', 0, E1('r4'))
    await adrive('d5', g0(), 'athrow.throw+again', 1, (E2, E2('r6'), None))
    await adrive('d7', g0(), 'anext.throw+next', 1, E1('r8'))
    await adrive('d9', g0(), 'all+next', 0, None)
",
    );
    let program = parse(
        "async def g0():\n    yield 'y1'\n\nasync def main():\n    await adrive('d2', g0(), 'aclose.throw', 0, E3)\n",
    );
    assert_eq!(
        program.map(|p| p.main),
        Ok(vec![Stmt::Drive {
            label: "d2".to_string(),
            gen: 0,
            how: crate::ir::Drive::AwThrow(0, crate::ir::AwOp::Close, crate::ir::Thrown::Class(ExcClass::E3)),
            then: None,
        }])
    );
}

#[test]
fn throws_into_awaitables_by_hand_that_are_wrong_are_reported() {
    check_err(
        "\
def g0():
    yield 'y1'

async def g1():
    yield 'y2'

async def main():
    drive('d3', g0(), 'anext.throw', 1, E1)
    await adrive('d4', g1(), 'anext.throw+close', 1, E1)
    await adrive('d5', g1(), 'close+next', 1, None)
    drive('d6', g0(), 'all+next', 0, None)
",
        expect![[r#"
            line 8: only an async generator's awaitables are thrown into by hand ('anext.throw', ...)
            line 9: after a throw into an awaitable only '+again' or '+next' may follow
            line 10: '+next' follows only a throw into an awaitable ('anext.throw+next', ...) or 'all'
            line 11: only adrive awaits __anext__() after its drive ('+next')
        "#]],
    );
    check_err(
        "async def g0():\n    yield 'y1'\n\nasync def main():\n    await adrive('d2', g0(), 'athrow.throw', 1, None)\n",
        expect![[r#"
            line 5: expected an exception to throw, such as E1('r1'), e_h1, E1 or (E1, E1('r1'), None), found "None)"
        "#]],
    );
}

#[test]
fn decorated_functions_round_trip() {
    // §14: a @contextmanager object, a ContextDecorator mixin on a method, an async function.
    roundtrip(
        "class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        return self
    def __exit__(self, t, v, tb):
        on_exit('M0', t, v, tb)
        return True

class M1(M0, ContextDecorator):
    def __init__(self):
        on_init('M1')

@contextmanager
def c0():
    yield None

@asynccontextmanager
async def c1():
    yield None

async def main():
    @c0()
    def f0(n, k):
        show('n', n)
        show('k', k)
        if n:
            f0(n - 1, k=k + 1)
    class F1:
        @M1()
        def f1(self, n, k):
            show('n', n)
            show('k', k)
            if n:
                self.f1(n - 1, k=k + 1)
            raise E1('r1')
    @c1()
    async def f2(n, k):
        show('n', n)
        show('k', k)
        if n:
            await f2(n - 1, k=k + 1)
        return ret('v2', 3)
    f0(2, k=0)
    x = F1().f1(0, k=0)
    show('x', x)
    y = await f2(1, k=0)
",
    );
}

#[test]
fn decorated_function_errors() {
    // A call written without the await its async function needs, and one of a method as a function.
    check_err(
        "@asynccontextmanager
async def c0():
    yield None

async def main():
    @c0()
    async def f0(n, k):
        show('n', n)
        show('k', k)
        if n:
            await f0(n - 1, k=k + 1)
    f0(1, k=0)
",
        expect![[r#"
            line 12: expected a call of f0 with await, found "f0(1, k=0)"
        "#]],
    );
    check_err(
        "@contextmanager
def c0():
    yield None

def main():
    @c0()
    def f0(n, k):
        show('n', n)
        show('k', k)
        if n:
            f0(n - 2, k=k + 1)
    f0(1, k=0)
",
        expect![[r#"
            line 11: expected f0(n - 1, k=k + 1) in f0, found "f0(n - 2, k=k + 1)"
        "#]],
    );
    // Validation: a call of a decorated function outside main, a yield in one, too deep a recursion.
    let mut p = parse(
        "@contextmanager
def c0():
    yield None

def g0():
    yield 'y1'

def main():
    @c0()
    def f0(n, k):
        show('n', n)
        show('k', k)
        if n:
            f0(n - 1, k=k + 1)
    f0(3, k=0)
",
    )
    .unwrap_or_else(|d| panic!("{}", show(&d)));
    p.gens[0].body.push(Stmt::Call { fun: 0, n: 0, target: None });
    p.decos[0].body.push(Stmt::Yield("y2".to_string()));
    p.main[0] = Stmt::Call { fun: 0, n: 4, target: None };
    expect![[r#"
        g0[1]: a decorated function is called only from main, where it is defined
        f0[0]: a decorated function's body has no yield, drive, exit stack, stepped generator, await g<n>() or call of a decorated function
        f0[0]: yield outside a generator function
        main[0]: a decorated function calls itself at most 3 times
    "#]].assert_eq(&show(&validate(&p)));
}

#[test]
fn direct_protocol_calls_read_back_into_the_ir() {
    let text = "\
class M0:
    def __init__(self):
        on_init('M0')
    def __enter__(self):
        on_enter('M0')
        return self
    def __exit__(self, t, v, tb):
        on_exit('M0', t, v, tb)
        return None
    async def __aenter__(self):
        on_aenter('M0')
        return self
    async def __aexit__(self, t, v, tb):
        on_aexit('M0', t, v, tb)
        return None

async def main():
    m1 = M0()
    show('d1', m1.__enter__())
    show('d2', m1.__exit__(None, None, None))
    show('d3', m1.__exit__(E1, E1('x1'), None))
    show('d4', m1.__exit__(RuntimeError, None, None))
    show('d5', await m1.__aenter__())
    show('d6', await m1.__aexit__(KeyError, None, None))
";
    roundtrip(text);
    let program = parse(text).unwrap();
    let direct = |label: &str, is_async: bool, call: DirectCall| Stmt::Direct {
        label: label.to_string(),
        var: "m1".to_string(),
        is_async,
        call,
    };
    assert_eq!(
        program.main[1..],
        [
            direct("d1", false, DirectCall::Enter),
            direct("d2", false, DirectCall::Exit(Triple::Nones)),
            direct("d3", false, DirectCall::Exit(Triple::Exc(exc(ExcClass::E1, "x1")))),
            direct("d4", false, DirectCall::Exit(Triple::TypeOnly(ExcClass::RuntimeError))),
            direct("d5", true, DirectCall::Enter),
            direct("d6", true, DirectCall::Exit(Triple::TypeOnly(ExcClass::KeyError))),
        ]
    );
}

#[test]
fn direct_calls_need_a_manager_only_an_assignment_binds() {
    let class = "\
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
    check_err(
        &format!("{class}def main():\n    show('d1', m1.__enter__())\n"),
        expect![[r#"
            line 12: `m1` is not bound here
        "#]],
    );
    check_err(
        &format!("{class}def main():\n    with M0() as m1:\n        show('d1', m1.__exit__(None, None, None))\n"),
        expect![[r#"
            line 13: `m1` of a direct __exit__ call is bound only by `m1 = M<n>()` of a class with a plain method there, or `m1 = c<n>()` of that protocol
        "#]],
    );
    check_err(
        &format!("{class}async def main():\n    m1 = M0()\n    show('d1', await m1.__aenter__())\n"),
        expect![[r#"
            line 13: `m1` of a direct __aenter__ call is bound only by `m1 = M<n>()` of a class with a plain method there, or `m1 = c<n>()` of that protocol
        "#]],
    );
    check_err(
        &format!("{class}def main():\n    m1 = M0()\n    show('d1', m1.__exit__(E1, E2('x1'), None))\n"),
        expect![[r#"
            line 13: expected an instance of E1 itself, found "E2('x1'), None))"
        "#]],
    );
    check_err(
        &format!("{class}def main():\n    m1 = M0()\n    show('d1', m1.__aexit__(None, None, None))\n"),
        expect![[r#"
            line 13: expected __enter__ or __exit__, found "__aexit__(None, None, None))"
        "#]],
    );
}

#[test]
fn nested_subscript_targets_read_back() {
    // §8.2: the item loaded from a call's result, then stored into, alone and in a tuple.
    roundtrip(
        "\
def main():
    with nullcontext(1) as Sink('o1', None)['j']['k']:
        pass
    with nullcontext((1, 2)) as (Sink('o2', E1)['j'].a, Sink('o3', None)['k']):
        pass
",
    );
    let program = parse("def main():\n    with nullcontext(1) as Sink('o1', None)['j'].a:\n        pass\n");
    let Ok(program) = program else { panic!("parses") };
    let Stmt::With { items, .. } = &program.main[0] else { panic!("a with") };
    assert_eq!(
        items[0].target,
        crate::ir::Target::Store(crate::ir::Store {
            obj: crate::ir::StoreObj::Loaded { label: "o1".to_string(), raises: None, key: "j".to_string() },
            key: crate::ir::Key::Attr("a".to_string()),
        })
    );
}
