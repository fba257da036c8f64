//! Values: evaluating the IR's expressions (context expressions make the managers and
//! contextlib's objects), and what a value looks like to the program: its text as the prelude
//! prints it, its type's name and module.

use crate::ir::{ExcClass, ItemExpr, Value};
use crate::trace::Event;

use super::message;
use super::{py_repr_str, Builtin, Flow, Machine, Rule, Val};

impl<'p> Machine<'p> {
    pub(crate) fn eval(&mut self, v: &Value) -> Val {
        match v {
            Value::None => Val::None,
            Value::Bool(b) => Val::Bool(*b),
            Value::Int(n) => Val::Int(*n),
            Value::Str(s) => Val::Str(s.clone()),
            Value::Tuple(items) => Val::Tuple(items.iter().map(|it| self.eval(it)).collect()),
            Value::BoolObj { .. } => Val::BoolObj(v.clone()),
            Value::LenObj { .. } => Val::LenObj(v.clone()),
            Value::Awaitable { .. } => Val::Aw(v.clone()),
            Value::BadAwaitable => Val::BadAw,
        }
    }

    /// Evaluates a context expression (of a `with` item, an assignment or a stack operation).
    pub(crate) fn eval_item(&mut self, expr: &ItemExpr) -> Result<Val, Flow> {
        Ok(match expr {
            ItemExpr::New(m) => {
                let m = *m;
                self.emit(Event::Init { mgr: format!("M{m}") });
                if let Some(e) = &self.program.managers[m].init_raises {
                    self.hit(Rule::ExprRaises);
                    let id = self.instantiate(e);
                    return Err(Flow::Raise(self.raise_obj(id)));
                }
                Val::Mgr(m)
            }
            ItemExpr::Literal(v) => self.eval(v),
            ItemExpr::Cm(c, args) => self.cm_factory(*c, args).map_err(Flow::Raise)?,
            ItemExpr::Suppress(classes) => Val::Builtin(Builtin::Suppress(classes.clone())),
            ItemExpr::Nullcontext(v) => Val::Builtin(Builtin::Null(v.clone())),
            ItemExpr::Closing { label, raises } => {
                Val::Builtin(Builtin::Closing { label: label.clone(), raises: *raises })
            }
            ItemExpr::Var(n) => self.var(n),
            ItemExpr::ExitStack { is_async } => {
                Val::Builtin(Builtin::Stack { is_async: *is_async, obj: self.heap.new_stack(Vec::new()) })
            }
            ItemExpr::PopAll(n) => return self.pop_all(n),
            ItemExpr::Nested(members) => {
                // `Nested(*managers)`: the members left to right, then Nested's own `__init__`.
                let mut vals = Vec::with_capacity(members.len());
                for m in members {
                    vals.push(self.eval_item(m)?);
                }
                Val::Builtin(Builtin::Nested(vals))
            }
            ItemExpr::ClosingGen { gen, is_async } => {
                if *is_async && !self.quirks.contextlib_async_helpers {
                    // The rule of aclosing, which this version does not have.
                    let msg = message::name_not_defined("aclosing");
                    return Err(Flow::Raise(self.raise_builtin(Rule::AclosingGen, ExcClass::NameError, msg)));
                }
                Val::Builtin(Builtin::ClosingGen { gen: *gen, is_async: *is_async, obj: self.heap.new_gen() })
            }
        })
    }

    /// The canonical text of a value, as the prelude's `_show` prints it.
    pub(crate) fn show(&self, v: &Val) -> String {
        match v {
            Val::None => "None".to_string(),
            Val::Bool(true) => "True".to_string(),
            Val::Bool(false) => "False".to_string(),
            Val::Int(n) => n.to_string(),
            Val::Str(s) => py_repr_str(s),
            Val::Tuple(items) => {
                let inner: Vec<String> = items.iter().map(|it| self.show(it)).collect();
                let comma = if items.len() == 1 { "," } else { "" };
                format!("({}{comma})", inner.join(", "))
            }
            Val::List(items) => {
                let inner: Vec<String> = items.iter().map(|it| self.show(it)).collect();
                format!("[{}]", inner.join(", "))
            }
            Val::Mgr(m) => format!("<M{m}>"),
            Val::BoolObj(Value::BoolObj { label, .. }) => format!("<Bool {label}>"),
            Val::LenObj(Value::LenObj { label, .. }) => format!("<Len {label}>"),
            Val::Aw(Value::Awaitable { coroutine: true, .. }) => "<coroutine>".to_string(),
            Val::Aw(Value::Awaitable { label, .. }) => format!("<Aw {label}>"),
            Val::BoolObj(_) | Val::LenObj(_) | Val::Aw(_) => unreachable!("objects hold their own IR value"),
            Val::BadAw => "<BadAw>".to_string(),
            Val::Builtin(b) => format!("<{}>", self.builtin_type_name(b)),
            Val::Gen { .. } => format!("<{}>", self.type_name(v)),
            Val::Xf(f) => format!("<{} {}>", if f.is_async { "AXf" } else { "Xf" }, f.label),
            Val::Closer(label) => format!("<Closer {label}>"),
            Val::Ready(_) => "<coroutine>".to_string(),
            Val::Coro { .. } => "<coroutine>".to_string(),
            Val::Exc(id) => format!("<{}>", self.excs.get(*id).class.name()),
        }
    }

    /// `type(v).__name__`.
    pub(crate) fn type_name(&self, v: &Val) -> String {
        match v {
            Val::None => "NoneType".to_string(),
            Val::Bool(_) => "bool".to_string(),
            Val::Int(_) => "int".to_string(),
            Val::Str(_) => "str".to_string(),
            Val::Tuple(_) => "tuple".to_string(),
            Val::List(_) => "list".to_string(),
            Val::Mgr(m) => format!("M{m}"),
            Val::BoolObj(_) => "Bool".to_string(),
            Val::LenObj(_) => "Len".to_string(),
            Val::Aw(Value::Awaitable { coroutine: true, .. }) => "coroutine".to_string(),
            Val::Aw(_) => "Aw".to_string(),
            Val::BadAw => "BadAw".to_string(),
            Val::Builtin(b) => self.builtin_type_name(b).to_string(),
            Val::Gen { gen, .. } if self.program.gens[*gen].is_async => "async_generator".to_string(),
            Val::Gen { .. } => "generator".to_string(),
            Val::Xf(f) if f.is_async => "AXf".to_string(),
            Val::Xf(_) => "Xf".to_string(),
            Val::Closer(_) => "Closer".to_string(),
            Val::Ready(_) => "coroutine".to_string(),
            Val::Coro { .. } => "coroutine".to_string(),
            Val::Exc(id) => self.excs.get(*id).class.name().to_string(),
        }
    }

    /// `type(b).__name__` of a contextlib object.
    pub(crate) fn builtin_type_name(&self, b: &Builtin) -> &'static str {
        match b {
            Builtin::Suppress(_) => "suppress",
            Builtin::Null(_) => "nullcontext",
            Builtin::Closing { .. } | Builtin::ClosingGen { is_async: false, .. } => "closing",
            Builtin::ClosingGen { is_async: true, .. } => "aclosing",
            Builtin::Cm { cm, .. } if self.program.cms[*cm].is_async => "_AsyncGeneratorContextManager",
            Builtin::Cm { .. } => "_GeneratorContextManager",
            Builtin::Stack { is_async: false, .. } => "ExitStack",
            Builtin::Stack { is_async: true, .. } => "AsyncExitStack",
            Builtin::Nested(_) => "Nested",
        }
    }

    /// `type(v).__module__`: contextlib's types, the builtins, or the program's own classes
    /// (the prelude's included), which run as `__main__`.
    pub(crate) fn type_module(&self, v: &Val) -> &'static str {
        match v {
            Val::Builtin(Builtin::Nested(_)) => "__main__",
            Val::Builtin(_) => "contextlib",
            Val::None | Val::Bool(_) | Val::Int(_) | Val::Str(_) | Val::Tuple(_) | Val::List(_) | Val::Gen { .. } => {
                "builtins"
            }
            Val::Ready(_) | Val::Coro { .. } | Val::Aw(Value::Awaitable { coroutine: true, .. }) => "builtins",
            Val::Exc(id) => match self.excs.get(*id).class {
                ExcClass::E1 | ExcClass::E2 | ExcClass::E3 | ExcClass::B1 | ExcClass::S1 | ExcClass::S2 => "__main__",
                _ => "builtins",
            },
            Val::Mgr(_) | Val::BoolObj(_) | Val::LenObj(_) | Val::Aw(_) | Val::BadAw | Val::Closer(_) | Val::Xf(_) => {
                "__main__"
            }
        }
    }

    /// The type name protocol errors print.
    pub(crate) fn protocol_type_name(&self, v: &Val) -> String {
        message::protocol_type_name(&self.quirks, self.type_module(v), self.type_name(v))
    }
}
