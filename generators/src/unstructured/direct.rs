//! Protocol methods the program calls itself (SEMANTICS-ADDENDUM §15): `m1 = M0()` or
//! `m1 = c0()`, then `show('d1', m1.__enter__())` and `show('d2', m1.__exit__(E1, None, None))`
//! (awaited `__aenter__`/`__aexit__` in an async `main`), with every argument triple the rules
//! tell apart, in a `try` so that what follows still runs, sometimes inside a handler.

use arbitrary::Result;
use oracle::ir::{
    Action, CmGen, DirectCall, Elem, ExcClass, Handler, ItemExpr, Manager, Method, NewExc, Parens, Stmt, Target,
    Triple, Try, Value, WithItem,
};

use super::{Gen, RAISED};

/// What the type-only triple names: classes contextlib can instantiate without arguments,
/// RuntimeError (which `__exit__` tells apart) and StopIteration (which PEP 479 wraps) included.
const THROWN: &[ExcClass] = &[
    ExcClass::E1,
    ExcClass::E2,
    ExcClass::KeyError,
    ExcClass::RuntimeError,
    ExcClass::RuntimeError,
    ExcClass::StopIteration,
    ExcClass::StopAsyncIteration,
    ExcClass::GeneratorExit,
    ExcClass::B1,
];

impl Gen<'_, '_> {
    /// The opening of the direct-calls focus: a manager in a variable and two or three calls.
    pub(super) fn open_direct(
        &mut self,
        managers: &mut Vec<Manager>,
        cms: &mut Vec<CmGen>,
        in_async: bool,
    ) -> Result<Vec<Stmt>> {
        if self.u.ratio(1, 3)? {
            return self.open_nested(managers, cms);
        }
        let is_async = in_async && self.u.ratio(1, 2)?;
        let expr = match self.cm_kind(is_async, in_async) {
            Some(kind) if kind == is_async && self.u.ratio(1, 2)? => {
                let c = self.direct_cm(cms, is_async)?;
                self.cm_call(c, 0)?
            }
            _ => ItemExpr::New(self.direct_class(managers, is_async)?),
        };
        let name = self.labels.next('m');
        let mut calls = Vec::new();
        if self.u.ratio(5, 6)? {
            calls.push(self.direct(&name, is_async, DirectCall::Enter));
        }
        for _ in 0..self.u.int_in_range(1..=2)? {
            let triple = self.triple()?;
            calls.push(self.direct(&name, is_async, DirectCall::Exit(triple)));
        }
        let catch_all = |label: String, body: Vec<Stmt>| Handler { label, class: None, bind: false, body };
        let guarded = if self.u.ratio(1, 3)? {
            // Inside a handler: an exception is handled around the calls, none for them.
            let inner = Try {
                body: vec![self.raise_stmt()?],
                handlers: vec![catch_all(self.labels.next('h'), calls)],
                orelse: Vec::new(),
                finally: None,
            };
            vec![Stmt::Try(Box::new(inner))]
        } else {
            calls
        };
        let t = Try {
            body: guarded,
            handlers: vec![catch_all(self.labels.next('h'), Vec::new())],
            orelse: Vec::new(),
            finally: None,
        };
        Ok(vec![Stmt::Assign { name, expr }, Stmt::Try(Box::new(t))])
    }

    /// `with Nested(M0(), c1()) as (a, b):` (§15.4): members whose enter or exit may raise or
    /// suppress, bound as a list, unpacked, or not at all, around a body that may raise.
    fn open_nested(&mut self, managers: &mut Vec<Manager>, cms: &mut Vec<CmGen>) -> Result<Vec<Stmt>> {
        let n = self.u.int_in_range(1..=3)?;
        let mut members = Vec::with_capacity(n);
        for _ in 0..n {
            let cm = self.cm_kind(false, false) == Some(false) && self.u.ratio(1, 3)?;
            members.push(if cm {
                {
                    let c = self.direct_cm(cms, false)?;
                    self.cm_call(c, 0)?
                }
            } else {
                ItemExpr::New(self.direct_class(managers, false)?)
            });
        }
        let names = ["a", "b", "c", "x"];
        let (target, shown): (Target, Vec<&str>) = match self.u.int_in_range(0..=3)? {
            0 => (Target::None, Vec::new()),
            1 => (Target::Name("x".to_string()), vec!["x"]),
            2 => (Target::Paren("x".to_string()), vec!["x"]),
            _ => {
                // Mostly as many names as members; one more or fewer fails to unpack.
                let k = if self.u.ratio(3, 4)? { n } else { self.u.int_in_range(1..=4)? };
                (Target::Tuple(names[..k].iter().map(|s| Elem::Name(s.to_string())).collect()), names[..k].to_vec())
            }
        };
        let mut body: Vec<Stmt> = shown.iter().map(|s| Stmt::Show(s.to_string())).collect();
        if self.u.ratio(1, 2)? {
            body.push(self.raise_stmt()?);
        } else {
            body.push(Stmt::Log(self.labels.next('L')));
        }
        let with = Stmt::With {
            is_async: false,
            parens: Parens::No,
            items: vec![WithItem { expr: ItemExpr::Nested(members), target }],
            body,
        };
        let handler = Handler { label: self.labels.next('h'), class: None, bind: false, body: Vec::new() };
        let t = Try { body: vec![with], handlers: vec![handler], orelse: Vec::new(), finally: None };
        Ok(vec![Stmt::Try(Box::new(t))])
    }

    fn direct(&mut self, var: &str, is_async: bool, call: DirectCall) -> Stmt {
        Stmt::Direct { label: self.labels.next('d'), var: var.to_string(), is_async, call }
    }

    /// `(None, None, None)`, `(E1, E1('x1'), None)` or `(E1, None, None)`.
    fn triple(&mut self) -> Result<Triple> {
        Ok(match self.u.int_in_range(0..=2)? {
            0 => Triple::Nones,
            1 => Triple::Exc(NewExc { class: self.pick(RAISED)?, label: self.labels.next('x') }),
            _ => Triple::TypeOnly(self.pick(THROWN)?),
        })
    }

    /// A class whose methods a direct call finds: defined on it or on its base.
    fn direct_class(&mut self, managers: &mut Vec<Manager>, is_async: bool) -> Result<usize> {
        let enter = match self.u.int_in_range(0..=3)? {
            0 | 1 => Action::ReturnSelf,
            2 => Action::Return(Value::Int(self.u.int_in_range(0..=3)?)),
            _ => Action::Raise(self.raise_new()?),
        };
        let exit = match self.u.int_in_range(0..=5)? {
            0 => Action::Return(Value::Bool(true)),
            1 => Action::Return(Value::None),
            2 | 3 => Action::SuppressIf(vec![self.pick(THROWN)?]),
            4 => Action::RaiseArg,
            _ => Action::Raise(self.raise_new()?),
        };
        let m = if is_async {
            let method = |g: &mut Self, action: Action| -> Result<Method> {
                Ok(if g.u.ratio(1, 8)? {
                    // A plain `def`: what it returns is awaited, and is no awaitable.
                    Method::Defined(action)
                } else {
                    let suspend = if g.u.ratio(1, 3)? { Some(g.labels.next('s')) } else { None };
                    Method::AsyncDef { suspend, action }
                })
            };
            let (aenter, aexit) = (method(self, enter)?, method(self, exit)?);
            Self::async_manager(managers, aenter, aexit)
        } else {
            Self::sync_manager(managers, enter, Method::Defined(exit))
        };
        if !self.u.ratio(1, 4)? {
            return Ok(m);
        }
        // A subclass that defines nothing: the call finds its base's methods (§7.3).
        managers.push(Manager {
            init_raises: None,
            enter: Method::Missing,
            exit: Method::Missing,
            aenter: Method::Missing,
            aexit: Method::Missing,
            base: Some(m),
        });
        Ok(managers.len() - 1)
    }

    /// A generator manager that yields, and catches what is thrown in (RuntimeError often, as
    /// in CPython's test of the type-only triple), suppressing it or raising another.
    fn direct_cm(&mut self, cms: &mut Vec<CmGen>, is_async: bool) -> Result<usize> {
        let class = match self.u.int_in_range(0..=4)? {
            0 => None,
            1 | 2 => Some(ExcClass::RuntimeError),
            3 => Some(ExcClass::Exception),
            _ => Some(self.pick(THROWN)?),
        };
        let handler = if self.u.ratio(1, 4)? {
            None
        } else {
            let body = if self.u.ratio(2, 3)? { vec![self.raise_stmt()?] } else { Vec::new() };
            Some(Handler { label: self.labels.next('h'), class, bind: false, body })
        };
        let finally = if self.u.ratio(1, 4)? { Some((self.labels.next('f'), Vec::new())) } else { None };
        let post = if self.u.ratio(1, 4)? { vec![Stmt::Yield(self.labels.next('y'))] } else { Vec::new() };
        let yields = Some(Value::Int(self.u.int_in_range(0..=3)?));
        self.push_cm(cms, CmGen { is_async, params: Vec::new(), pre: Vec::new(), yields, handler, finally, post })
    }
}
