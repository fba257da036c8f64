//! A program as a module of its own, for targets that compile (Cython, mypyc, Nuitka).
//!
//! The module holds the program only: its classes, generator functions and `main`, at module
//! scope as a person would write them, after `from withstand_prelude import log, ...`. The prelude stays
//! interpreted: the worker provides `withstand_prelude` (the prelude it loaded), and a
//! reproducer ships [`super::prelude_module`] as `withstand_prelude.py` beside the module. Each
//! program is a module of its own, so programs built together cannot see each other.

use std::sync::OnceLock;

use crate::ir::{visit, Program, Stmt};

use super::{body, PRELUDE, PRELUDE_MODULE};

/// The program as a module: the prelude's names it uses imported, then [`body`]. The names are
/// imported one by one, not with `*`: mypyc compiles `from m import *` from a module it does not
/// compile into an import that binds no name (a later use raises `KeyError`).
pub fn module(program: &Program) -> String {
    let body = body(program);
    let used = used_prelude_names(&body);
    if used.is_empty() {
        return body;
    }
    format!("from {PRELUDE_MODULE} import {}\n\n{body}", used.join(", "))
}

/// The public names the prelude defines or imports (`log`, `on_exit`, `E1`, `ExitStack`, ...),
/// read from its top-level `def`, `class` and import lines.
pub fn prelude_names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names = Vec::new();
        for line in PRELUDE.lines() {
            let t = line.trim_start();
            let indented = t.len() != line.len();
            let defined = ["def ", "async def ", "class "]
                .iter()
                .find_map(|kw| line.strip_prefix(kw))
                .map(|rest| rest.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or("").to_owned());
            if let Some(name) = defined {
                names.push(name);
            } else if let Some(rest) = t.strip_prefix("from ").and_then(|r| r.split_once(" import ")).map(|(_, r)| r) {
                names.extend(rest.split(',').map(|n| n.trim().to_owned()));
            } else if let (false, Some(rest)) = (indented, t.strip_prefix("import ")) {
                names.extend(rest.split(',').map(|n| n.trim().to_owned()));
            }
        }
        names.retain(|n| !n.is_empty() && !n.starts_with('_'));
        names.sort();
        names.dedup();
        names
    })
}

/// The prelude's names that `text` uses as identifiers, in the prelude's order (sorted).
fn used_prelude_names(text: &str) -> Vec<&'static str> {
    let mut words = std::collections::HashSet::new();
    for w in text.split(|c: char| !c.is_ascii_alphanumeric() && c != '_') {
        words.insert(w);
    }
    prelude_names().iter().filter(|n| words.contains(n.as_str())).map(String::as_str).collect()
}

/// The Python command that runs a built module `name` (from the directory that holds it and
/// `withstand_prelude.py`) and prints its trace, as `program.py` does; `is_async` is whether its
/// `main` is `async def` (a compiled coroutine may not call its type `coroutine`). It refuses to
/// run the module from its source: the built one must be what is imported. By its loader, not
/// its `__file__`, which Nuitka's modules set to the source's.
pub fn run_module_code(name: &str, is_async: bool) -> String {
    let is_async = if is_async { "True" } else { "False" };
    format!(
        "import {PRELUDE_MODULE} as w, {name}; \
         assert type({name}.__loader__).__name__ != \"SourceFileLoader\", {name}.__loader__; \
         w._report({name}.main, {is_async})"
    )
}

/// Whether the program steps an async generator with `astep` (which `_finish` closes after main
/// when `aclosing` left it suspended): telling that needs the generator's `ag_frame`, which some
/// compiled async generators (Cython's) lack.
pub fn steps_async_generator(program: &Program) -> bool {
    visit::all_stmts(program).any(|s| matches!(s, Stmt::Step { is_async: true, .. }))
}

/// Whether the program defines an async generator function (`async def g0():` with a `yield`,
/// or an `@asynccontextmanager` function): mypyc does not build them ("async generators are
/// unimplemented").
pub fn defines_async_generator(program: &Program) -> bool {
    program.gens.iter().any(|g| g.is_async_gen()) || program.cms.iter().any(|c| c.is_async)
}

/// Whether the program has an `except*` (mypyc: "Exception groups and except* cannot be
/// compiled yet").
pub fn uses_except_star(program: &Program) -> bool {
    visit::all_stmts(program).any(|s| matches!(s, Stmt::TryStar(_)))
}

/// Whether a `break` or `continue` leaves a `with` or the protected part of a `try` that has a
/// `finally` (mypyc: "break inside try/finally block is unimplemented"; a `with` is such a
/// block to mypyc).
pub fn breaks_out_of_finally(program: &Program) -> bool {
    fn block(stmts: &[Stmt], guarded: bool) -> bool {
        stmts.iter().any(|s| match s {
            Stmt::Break | Stmt::Continue => guarded,
            // A loop's own break is guarded only by what is inside the loop.
            Stmt::Loop { body, .. } => block(body, false),
            Stmt::Try(t) | Stmt::TryStar(t) => {
                let g = guarded || t.finally.is_some();
                block(&t.body, g)
                    || t.handlers.iter().any(|h| block(&h.body, g))
                    || block(&t.orelse, g)
                    || t.finally.as_ref().is_some_and(|(_, b)| block(b, guarded))
            }
            other => {
                visit::child_blocks(other).into_iter().any(|(step, b)| block(b, guarded || step == visit::Step::With))
            }
        })
    }
    visit::bodies(program).into_iter().any(|(_, _, body)| block(body, false))
}

#[cfg(test)]
mod tests {
    use super::{breaks_out_of_finally, defines_async_generator, uses_except_star};
    use crate::parse::parse;

    const M0: &str = "
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

    fn program(main: &str) -> crate::ir::Program {
        let text = format!("{M0}\n{main}");
        parse(&text).unwrap_or_else(|d| panic!("does not parse: {d:?}\n{text}"))
    }

    #[test]
    fn what_mypyc_does_not_build_is_told_apart() {
        let breaks = |body: &str| breaks_out_of_finally(&program(&format!("def main():\n{body}")));
        assert!(breaks("    for _ in range(3):\n        with M0():\n            break\n"));
        assert!(breaks(
            "    for _ in range(3):\n        try:\n            continue\n        finally:\n            fin('f1')\n"
        ));
        assert!(breaks("    for _ in range(3):\n        with M0():\n            for _ in range(2):\n                log('L1')\n            break\n"));
        // The loop inside the `with` is left by its own break; a try without finally guards nothing.
        assert!(!breaks("    with M0():\n        for _ in range(3):\n            break\n"));
        assert!(!breaks(
            "    for _ in range(3):\n        try:\n            break\n        except E1:\n            handler('h1')\n"
        ));
        assert!(!breaks("    for _ in range(3):\n        log('L1')\n        break\n"));

        let gen =
            "async def g0():\n    yield 'y1'\n\nasync def main():\n    await adrive('d2', g0(), 'close', 1, None)\n";
        assert!(defines_async_generator(&program(gen)));
        let coroutine =
            "async def g0():\n    await Aw('s1', True, None)\n\ndef main():\n    drive('d2', g0(), 'close', 1, None)\n";
        assert!(!defines_async_generator(&program(coroutine)));
        let star = "def main():\n    try:\n        raise ExceptionGroup('g1', [E1('r2')])\n    except* E1:\n        handler('h3')\n";
        assert!(uses_except_star(&program(star)));
        assert!(!uses_except_star(&program("def main():\n    log('L1')\n")));
    }
}
