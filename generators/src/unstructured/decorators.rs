//! Managers used as decorators (SEMANTICS-ADDENDUM §14): functions decorated with `@c0()` (a
//! `@contextmanager` or `@asynccontextmanager` object) or `@M0()` (a `ContextDecorator`
//! subclass), sometimes as methods, and calls of them in `main` that recurse.

use arbitrary::Result;
use oracle::capability::Capability;
use oracle::ir::{visit, Action, CmGen, Deco, DecoFn, Func, Manager, Method, Scope, Stmt};

use super::{Cx, Gen};

/// The names a call binds what it returns to, shown at once.
const RESULT: &str = "x";

impl Gen<'_, '_> {
    /// One or two decorated functions, with what they need added to `managers` and `cms`, and a
    /// call of each put somewhere in `main`'s top level.
    pub(super) fn decorated(
        &mut self,
        cx: &Cx,
        managers: &mut Vec<Manager>,
        cms: &mut Vec<CmGen>,
        main: &mut Vec<Stmt>,
        is_async: bool,
    ) -> Result<Vec<DecoFn>> {
        let mut decos = Vec::new();
        for _ in 0..self.u.int_in_range(1..=2)? {
            let Some(deco) = self.decorator(cx, managers, cms, is_async)? else { continue };
            let fun_async = matches!(deco, Deco::Cm(c) if self.cm_async[c]);
            let method = self.u.ratio(1, 4)?;
            let body = self.decorated_body(managers.len(), cms.len(), fun_async)?;
            // `@c0(11, kwds=22)`: the arguments every call's `_recreate_cm()` passes on (§16).
            let args = match deco {
                Deco::Cm(c) => self.cm_args(c, 50)?,
                Deco::Mgr(_) => Vec::new(),
            };
            decos.push(DecoFn { deco, method, body, args });
        }
        for fun in 0..decos.len() {
            let n = self.u.int_in_range(0..=3)?;
            let call = if self.u.ratio(1, 2)? {
                vec![Stmt::Call { fun, n, target: Some(RESULT.to_string()) }, Stmt::Show(RESULT.to_string())]
            } else {
                vec![Stmt::Call { fun, n, target: None }]
            };
            let at = if main.is_empty() || self.u.ratio(1, 2)? { 0 } else { self.u.int_in_range(0..=main.len())? };
            main.splice(at..at, call);
        }
        Ok(decos)
    }

    /// What decorates a function: an existing or a new `@contextmanager` function's object (an
    /// async one only in an async main), or an instance of an existing or a new manager class.
    fn decorator(
        &mut self,
        cx: &Cx,
        managers: &mut Vec<Manager>,
        cms: &mut Vec<CmGen>,
        is_async: bool,
    ) -> Result<Option<Deco>> {
        let class = self.has(Capability::ContextDecorator) && self.u.ratio(1, 2)?;
        if class {
            if managers.is_empty() || self.u.ratio(2, 3)? {
                if self.u.ratio(1, 2)? {
                    // A plain one, whose exit may suppress what the call raises.
                    let exit = Method::Defined(self.opening_exit()?);
                    return Ok(Some(Deco::Mgr(Self::sync_manager(managers, Action::ReturnSelf, exit))));
                }
                let m = self.manager(false)?;
                managers.push(m);
                return Ok(Some(Deco::Mgr(managers.len() - 1)));
            }
            return Ok(Some(Deco::Mgr(self.u.int_in_range(0..=managers.len() - 1)?)));
        }
        let usable: Vec<usize> = (0..cms.len()).filter(|c| is_async || !self.cm_async[*c]).collect();
        if !usable.is_empty() && self.u.ratio(1, 2)? {
            return Ok(Some(Deco::Cm(*self.u.choose(&usable)?)));
        }
        let want_async = is_async && self.u.ratio(2, 3)?;
        let Some(cm_async) = self.cm_kind(want_async, is_async) else { return Ok(None) };
        let cx = Cx { n_cms: cms.len(), ..cx.clone() };
        let cm = self.cm_gen(&cx, cm_async)?;
        Ok(Some(Deco::Cm(self.push_cm(cms, cm)?)))
    }

    /// What a call of the function runs after its recursive call: a short block of what a plain
    /// function may hold, or a `log` where what was drawn holds something it may not.
    fn decorated_body(&mut self, n_managers: usize, n_cms: usize, is_async: bool) -> Result<Vec<Stmt>> {
        // Often one statement that decides what the call gives its manager: nothing, an
        // exception, a value.
        match self.u.int_in_range(0..=5u8)? {
            0 => return Ok(Vec::new()),
            1 | 2 => return Ok(vec![Stmt::Raise(self.raise_new()?)]),
            3 => {
                let value = self.enter_value()?;
                return Ok(vec![Stmt::Return { label: self.labels.next('v'), value }]);
            }
            _ => {}
        }
        let inner =
            Cx { scope: Scope::function(Func::Def { is_async }), may_yield: false, n_gens: 0, n_cms, n_managers };
        let body = self.block(&inner, 2)?;
        if visit::stmts(&body).all(oracle::ir::allowed_in_decorated) {
            Ok(body)
        } else {
            Ok(vec![Stmt::Log(self.labels.next('L'))])
        }
    }
}
