//! Tests of the IR's walkers, its scope and the nesting limit, which a `python3` on PATH (when
//! there is one) confirms at the boundary.

use std::io::Write;
use std::process::{Command, Stdio};

use super::visit::{self, Flow, NodeMut, Path, Root, Step};
use super::*;
use crate::render;

fn with(body: Vec<Stmt>) -> Stmt {
    Stmt::With {
        parens: Parens::No,
        is_async: false,
        items: vec![WithItem { expr: ItemExpr::New(0), target: Target::None }],
        body,
    }
}

fn log(label: &str) -> Stmt {
    Stmt::Log(label.to_string())
}

fn handler(label: &str, bind: bool, body: Vec<Stmt>) -> Handler {
    Handler { label: label.to_string(), class: Some(ExcClass::E1), bind, body }
}

fn plain_manager() -> Manager {
    Manager {
        init_raises: None,
        enter: Method::Defined(Action::ReturnSelf),
        exit: Method::Defined(Action::Return(Value::None)),
        aenter: Method::AsyncDef { suspend: None, action: Action::ReturnSelf },
        aexit: Method::AsyncDef { suspend: None, action: Action::Return(Value::None) },
        base: None,
    }
}

fn program(main: Vec<Stmt>) -> Program {
    Program { managers: vec![plain_manager()], gens: vec![], cms: vec![], main, is_async: false, decos: Vec::new() }
}

/// `main` with a `with` (binding `x`), a loop in it, and a `try` whose handler binds `e_h1`,
/// then an assignment; a generator function; a `@contextmanager` function with a handler.
fn sample() -> Program {
    let item = WithItem { expr: ItemExpr::New(0), target: Target::Name("x".to_string()) };
    let t = Try {
        body: vec![log("L3")],
        handlers: vec![handler("h1", true, vec![log("L4")])],
        orelse: vec![],
        finally: Some(("f1".to_string(), vec![log("L5")])),
    };
    let main = vec![
        Stmt::With {
            parens: Parens::No,
            is_async: false,
            items: vec![item],
            body: vec![Stmt::Loop { times: 2, body: vec![log("L1"), Stmt::Break] }, Stmt::Show("x".to_string())],
        },
        Stmt::Try(Box::new(t)),
        Stmt::Assign { name: "m".to_string(), expr: ItemExpr::New(0) },
        log("L6"),
    ];
    let cm = CmGen {
        is_async: false,
        params: Vec::new(),
        pre: vec![log("L7")],
        yields: Some(Value::None),
        handler: Some(handler("h2", true, vec![log("L8")])),
        finally: None,
        post: vec![],
    };
    let gen = GenFn { is_async: true, body: vec![Stmt::Yield("y1".to_string())] };
    Program {
        managers: vec![plain_manager()],
        gens: vec![gen],
        cms: vec![cm],
        main,
        is_async: false,
        decos: Vec::new(),
    }
}

// ---- visit ----

#[test]
fn paths_print_as_diagnostics_name_them() {
    let p = Path::new(Root::Main).join(Step::Stmt(1)).join(Step::With).join(Step::Stmt(0)).join(Step::Item(2));
    assert_eq!(p.to_string(), "main[1].with[0].item[2]");
    let p = Path::new(Root::Cm(0)).join(Step::Handler).join(Step::Stmt(3)).join(Step::Except(1));
    assert_eq!(p.to_string(), "c0.except[3].except[1]");
    assert_eq!(Path::new(Root::Manager(2)).join(Step::Method(Slot::AExit)).to_string(), "M2.__aexit__");
    assert_eq!(Path::new(Root::Gen(1)).join(Step::Stmt(0)).join(Step::Finally).to_string(), "g1[0].finally");
    // Ordered as they are printed: managers, @contextmanager functions, generators, main.
    let mut paths = vec![Path::new(Root::Main), Path::new(Root::Gen(0)), Path::new(Root::Manager(1))];
    paths.sort();
    assert_eq!(paths, vec![Path::new(Root::Manager(1)), Path::new(Root::Gen(0)), Path::new(Root::Main)]);
    assert!(p.starts_with(&Path::new(Root::Cm(0)).join(Step::Handler)));
    assert!(!Path::new(Root::Main).starts_with(&p));
}

#[test]
fn stmts_gives_each_statement_before_those_inside_it() {
    let labels: Vec<String> = visit::stmts(&sample().main)
        .map(|s| match s {
            Stmt::Log(l) => l.clone(),
            Stmt::With { .. } => "with".to_string(),
            Stmt::Loop { .. } => "loop".to_string(),
            Stmt::Try(_) => "try".to_string(),
            other => format!("{other:?}").split([' ', '(']).next().unwrap_or_default().to_string(),
        })
        .collect();
    assert_eq!(labels, ["with", "loop", "L1", "Break", "Show", "try", "L3", "L4", "L5", "Assign", "L6"]);
}

#[test]
fn the_walk_gives_every_statement_its_path_and_scope() {
    let program = sample();
    let mut seen = Vec::new();
    visit::each_stmt(&program, |s, at| {
        let vars = [at.scope.vars(), at.scope.caught()].concat().join(",");
        let kind = format!("{s:?}").split([' ', '(', '{']).next().unwrap_or_default().to_string();
        seen.push(format!(
            "{} {kind} vars=[{vars}] loop={} handling={} blocks={}",
            at.path,
            at.scope.in_loop(),
            at.scope.handling(),
            at.scope.blocks()
        ));
        Flow::Continue
    });
    let expected = [
        "main[0] With vars=[] loop=false handling=false blocks=0",
        "main[0].with[0] Loop vars=[x] loop=false handling=false blocks=1",
        "main[0].with[0].loop[0] Log vars=[x] loop=true handling=false blocks=2",
        "main[0].with[0].loop[1] Break vars=[x] loop=true handling=false blocks=2",
        "main[0].with[1] Show vars=[x] loop=false handling=false blocks=1",
        "main[1] Try vars=[] loop=false handling=false blocks=0",
        "main[1].try[0] Log vars=[] loop=false handling=false blocks=2",
        "main[1].except[0][0] Log vars=[h1] loop=false handling=true blocks=3",
        "main[1].finally[0] Log vars=[] loop=false handling=true blocks=2",
        "main[2] Assign vars=[] loop=false handling=false blocks=0",
        "main[3] Log vars=[m] loop=false handling=false blocks=0",
        "g0[0] Yield vars=[] loop=false handling=false blocks=1",
        "c0.pre[0] Log vars=[] loop=false handling=false blocks=1",
        "c0.except[0] Log vars=[h2] loop=false handling=true blocks=3",
    ];
    assert_eq!(seen, expected);
}

#[test]
fn a_mutable_walk_skips_and_stops_where_told() {
    let mut program = sample();
    // Skipping the `with` leaves its loop's statements alone; the first Log after it is the
    // one the walk stops at.
    let mut visited = Vec::new();
    visit::each_stmt_mut(&mut program, |block, i, at| {
        visited.push(at.path.to_string());
        match &mut block[i] {
            Stmt::With { .. } => Flow::Skip,
            Stmt::Log(l) if l == "L3" => {
                *l = "L9".to_string();
                Flow::Stop
            }
            _ => Flow::Continue,
        }
    });
    assert_eq!(visited, ["main[0]", "main[1]", "main[1].try[0]"]);
    let Stmt::Try(t) = &program.main[1] else { panic!("{:?}", program.main[1]) };
    assert_eq!(t.body, vec![log("L9")]);
}

#[test]
fn every_node_is_visited_statements_first_then_contextmanagers_then_managers() {
    let mut program = sample();
    program
        .main
        .insert(0, Stmt::Raise(RaiseNew { exc: NewExc { class: ExcClass::E2, label: "r1".into() }, cause: None }));
    program.cms[0].yields = Some(Value::Tuple(vec![Value::Int(1)]));
    program.managers[0].init_raises = Some(NewExc { class: ExcClass::E3, label: "r2".into() });
    let mut seen = Vec::new();
    visit::each_node_mut(&mut program, |node| {
        seen.push(match node {
            NodeMut::Expr(e) => format!("expr {e:?}"),
            NodeMut::Class(c) => format!("class {}", c.name()),
            NodeMut::Handler { handler, last } => format!("handler {} last={last}", handler.label),
            NodeMut::Value(v) => format!("value {v:?}"),
            NodeMut::Raise(r) => format!("raise {}", r.exc.label),
        });
        Flow::Continue
    });
    let expected = [
        "raise r1",
        "class E2",
        "expr New(0)",
        "handler h1 last=true",
        "expr New(0)",
        "value Tuple([Int(1)])",
        "value Int(1)",
        "handler h2 last=true",
        "class E3",
        "value None",
        "value None",
    ];
    assert_eq!(seen, expected);
}

// ---- scope ----

#[test]
fn what_a_statement_binds_holds_after_it_in_its_block_only() {
    let stack = WithItem { expr: ItemExpr::ExitStack { is_async: true }, target: Target::Name("st".to_string()) };
    let top = Scope::function(Func::Main { is_async: true });
    let inner = top.with_body(&[stack]);
    assert_eq!(inner.stack("st"), Some(true));
    assert!(inner.is_pinned("st"));
    let mut after = inner.clone();
    after.after(&Stmt::Assign { name: "s2".to_string(), expr: ItemExpr::PopAll("st".to_string()) });
    assert_eq!(after.stack("s2"), Some(true), "pop_all gives a stack of the same kind");
    after.after(&Stmt::Assign { name: "s2".to_string(), expr: ItemExpr::New(0) });
    assert_eq!(after.stack("s2"), None, "bound again to a manager, it is no stack");
    assert!(after.is_bound("s2"));
    assert!(!top.is_bound("st"), "nothing leaks out of a block");
    let closing =
        WithItem { expr: ItemExpr::ClosingGen { gen: 0, is_async: false }, target: Target::Name("g".to_string()) };
    let body = top.with_body(&[closing]);
    assert_eq!(body.step(), Some(("g", false)));
    assert_eq!(body.loop_body().step(), None, "a step stands at the top of the body only");
    let h = top.handler_body(Some("h1"), Clauses { handlers: true, finally: false });
    assert!(h.is_bound("e_h1") && h.catches("h1") && h.handling());
    assert!(!h.is_bound("e_h2"));
}

#[test]
fn blocks_count_as_cpython_counts_them_or_more() {
    let top = Scope::function(Func::Main { is_async: false });
    assert_eq!(top.blocks(), 0);
    assert_eq!(Scope::function(Func::Main { is_async: true }).blocks(), 1);
    assert_eq!(Scope::function(Func::Gen { is_async: false }).blocks(), 1);
    assert_eq!(Scope::function(Func::Cm { is_async: true }).blocks(), 1);
    let items = |n: usize| vec![WithItem { expr: ItemExpr::New(0), target: Target::None }; n];
    assert_eq!(top.with_body(&items(3)).blocks(), 3);
    assert_eq!(top.loop_body().blocks(), 1);
    let all = Clauses::ALL;
    let except = Clauses { handlers: true, finally: false };
    let finally = Clauses { handlers: false, finally: true };
    assert_eq!([top.try_body(except), top.try_body(finally), top.try_body(all)].map(|s| s.blocks()), [1, 1, 2]);
    assert_eq!([top.handler_body(None, except), top.handler_body(None, all)].map(|s| s.blocks()), [2, 3]);
    assert_eq!([top.else_body(except), top.else_body(all)].map(|s| s.blocks()), [1, 2]);
    assert_eq!([top.finally_body(finally), top.finally_body(all)].map(|s| s.blocks()), [1, 2]);
    // While a statement compiles: an `async with` awaits `__aexit__` inside its last item.
    let async_top = Scope::function(Func::Main { is_async: true });
    let awith = Stmt::With { parens: Parens::No, is_async: true, items: items(2), body: vec![] };
    assert_eq!(async_top.peak(&awith), 1 + 2 + 1);
    assert_eq!(async_top.peak(&Stmt::Await("s1".to_string())), 2);
    assert_eq!(top.peak(&log("L1")), 0);
    let t = |handlers: Vec<Handler>, finally: Option<(String, Vec<Stmt>)>| {
        Stmt::Try(Box::new(Try { body: vec![], handlers, orelse: vec![], finally }))
    };
    assert_eq!(top.peak(&t(vec![handler("h1", false, vec![])], None)), 2);
    assert_eq!(top.peak(&t(vec![handler("h1", false, vec![])], Some(("f1".into(), vec![])))), 3);
    assert_eq!(top.peak(&t(vec![], Some(("f1".into(), vec![])))), 1);
}

// ---- the nesting limit ----

/// `n` nested `with M0():` around `log('L1')`.
fn withs(n: usize) -> Stmt {
    (0..n).fold(log("L1"), |s, _| with(vec![s]))
}

#[test]
fn validate_refuses_blocks_nested_deeper_than_cpython_compiles_once_at_the_outermost() {
    assert_eq!(validate(&program(vec![withs(20)])), vec![]);
    let diags = validate(&program(vec![withs(21)]));
    // The 21st `with` nests too deep for 3.8-3.12 and not for 3.13: it is reported.
    let path = (0..20).fold(Path::new(Root::Main).join(Step::Stmt(0)), |p, _| p.join(Step::With).join(Step::Stmt(0)));
    let expected = Diagnostic {
        loc: Loc { path: Some(path), text: None },
        kind: DiagnosticKind::TooDeep { blocks: 21, limit: MAX_BLOCKS },
    };
    assert_eq!(diags, vec![expected]);
    // 22 are too deep for every version: a compile error the model predicts (§8.7).
    let too_deep = program(vec![withs(22)]);
    assert_eq!(validate(&too_deep), vec![]);
    assert!(matches!(compile::refused(&too_deep)[..], [(_, compile::Refused::TooDeep)]));
    // A coroutine's body counts one block more (3.12 wraps it), an `await` one more again.
    let mut p = program(vec![withs(19)]);
    p.is_async = true;
    assert_eq!(validate(&p), vec![]);
    let awaits = |n: usize| (0..n).fold(Stmt::Await("s1".to_string()), |s, _| with(vec![s]));
    p.main = vec![awaits(18)];
    assert_eq!(validate(&p), vec![]);
    p.main = vec![awaits(19)];
    assert!(matches!(validate(&p)[..], [Diagnostic { kind: DiagnosticKind::TooDeep { blocks: 21, .. }, .. }]));
}

/// Programs that validate accepts with as many blocks as it allows: every kind of compound
/// statement innermost, under as many `with M0():` as fit, in a plain and an async `main`.
fn boundary_programs() -> Vec<Program> {
    let t = |body, handlers, orelse, finally| Stmt::Try(Box::new(Try { body, handlers, orelse, finally }));
    let fin = |b: Vec<Stmt>| Some(("f1".to_string(), b));
    let constructs: Vec<Box<dyn Fn(Vec<Stmt>) -> Stmt>> = vec![
        Box::new(with),
        Box::new(|b| Stmt::With {
            parens: Parens::No,
            is_async: false,
            items: vec![WithItem { expr: ItemExpr::New(0), target: Target::None }; 3],
            body: b,
        }),
        Box::new(|b| Stmt::With {
            parens: Parens::No,
            is_async: true,
            items: vec![WithItem { expr: ItemExpr::New(0), target: Target::None }; 2],
            body: b,
        }),
        Box::new(|b| Stmt::Loop { times: 1, body: b }),
        Box::new(move |b| t(b, vec![handler("h1", false, vec![])], vec![], fin(vec![]))),
        Box::new(move |b| t(vec![], vec![handler("h1", true, b)], vec![], fin(vec![]))),
        Box::new(move |b| t(vec![], vec![handler("h1", false, vec![])], b, fin(vec![]))),
        Box::new(move |b| t(vec![], vec![handler("h1", false, vec![])], vec![], fin(b))),
    ];
    let mut res = Vec::new();
    for is_async in [false, true] {
        for k in &constructs {
            let leaf = if is_async { Stmt::Await("s1".to_string()) } else { log("L1") };
            let mut best = None;
            for n in 0..MAX_BLOCKS {
                let mut p = program(vec![(0..n).fold(k(vec![leaf.clone()]), |s, _| with(vec![s]))]);
                p.is_async = is_async;
                if !validate(&p).is_empty() || !compile::refused(&p).is_empty() {
                    break;
                }
                best = Some(p);
            }
            // An `async with` in a plain `main` is invalid whatever its depth.
            res.extend(best);
        }
    }
    res
}

#[test]
fn what_validate_accepts_at_the_limit_compiles_on_cpython() {
    let programs = boundary_programs();
    assert_eq!(programs.len(), 15, "every construct fits at some depth");
    let driver = "import sys\nfor src in sys.stdin.read().split('\\0'):\n    compile(src, '<p>', 'exec')\nprint('ok')";
    let child = Command::new("python3")
        .args(["-c", driver])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        println!("ir::tests: skipped the CPython check of the nesting limit, no python3 on PATH");
        return;
    };
    let sources: Vec<String> = programs.iter().map(render::body).collect();
    child.stdin.take().expect("piped").write_all(sources.join("\0").as_bytes()).expect("python3 reads the programs");
    let out = child.wait_with_output().expect("python3 ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "python3 refused a program validate accepts ({:?}):\n{stderr}", out.status);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ok\n");
}
