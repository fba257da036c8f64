//! `yield from` (SEMANTICS-ADDENDUM §11): delegations added to the generator functions of a
//! program, and the openings of the `Delegation` focus.

use arbitrary::Result;
use oracle::ir::{
    delegates, Action, BadThrow, Drive, ExcClass, GenFn, Handler, ItemExpr, Manager, Method, NewExc, Parens, Stmt,
    Target, Then, Thrown, Try, Value, WithItem,
};

use super::{Gen, NAMES};

fn try_except(body: Vec<Stmt>, handler: Handler) -> Stmt {
    Stmt::Try(Box::new(Try { body, handlers: vec![handler], orelse: Vec::new(), finally: None }))
}

/// Whether `main` steps generator function `gen` in a `closing(...)`, which a delegating
/// generator cannot be.
fn stepped(main: &[Stmt], gen: usize) -> bool {
    oracle::ir::visit::stmts(main).any(|s| match s {
        Stmt::With { items, .. } => {
            items.iter().any(|it| matches!(it.expr, ItemExpr::ClosingGen { gen: g, .. } if g == gen))
        }
        _ => false,
    })
}

impl Gen<'_, '_> {
    /// With the `delegation` weight, a sync generator function delegates to a later one with
    /// `yield from` (or `x = yield from`, shown) at the top of its body.
    pub(super) fn delegations(&mut self, gens: &mut [GenFn], main: &[Stmt]) -> Result<()> {
        for i in 0..gens.len() {
            let later: Vec<usize> = (i + 1..gens.len()).filter(|j| !gens[*j].is_async).collect();
            if gens[i].is_async || later.is_empty() || stepped(main, i) {
                continue;
            }
            if !self.chance(self.config.weights.delegation, 6)? {
                continue;
            }
            let gen = *self.u.choose(&later)?;
            let at = self.u.int_in_range(0..=gens[i].body.len())?;
            let mut stmts = vec![];
            if self.u.ratio(1, 2)? {
                let name = self.pick(NAMES)?.to_string();
                stmts.push(Stmt::YieldFrom { gen, target: Some(name.clone()) });
                stmts.push(Stmt::Show(name));
            } else {
                stmts.push(Stmt::YieldFrom { gen, target: None });
            }
            gens[i].body.splice(at..at, stmts);
        }
        Ok(())
    }

    /// A delegated generator for an opening: suspended in a manager's `with`, or in a `try`
    /// whose handler catches what comes in and returns a value, yields again, or raises.
    fn delegated_gen(&mut self, managers: &mut Vec<Manager>) -> Result<GenFn> {
        let ret = |g: &mut Self| -> Result<Stmt> {
            Ok(Stmt::Return { label: g.labels.next('v'), value: Value::Int(g.u.int_in_range(1..=9)?) })
        };
        let body = match self.u.int_in_range(0..=3)? {
            0 => {
                let exit = self.opening_exit()?;
                let m = Self::sync_manager(managers, Action::ReturnSelf, Method::Defined(exit));
                let item = WithItem { expr: ItemExpr::New(m), target: Target::None };
                let inner = vec![Stmt::Yield(self.labels.next('y')), Stmt::Yield(self.labels.next('y'))];
                vec![Stmt::With { parens: Parens::No, is_async: false, items: vec![item], body: inner }, ret(self)?]
            }
            1 => {
                let class = self.pick(&[None, Some(ExcClass::Exception), Some(ExcClass::GeneratorExit)])?;
                let body = match self.u.int_in_range(0..=2)? {
                    0 => vec![ret(self)?],
                    1 => vec![Stmt::Yield(self.labels.next('y'))],
                    _ => vec![Stmt::Raise(self.raise_new()?)],
                };
                let h = Handler { label: self.labels.next('h'), class, bind: false, body };
                vec![try_except(vec![Stmt::Yield(self.labels.next('y'))], h), ret(self)?]
            }
            2 => {
                // A finally that raises: what close() of the delegated generator raises.
                let t = Try {
                    body: vec![Stmt::Yield(self.labels.next('y'))],
                    handlers: Vec::new(),
                    orelse: Vec::new(),
                    finally: Some((self.labels.next('f'), vec![Stmt::Raise(self.raise_new()?)])),
                };
                vec![Stmt::Try(Box::new(t))]
            }
            _ => {
                // Suspended while it handles an exception of its own.
                let h = Handler {
                    label: self.labels.next('h'),
                    class: None,
                    bind: false,
                    body: vec![Stmt::Yield(self.labels.next('y'))],
                };
                vec![try_except(vec![Stmt::Raise(self.raise_new()?)], h)]
            }
        };
        Ok(GenFn { is_async: false, body })
    }

    /// A manager class with `async def __aenter__` / `__aexit__`, which may suspend, for a
    /// coroutine run by hand.
    fn suspending_manager(&mut self, managers: &mut Vec<Manager>) -> Result<usize> {
        let suspend = |g: &mut Self| -> Result<Option<String>> {
            Ok(if g.u.ratio(1, 2)? { Some(g.labels.next('s')) } else { None })
        };
        let aenter = Method::AsyncDef { suspend: suspend(self)?, action: Action::ReturnSelf };
        let aexit = Method::AsyncDef { suspend: suspend(self)?, action: self.opening_exit()? };
        Ok(Self::async_manager(managers, aenter, aexit))
    }

    /// A coroutine function run by hand: suspended in an `async with` (at an `await`, or in the
    /// manager's methods), maybe while it handles an exception, maybe awaiting the next one.
    fn coroutine(&mut self, managers: &mut Vec<Manager>, awaits: Option<usize>) -> Result<GenFn> {
        let m = self.suspending_manager(managers)?;
        let mut inner = vec![Stmt::Await(self.labels.next('s'))];
        if let Some(gen) = awaits {
            let target = if self.u.ratio(1, 2)? { Some(self.pick(NAMES)?.to_string()) } else { None };
            inner.push(Stmt::AwaitCall { gen, target: target.clone() });
            if let Some(t) = target {
                inner.push(Stmt::Show(t));
            }
        }
        inner.push(Stmt::Await(self.labels.next('s')));
        let item = WithItem { expr: ItemExpr::New(m), target: Target::None };
        let mut body = vec![Stmt::With { parens: Parens::No, is_async: true, items: vec![item], body: inner }];
        match self.u.int_in_range(0..=3)? {
            0 => {
                let h = Handler { label: self.labels.next('h'), class: None, bind: false, body };
                body = vec![try_except(vec![Stmt::Raise(self.raise_new()?)], h)];
            }
            1 => {
                let class = self.pick(&[None, Some(ExcClass::GeneratorExit), Some(ExcClass::Exception)])?;
                let again = if self.u.ratio(1, 2)? { vec![Stmt::Await(self.labels.next('s'))] } else { vec![] };
                let h = Handler { label: self.labels.next('h'), class, bind: false, body: again };
                body = vec![try_except(body, h)];
            }
            _ => {}
        }
        body.push(Stmt::Return { label: self.labels.next('v'), value: Value::Int(self.u.int_in_range(0..=9)?) });
        Ok(GenFn { is_async: true, body })
    }

    /// §11.5: a coroutine run by hand (`send`, `throw` as a cancellation, `close`), maybe awaiting
    /// another (and that one a third).
    fn open_coroutine(&mut self, managers: &mut Vec<Manager>, gens: &mut Vec<GenFn>) -> Result<Vec<Stmt>> {
        let outer = gens.len();
        let depth = self.u.int_in_range(0..=2)?;
        for i in 0..=depth {
            let awaits = (i < depth).then_some(outer + i + 1);
            let k = self.coroutine(managers, awaits)?;
            gens.push(k);
            self.gen_async.push(false);
        }
        // Thrown into more often than anything else, and arguments the awaitable's iterator
        // refuses most often: coroutine-throw-refused is otherwise among the rarest rules.
        let exc = match self.weighted(&[1, 1, 3, 2])? {
            0 => Thrown::New(NewExc { class: ExcClass::GeneratorExit, label: self.labels.next('r') }),
            1 => Thrown::New(NewExc { class: ExcClass::StopIteration, label: self.labels.next('r') }),
            // Refused by the awaitable's iterator: a TypeError at the await.
            2 => {
                Thrown::Bad(self.pick(&[BadThrow::NotAnException, BadThrow::SeparateValue, BadThrow::BadTraceback])?)
            }
            _ => Thrown::New(self.new_exc('r')?),
        };
        let k = self.u.int_in_range(0..=3)?;
        let how = match self.weighted(&[1, 2, 1, 4])? {
            0 => Drive::Exhaust,
            1 => Drive::Close(k),
            2 => Drive::Send(k),
            _ => Drive::Throw(k, exc),
        };
        Ok(vec![Stmt::Drive { label: self.labels.next('d'), gen: outer, how, then: None }])
    }

    /// §11: a generator delegating to another (sometimes through a third), driven to its end,
    /// closed or thrown into; the delegating one suspended in a `with` or while it handles an
    /// exception.
    pub(super) fn open_delegation(&mut self, managers: &mut Vec<Manager>, gens: &mut Vec<GenFn>) -> Result<Vec<Stmt>> {
        if self.u.ratio(1, 2)? {
            return self.open_coroutine(managers, gens);
        }
        let outer = gens.len();
        let nested = self.u.ratio(1, 4)?;
        let target = if self.u.ratio(1, 2)? { Some(self.pick(NAMES)?.to_string()) } else { None };
        let mut delegate = vec![Stmt::YieldFrom { gen: outer + 1, target: target.clone() }];
        if let Some(t) = target {
            delegate.push(Stmt::Show(t));
        }
        delegate.push(Stmt::Yield(self.labels.next('y')));
        let body = match self.u.int_in_range(0..=5)? {
            0 => {
                let exit = self.opening_exit()?;
                let m = Self::sync_manager(managers, Action::ReturnSelf, Method::Defined(exit));
                let item = WithItem { expr: ItemExpr::New(m), target: Target::None };
                vec![Stmt::With { parens: Parens::No, is_async: false, items: vec![item], body: delegate }]
            }
            1 => {
                // Delegating while it handles an exception: what comes out of the delegated
                // generator is chained to it (3.9+).
                let h = Handler { label: self.labels.next('h'), class: None, bind: false, body: delegate };
                vec![try_except(vec![Stmt::Raise(self.raise_new()?)], h)]
            }
            2..=4 => {
                // bpo-40696: the exception thrown twice, the second time into the delegated
                // generator while the delegating one handles it.
                let catch = Handler { label: self.labels.next('h'), class: None, bind: false, body: vec![] };
                let h = Handler {
                    label: self.labels.next('h'),
                    class: None,
                    bind: false,
                    body: vec![try_except(delegate, catch)],
                };
                vec![try_except(vec![Stmt::Yield(self.labels.next('y'))], h)]
            }
            _ => {
                let catch = Handler {
                    label: self.labels.next('h'),
                    class: Some(ExcClass::BaseException),
                    bind: true,
                    body: vec![],
                };
                vec![try_except(delegate, catch)]
            }
        };
        let twice = matches!(body.first(), Some(Stmt::Try(t)) if matches!(t.body.first(), Some(Stmt::Yield(_))));
        gens.push(GenFn { is_async: false, body });
        self.gen_async.push(false);
        if nested {
            let inner = self.delegated_gen(managers)?;
            let mut middle = vec![Stmt::YieldFrom { gen: outer + 2, target: None }];
            middle.extend(inner.body.clone());
            gens.push(GenFn { is_async: false, body: middle });
            self.gen_async.push(false);
            let deepest = self.delegated_gen(managers)?;
            gens.push(deepest);
            self.gen_async.push(false);
        } else {
            let inner = self.delegated_gen(managers)?;
            gens.push(inner);
            self.gen_async.push(false);
        }
        debug_assert!(delegates(&gens[outer].body));
        let exc = if self.u.ratio(1, 4)? {
            // A GeneratorExit closes the delegated generators instead (§11.3).
            Thrown::New(NewExc { class: ExcClass::GeneratorExit, label: self.labels.next('r') })
        } else {
            Thrown::New(self.new_exc('r')?)
        };
        let (how, then) = if twice {
            (Drive::Throw(1, exc.clone()), Some(Then::Throw(exc)))
        } else {
            match self.u.int_in_range(0..=4)? {
                0 => (Drive::Exhaust, None),
                1 | 2 => (Drive::Close(self.u.int_in_range(1..=2)?), None),
                _ => (Drive::Throw(self.u.int_in_range(1..=2)?, exc), None),
            }
        };
        Ok(vec![Stmt::Drive { label: self.labels.next('d'), gen: outer, how, then }])
    }
}
