//! `with` targets (SEMANTICS.md §1.2.4 and the addendum's §8.1–§8.3): names, parenthesized
//! names, tuples with a starred element or a store among their names, attribute and subscript
//! stores into a `Sink` (which may raise) or into `None`.

use arbitrary::Result;
use oracle::ir::{
    Action, Elem, ExcClass, Handler, ItemExpr, Key, Manager, Method, Parens, Stmt, Store, StoreObj, Target, Try, Value,
    WithItem,
};

use super::{Gen, NAMES, RAISED};

impl Gen<'_, '_> {
    /// The target of a `with` item: none, a name, a tuple, or one of the rarer forms.
    pub(super) fn target(&mut self) -> Result<Target> {
        let w = &self.config.weights;
        Ok(match self.weighted(&[4, 4, w.tuple_target, w.store_target * 2, w.store_target])? {
            0 => Target::None,
            1 => Target::Name(self.pick(NAMES)?.to_string()),
            2 => self.tuple_target()?,
            3 => Target::Store(self.store()?),
            _ => Target::Paren(self.pick(NAMES)?.to_string()),
        })
    }

    /// `(a, b)`, sometimes with a starred element or a store among the names.
    pub(super) fn tuple_target(&mut self) -> Result<Target> {
        let k = self.u.int_in_range(1..=3)?;
        let start = self.u.int_in_range(0..=NAMES.len() - k)?;
        let mut elems: Vec<Elem> = NAMES[start..start + k].iter().map(|s| Elem::Name(s.to_string())).collect();
        if self.chance(self.config.weights.store_target, 3)? {
            let j = self.u.int_in_range(0..=k - 1)?;
            if self.u.ratio(1, 2)? {
                let Elem::Name(n) = &elems[j] else { unreachable!("names only so far") };
                elems[j] = Elem::Star(n.clone());
            } else {
                elems[j] = Elem::Store(self.store()?);
            }
        }
        Ok(Target::Tuple(elems))
    }

    /// `Sink('o1', None).a`, `Sink('o1', E1)['k']`, `Sink('o1', None)['j']['k']`, or, rarely,
    /// `None.a` / `None['k']`.
    pub(super) fn store(&mut self) -> Result<Store> {
        let obj = if self.u.ratio(1, 6)? {
            StoreObj::None
        } else {
            let raises = if self.u.ratio(1, 3)? { Some(self.pick(RAISED)?) } else { None };
            if self.u.ratio(1, 5)? {
                // Stored into an item loaded from the sink (nested subscripts).
                StoreObj::Loaded { label: self.labels.next('o'), raises, key: "j".to_string() }
            } else {
                StoreObj::Sink { label: self.labels.next('o'), raises }
            }
        };
        let key = if self.u.ratio(1, 2)? { Key::Attr("a".to_string()) } else { Key::Item("k".to_string()) };
        Ok(Store { obj, key })
    }
}

impl Gen<'_, '_> {
    /// §8.1–§8.3: a name read after its `with` (bound, or never bound because `__enter__`
    /// raised), a tuple with a starred element and too few values, a store that raises or is
    /// refused, a parenthesized name.
    pub(super) fn open_targets(&mut self, managers: &mut Vec<Manager>) -> Result<Vec<Stmt>> {
        let name = self.pick(NAMES)?.to_string();
        Ok(match self.u.int_in_range(0..=4)? {
            0 => {
                // `__enter__` raises: the target is never bound, and reading it fails.
                let enter =
                    if self.u.ratio(2, 3)? { Action::Raise(self.raise_new()?) } else { Action::Return(Value::Int(1)) };
                let exit = Method::Defined(self.opening_exit()?);
                let m = Self::sync_manager(managers, enter, exit);
                let item = WithItem { expr: ItemExpr::New(m), target: Target::Name(name.clone()) };
                let body = vec![self.raise_stmt()?];
                let handler = Handler { label: self.labels.next('h'), class: None, bind: false, body: Vec::new() };
                let t = Try {
                    body: vec![Stmt::With { parens: Parens::No, is_async: false, items: vec![item], body }],
                    handlers: vec![handler],
                    orelse: Vec::new(),
                    finally: None,
                };
                vec![Stmt::Try(Box::new(t)), Stmt::Show(name)]
            }
            1 => {
                // The target outlives its block.
                let target = if self.u.ratio(1, 3)? { Target::Paren(name.clone()) } else { Target::Name(name.clone()) };
                let m = Self::sync_manager(
                    managers,
                    Action::Return(Value::Int(self.u.int_in_range(0..=9)?)),
                    Method::Defined(Action::Return(Value::None)),
                );
                let item = WithItem { expr: ItemExpr::New(m), target };
                vec![
                    Stmt::With {
                        parens: Parens::No,
                        is_async: false,
                        items: vec![item],
                        body: vec![Stmt::Log(self.labels.next('L'))],
                    },
                    Stmt::Show(name),
                ]
            }
            2 => {
                // A starred element, with enough values or too few.
                let n = self.u.int_in_range(0..=3)?;
                let value = Value::Tuple((0..n).map(Value::Int).collect());
                let exit = Method::Defined(self.opening_exit()?);
                let m = Self::sync_manager(managers, Action::Return(value), exit);
                let elems = if self.u.ratio(1, 2)? {
                    vec![Elem::Name("a".to_string()), Elem::Star("b".to_string()), Elem::Name("c".to_string())]
                } else {
                    vec![Elem::Star("b".to_string()), Elem::Name("c".to_string())]
                };
                let item = WithItem { expr: ItemExpr::New(m), target: Target::Tuple(elems) };
                vec![Stmt::With {
                    parens: Parens::No,
                    is_async: false,
                    items: vec![item],
                    body: vec![Stmt::Show("b".to_string())],
                }]
            }
            _ => {
                // A store into a sink that raises, or into None.
                let obj = if self.u.ratio(1, 3)? {
                    StoreObj::None
                } else {
                    StoreObj::Sink {
                        label: self.labels.next('o'),
                        raises: Some(self.pick(&[ExcClass::E1, ExcClass::KeyError, ExcClass::StopIteration])?),
                    }
                };
                let key = if self.u.ratio(1, 2)? { Key::Attr("a".to_string()) } else { Key::Item("k".to_string()) };
                let exit = Method::Defined(self.opening_exit()?);
                let m = Self::sync_manager(managers, Action::ReturnSelf, exit);
                let item = WithItem { expr: ItemExpr::New(m), target: Target::Store(Store { obj, key }) };
                vec![Stmt::With {
                    parens: Parens::No,
                    is_async: false,
                    items: vec![item],
                    body: vec![Stmt::Log(self.labels.next('L'))],
                }]
            }
        })
    }
}
