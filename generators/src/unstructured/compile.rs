//! What CPython refuses to compile, and parenthesized items (SEMANTICS-ADDENDUM §8.5–§8.7): the
//! opening of a program focused on them puts one such construct in front of `main` (or in a
//! generator or `@contextmanager` function of its own), never more: validate lets a program hold
//! at most one, so that which error CPython reports first never matters.

use arbitrary::Result;
use oracle::capability::Capability;
use oracle::ir::{
    Action, Bad, CmGen, Elem, GenFn, ItemExpr, Manager, Method, Parens, Stmt, Target, Value, WithItem, REFUSED_BLOCKS,
};

use super::idioms::{item, with};
use super::{Gen, NAMES};

impl Gen<'_, '_> {
    /// Puts one construct some version refuses to compile (or parenthesized items) where it
    /// belongs: in front of `main`, or in a function of its own.
    pub(super) fn open_compile(
        &mut self,
        managers: &mut Vec<Manager>,
        gens: &mut Vec<GenFn>,
        cms: &mut Vec<CmGen>,
        is_async: bool,
    ) -> Result<Vec<Stmt>> {
        let m = Self::sync_manager(
            managers,
            Action::Return(Value::Tuple(vec![Value::Int(1), Value::Int(2)])),
            Method::Defined(Action::Return(Value::None)),
        );
        let log = Stmt::Log(self.labels.next('L'));
        // 6 and 7, two draws: the nesting limit is refused only in a plain main.
        let opening = match self.u.int_in_range(0..=7)? {
            0 => {
                // `as None`, `as f()`, ..., alone, in parentheses, with a trailing comma, or in a
                // tuple.
                let bad = self.pick(&[Bad::None, Bad::True, Bad::Call, Bad::Literal])?;
                let target = match self.u.int_in_range(0..=4)? {
                    0 => Target::Bad(bad),
                    1 => Target::BadParen(bad),
                    2 => Target::BadComma(bad),
                    3 => Target::Bad(bad),
                    _ => Target::Tuple(vec![Elem::Name(self.pick(NAMES)?.to_string()), Elem::Bad(bad)]),
                };
                let items = vec![WithItem { expr: ItemExpr::New(m), target }];
                Stmt::With { is_async: false, parens: Parens::No, items, body: vec![log] }
            }
            1 => {
                // `as *b`, or two starred names.
                let target = if self.u.ratio(1, 2)? {
                    Target::Star("b".to_string())
                } else {
                    Target::Tuple(vec![Elem::Star("a".to_string()), Elem::Star("b".to_string())])
                };
                let items = vec![WithItem { expr: ItemExpr::New(m), target }];
                Stmt::With { is_async: false, parens: Parens::No, items, body: vec![log] }
            }
            2 | 3 => {
                // Parenthesized items: with a target (3.8 refuses it) or without (3.8 reads a tuple).
                let m2 = Self::sync_manager(managers, Action::ReturnSelf, Method::Defined(Action::Return(Value::None)));
                let parens = if self.u.ratio(1, 2)? { Parens::Yes } else { Parens::TrailingComma };
                let mut items = vec![item(ItemExpr::New(m)), item(ItemExpr::New(m2))];
                if self.u.ratio(1, 2)? {
                    items[0].target = Target::Name(self.pick(NAMES)?.to_string());
                    if self.u.ratio(1, 2)? {
                        items[1].target = Target::Tuple(vec![Elem::Name("c".to_string())]);
                    }
                } else if parens == Parens::TrailingComma && self.u.ratio(1, 2)? {
                    items.pop();
                }
                let body = if self.u.ratio(1, 2)? { vec![log] } else { vec![self.raise_stmt()?] };
                Stmt::With { is_async: false, parens, items, body }
            }
            4 | 5 => {
                // `async with` outside an `async def`: in a plain main, a generator or a
                // `@contextmanager` function.
                let awith = |body| with(true, ItemExpr::New(m), body);
                match self.u.int_in_range(0..=2)? {
                    0 if !is_async => awith(vec![log]),
                    0 => return Ok(Vec::new()),
                    1 => {
                        gens.push(GenFn {
                            is_async: false,
                            body: vec![awith(vec![Stmt::Yield(self.labels.next('y'))])],
                        });
                        self.gen_async.push(false);
                        log
                    }
                    // Only where `@contextmanager` functions may be generated (capabilities).
                    _ if self.config.weights.cm_fn == 0 || !self.has(Capability::Contextmanager) => {
                        return Ok(Vec::new())
                    }
                    _ => {
                        let pre = vec![awith(vec![log])];
                        let cm = CmGen {
                            params: Vec::new(),
                            is_async: false,
                            pre,
                            yields: Some(Value::None),
                            handler: None,
                            finally: None,
                            post: Vec::new(),
                        };
                        self.push_cm(cms, cm)?;
                        Stmt::Log(self.labels.next('L'))
                    }
                }
            }
            // Only where the implementation has CPython's limit (capabilities).
            _ if !is_async && self.has(Capability::NestingLimit) => {
                // Nested deeper than every version compiles.
                let n = REFUSED_BLOCKS + self.u.int_in_range(0..=2)?;
                (0..n).fold(log, |s, _| with(false, ItemExpr::New(m), vec![s]))
            }
            _ => return Ok(Vec::new()),
        };
        Ok(vec![opening])
    }
}
