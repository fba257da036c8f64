//! The constructs some CPython version refuses to compile (SEMANTICS-ADDENDUM §8.5–§8.7): where
//! they stand in a program, for `validate` (a program holds at most one, so that which error
//! CPython reports first never matters) and for the model (which predicts the error's message).

use super::visit::{self, At, Path, Visitor};
use super::{Bad, Elem, Parens, Program, Scope, Stmt, Target, MAX_BLOCKS, REFUSED_BLOCKS};

/// A construct some version refuses to compile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// `as None`, `as f()`, or such an element of a tuple target (every version).
    Target(Bad),
    /// `as None,`: a refused target and a trailing comma, no parentheses (every version).
    TrailingComma(Bad),
    /// `as *b` (every version).
    StarAlone,
    /// `as (*a, *b)` (every version).
    Stars,
    /// `with (A() as a, B()):`, a target inside parenthesized items (3.8 only).
    ParenTargets,
    /// `async with` outside an `async def` (every version).
    AsyncWith,
    /// A plain function whose blocks nest at least [`REFUSED_BLOCKS`] deep (every version).
    TooDeep,
}

/// What the nesting of a program's functions is: the statements that nest more blocks than
/// every version compiles but fewer than every version refuses, and the functions that nest
/// so deep that every version refuses them.
#[derive(Debug, Default)]
pub struct Nesting {
    /// Statements (the outermost of each nest) some version may refuse and some may compile,
    /// with the blocks counted there by [`Scope::peak`].
    pub unsure: Vec<(Path, usize)>,
    /// The first statement of each plain function that no version compiles.
    pub refused: Vec<Path>,
}

/// Every refused construct of `program`, in walking order (main first), with its path.
pub fn refused(program: &Program) -> Vec<(Path, Refused)> {
    let mut v = Finder { res: Vec::new(), nesting: Nesting::default() };
    let _ = visit::walk(program, &mut v);
    let mut res = v.res;
    res.extend(v.nesting.refused.into_iter().map(|p| (p, Refused::TooDeep)));
    res
}

/// How deep the functions of `program` nest.
pub fn nesting(program: &Program) -> Nesting {
    let mut v = Finder { res: Vec::new(), nesting: Nesting::default() };
    let _ = visit::walk(program, &mut v);
    let mut n = v.nesting;
    // A function that no version compiles may hold statements that some version compiles.
    let refused: Vec<Path> = n.refused.clone();
    n.unsure.retain(|(p, _)| !refused.iter().any(|r| same_function(r, p)));
    n
}

/// Whether two paths stand in the same function.
fn same_function(a: &Path, b: &Path) -> bool {
    a.root == b.root
}

struct Finder {
    res: Vec<(Path, Refused)>,
    nesting: Nesting,
}

impl<'p> Visitor<'p> for Finder {
    fn stmt(&mut self, s: &'p Stmt, at: At<'_>) -> visit::Flow {
        let path = at.path;
        if let Stmt::With { is_async, parens, items, .. } = s {
            if *is_async && !at.scope.is_async() {
                self.res.push((path.clone(), Refused::AsyncWith));
            }
            if *parens != Parens::No && items.iter().any(|it| it.target != Target::None) {
                self.res.push((path.clone(), Refused::ParenTargets));
            }
            for it in items {
                for r in refused_target(&it.target) {
                    self.res.push((path.clone(), r));
                }
            }
        }
        self.depth(s, path, at.scope);
        visit::Flow::Continue
    }
}

impl Finder {
    fn depth(&mut self, s: &Stmt, path: &Path, scope: &Scope) {
        let known = |list: &[Path]| list.iter().any(|p| same_function(p, path));
        if scope.is_plain() && scope.floor(s) >= REFUSED_BLOCKS {
            if !known(&self.nesting.refused) {
                self.nesting.refused.push(path.clone());
            }
            return;
        }
        let blocks = scope.peak(s);
        // Once, at the outermost statement that nests too deep: those inside it do too.
        if blocks > MAX_BLOCKS && !self.nesting.unsure.iter().any(|(p, _)| path.starts_with(p)) {
            self.nesting.unsure.push((path.clone(), blocks));
        }
    }
}

/// What a target's form refuses (a tuple may refuse twice over).
fn refused_target(t: &Target) -> Vec<Refused> {
    match t {
        Target::Bad(b) | Target::BadParen(b) => vec![Refused::Target(*b)],
        Target::BadComma(b) => vec![Refused::TrailingComma(*b)],
        Target::Star(_) => vec![Refused::StarAlone],
        Target::Tuple(elems) => {
            let mut res: Vec<Refused> = elems
                .iter()
                .filter_map(|e| match e {
                    Elem::Bad(b) => Some(Refused::Target(*b)),
                    _ => None,
                })
                .collect();
            if elems.iter().filter(|e| matches!(e, Elem::Star(_))).count() > 1 {
                res.push(Refused::Stars);
            }
            res
        }
        Target::None | Target::Name(_) | Target::Paren(_) | Target::Store(_) => Vec::new(),
    }
}
