//! Binding a `with` target and reading a name back (SEMANTICS.md §1.2.4, §2.4, and the
//! addendum's §8.1–§8.3): names, parenthesized names, attribute and subscript stores, tuples with
//! a starred element, and names read after their `with` (which may never have been bound).

use crate::ir::{Elem, ExcClass, Key, Store, StoreObj, Target};
use crate::trace::Event;

use super::exc::ExcId;
use super::message;
use super::{Machine, Rule, Val};

impl<'p> Machine<'p> {
    /// Binds `value` to `target`, inside the protected region of its `with` (§1.2.4): what this
    /// raises reaches `__exit__`.
    pub(crate) fn bind(&mut self, target: &Target, value: Val) -> Result<(), ExcId> {
        match target {
            Target::None => Ok(()),
            Target::Name(n) => {
                self.hit(Rule::TargetBindsEnterValue);
                self.vars().insert(n.clone(), value);
                Ok(())
            }
            Target::Paren(n) => {
                self.hit(Rule::TargetParenthesizedName);
                self.hit(Rule::TargetBindsEnterValue);
                self.vars().insert(n.clone(), value);
                Ok(())
            }
            Target::Store(st) => self.store(st, value),
            Target::Star(_) | Target::Bad(_) | Target::BadComma(_) | Target::BadParen(_) => {
                unreachable!("a program with a target CPython refuses never runs")
            }
            Target::Tuple(elems) => {
                let items = self.unpack(elems, &value)?;
                self.hit(Rule::TargetUnpacks);
                for (e, v) in elems.iter().zip(items) {
                    match e {
                        Elem::Name(n) | Elem::Star(n) => {
                            self.vars().insert(n.clone(), v);
                        }
                        Elem::Store(st) => self.store(st, v)?,
                        Elem::Bad(_) => unreachable!("a program with a target CPython refuses never runs"),
                    }
                }
                Ok(())
            }
        }
    }

    /// `UNPACK_SEQUENCE` / `UNPACK_EX`: the values for `elems`, one each, a list for the starred
    /// one; or the ValueError / TypeError.
    fn unpack(&mut self, elems: &[Elem], value: &Val) -> Result<Vec<Val>, ExcId> {
        let (items, exact): (Vec<Val>, bool) = match value {
            Val::Tuple(items) | Val::List(items) => (items.clone(), true),
            Val::Str(s) => (s.chars().map(|c| Val::Str(c.to_string())).collect(), false),
            other => {
                self.hit(Rule::UnpackMessage);
                let msg = message::unpack_non_iterable(&self.type_name(other));
                return Err(self.raise_builtin(Rule::UnpackMessage, ExcClass::TypeError, msg));
            }
        };
        let Some(star) = elems.iter().position(|e| matches!(e, Elem::Star(_))) else {
            if items.len() != elems.len() {
                self.hit(Rule::UnpackMessage);
                let msg = message::unpack_count(&self.quirks, elems.len(), items.len(), exact);
                return Err(self.raise_builtin(Rule::UnpackMessage, ExcClass::ValueError, msg));
            }
            return Ok(items);
        };
        self.hit(Rule::TargetStarred);
        let fixed = elems.len() - 1;
        if items.len() < fixed {
            self.hit(Rule::UnpackMessage);
            let msg = message::unpack_count_starred(fixed, items.len());
            return Err(self.raise_builtin(Rule::UnpackMessage, ExcClass::ValueError, msg));
        }
        let after = fixed - star;
        let mut items = items;
        let tail = items.split_off(items.len() - after);
        let middle = items.split_off(star);
        items.push(Val::List(middle));
        items.extend(tail);
        Ok(items)
    }

    /// `Sink('o1', None).a = value`, `Sink('o1', None)['j']['k'] = value`, `None['k'] = value` (§8.2).
    fn store(&mut self, st: &Store, value: Val) -> Result<(), ExcId> {
        self.hit(match st.key {
            Key::Attr(_) => Rule::TargetAttribute,
            Key::Item(_) => Rule::TargetSubscript,
        });
        let loaded;
        let (label, raises) = match &st.obj {
            StoreObj::Sink { label, raises } => (label, raises),
            StoreObj::Loaded { label, raises, key } => {
                // The item is loaded (a sink of its own) before the store.
                self.hit(Rule::TargetSubscriptNested);
                loaded = format!("{label}[{key}]");
                (&loaded, raises)
            }
            StoreObj::None => {
                self.hit(Rule::TargetStoreRefused);
                let (class, msg) = match &st.key {
                    Key::Attr(a) => {
                        (ExcClass::AttributeError, message::no_attribute_to_set(&self.quirks, "NoneType", a))
                    }
                    Key::Item(_) => (ExcClass::TypeError, message::no_item_assignment("NoneType")),
                };
                return Err(self.raise_builtin(Rule::TargetStoreRefused, class, msg));
            }
        };
        let key = match &st.key {
            Key::Attr(a) => format!(".{a}"),
            Key::Item(k) => format!("[{}]", super::py_repr_str(k)),
        };
        let value = self.show(&value);
        self.emit(Event::Store { label: label.clone(), key, value });
        let Some(c) = raises else { return Ok(()) };
        self.hit(Rule::TargetStoreRaises);
        let id = self.excs.new_user_exc(*c, message::raised_by_program(*c, label));
        Err(self.raise_obj(id))
    }

    /// Reads `name` for `show` (§8.1): its value, or the error of reading a name never bound.
    /// `after_block` says the read stands after the `with` that bound the name.
    pub(crate) fn read(&mut self, name: &str, after_block: bool) -> Result<Val, ExcId> {
        let found = self.frames.last().map_or(&self.main, |frame| &frame.vars).get(name).cloned();
        if let Some(v) = found {
            if after_block {
                self.hit(Rule::TargetReadAfterBlock);
            }
            return Ok(v);
        }
        self.hit(Rule::TargetNeverBound);
        let msg = message::unbound_local(&self.quirks, name);
        Err(self.raise_builtin(Rule::TargetNeverBound, ExcClass::UnboundLocalError, msg))
    }
}
