//! The `with` and `async with` statements (SEMANTICS.md §1.2–§1.7, §3): evaluate, look up,
//! enter, bind, run, exit, in exactly CPython's order. The async statement is the same
//! algorithm with the call results awaited (§1.9).

use crate::ir::{Parens, Stmt, Target, WithItem};

use super::call::ExcDetails;
use super::exc::ExcId;
use super::protocol::{Found, Proto};
use super::{Builtin, Flow, Machine, Rule, Val};

impl<'p> Machine<'p> {
    pub(crate) fn with(&mut self, items: &'p [WithItem], body: &'p [Stmt], parens: Parens, proto: Proto) -> Flow {
        if parens != Parens::No {
            if items.iter().any(|it| it.target != Target::None) {
                // On 3.8 such a program does not compile.
                self.hit(Rule::ParenthesizedTargets);
            } else if items.len() > 1 || parens == Parens::TrailingComma {
                self.hit(Rule::ParenthesizedNoTargets);
                if !self.quirks.peg_parser {
                    return self.with_tuple(items, proto);
                }
            }
        }
        self.with_items(items, body, false, proto)
    }

    /// `with (A(), B()):` on 3.8: the tuple `(A(), B())` is the manager, and it has no
    /// protocol method (SEMANTICS-ADDENDUM §8.6).
    fn with_tuple(&mut self, items: &'p [WithItem], proto: Proto) -> Flow {
        let mut values = Vec::with_capacity(items.len());
        for it in items {
            match self.eval_item(&it.expr) {
                Ok(v) => values.push(v),
                Err(flow) => return flow,
            }
        }
        match self.lookup(&Val::Tuple(values), proto) {
            Ok(_) => unreachable!("a tuple has no protocol method"),
            Err(x) => Flow::Raise(x),
        }
    }

    /// `inner` says this item is not the first of its statement (§1.7).
    fn with_items(&mut self, items: &'p [WithItem], body: &'p [Stmt], inner: bool, proto: Proto) -> Flow {
        let Some((item, rest)) = items.split_first() else { return self.block(body) };
        if !rest.is_empty() {
            self.hit(Rule::MultiItemOrder);
        }
        self.with_item(item, rest, body, inner, proto)
    }

    /// An item failed before its body: expression, lookup, enter or binding.
    fn item_failed(&mut self, inner: bool, flow: Flow) -> Flow {
        if inner {
            self.hit(Rule::LaterItemFails);
        }
        flow
    }

    fn with_item(
        &mut self,
        item: &'p WithItem,
        rest: &'p [WithItem],
        body: &'p [Stmt],
        inner: bool,
        proto: Proto,
    ) -> Flow {
        let outer_handled = self.excs.handled();

        // §1.2.1: the expression; no lookup, enter or exit when it raises.
        let mgr = match self.eval_item(&item.expr) {
            Ok(v) => v,
            Err(flow) => return self.item_failed(inner, flow),
        };

        // §1.2.2 / §2: both lookups before any call.
        let (enter, exit) = match self.lookup(&mgr, proto) {
            Ok(found) => found,
            Err(x) => return self.item_failed(inner, Flow::Raise(x)),
        };

        // §1.2.3: enter; when it raises, exit is not called.
        let value = match self.call_method(&mgr, enter, proto.enter(), ExcDetails::of(None)) {
            Ok(v) => self.awaited(v, proto.enter()),
            Err(id) => Err(id),
        };
        let value = match value {
            Ok(v) => v,
            Err(id) => {
                self.hit(Rule::EnterRaises);
                return self.item_failed(inner, Flow::Raise(id));
            }
        };

        // §1.2.4: binding happens inside the protected region.
        let flow = match self.bind(&item.target, value) {
            Err(id) => {
                self.hit(Rule::TargetUnpackFails);
                if inner {
                    self.hit(Rule::LaterItemFails);
                }
                Flow::Raise(id)
            }
            Ok(()) => match (&mgr, &item.target) {
                (Val::Builtin(Builtin::ClosingGen { .. }), Target::Name(var)) if rest.is_empty() => {
                    self.stepped_body(var, body)
                }
                _ => self.with_items(rest, body, true, proto),
            },
        };

        self.exit(&mgr, exit, flow, outer_handled, inner, proto)
    }

    pub(crate) fn exit(
        &mut self,
        mgr: &Val,
        exit: Found<'p>,
        flow: Flow,
        outer_handled: Option<ExcId>,
        inner: bool,
        proto: Proto,
    ) -> Flow {
        match flow {
            Flow::Raise(e) => {
                self.hit(Rule::ExitGetsException);
                if self.is_group(e) {
                    self.hit(Rule::GroupReachesExit);
                }
                self.excs.push_handled(e);
                let res = match self.call_method(mgr, exit, proto.exit(), ExcDetails::of(Some(e))) {
                    Ok(v) => self.awaited(v, proto.exit()),
                    Err(x) => Err(x),
                };
                let res = match res {
                    Err(x) => {
                        if x == e {
                            self.hit(Rule::ExitReraisesSame);
                        } else {
                            self.hit(Rule::ExitRaisesOnException);
                            if inner {
                                self.hit(Rule::InnerExitRaisesOuterSees);
                            }
                        }
                        Flow::Raise(x)
                    }
                    Ok(v) => match self.truthy(&v) {
                        Err(x) => Flow::Raise(x),
                        Ok(true) => {
                            self.hit(Rule::ExitSuppresses);
                            if inner {
                                self.hit(Rule::InnerSuppressesOuterSeesNone);
                            }
                            Flow::Normal
                        }
                        Ok(false) => {
                            self.hit(Rule::ExitFalsyReraises);
                            Flow::Raise(e)
                        }
                    },
                };
                self.excs.pop_handled();
                res
            }
            other => {
                match other {
                    Flow::Normal => self.hit(Rule::ExitAfterNormalBody),
                    Flow::Return(_) => self.hit(Rule::ExitAfterReturn),
                    Flow::Break | Flow::Continue => self.hit(Rule::ExitAfterBreakContinue),
                    Flow::Raise(_) => unreachable!("handled above"),
                }
                if outer_handled.is_some() {
                    self.hit(Rule::ExitSeesOuterHandled);
                }
                let res = match self.call_method(mgr, exit, proto.exit(), ExcDetails::of(None)) {
                    Ok(v) => self.awaited(v, proto.exit()),
                    Err(x) => Err(x),
                };
                match res {
                    Err(x) => {
                        self.hit(Rule::ExitRaisesOnNormalPath);
                        Flow::Raise(x)
                    }
                    Ok(_) => other,
                }
            }
        }
    }
}
