//! Trace against trace: whether they differ, where first, and the unified diff a person reads.

use similar::TextDiff;

use crate::trace::Trace;

/// How exception messages take part in the comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Messages {
    /// Messages must match exactly.
    Exact,
    /// Only types, identities and chains are compared.
    Types,
}

/// Two traces that differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The model's lines.
    pub expected: Vec<String>,
    /// The interpreter's lines.
    pub observed: Vec<String>,
    /// Index of the first line that differs.
    pub first: usize,
    /// What kind of divergence this is, independent of labels and numbering: the first
    /// differing lines with digits and message texts masked. Findings with the same signature
    /// are very likely the same bug; the reducer keeps a candidate only if it keeps the signature.
    pub signature: String,
}

/// Compares the model's trace with the interpreter's.
pub fn compare(expected: &Trace, observed: &Trace, messages: Messages) -> Option<Divergence> {
    let (expected, observed) = match messages {
        Messages::Exact => (expected.lines(), observed.lines()),
        Messages::Types => (expected.without_messages().lines(), observed.without_messages().lines()),
    };
    if expected == observed {
        return None;
    }
    let first = expected.iter().zip(&observed).take_while(|(a, b)| a == b).count();
    let (a, b) = (expected.get(first), observed.get(first));
    let signature = if kind(a) != kind(b) {
        // Different events: which ones is the signature (an exit skipped, an extra enter, ...).
        format!("expected {} | observed {}", kind(a), kind(b))
    } else {
        // The same event with different details: name the fields that differ. When only a
        // message differs, the message is the bug: keep its text.
        let (a, b) = (a.map_or("", |l| l.as_str()), b.map_or("", |l| l.as_str()));
        let fields = differing_fields(a, b);
        if mask(a, true) == mask(b, true) {
            format!("{}: message {} vs {}", kind(Some(&a.to_string())), mask(a, false), mask(b, false))
        } else {
            format!("{}: {} differ", kind(Some(&a.to_string())), fields.join(", "))
        }
    };
    Some(Divergence { expected, observed, first, signature })
}

impl Divergence {
    /// A unified diff, `-` for what the model expects and `+` for what the interpreter did.
    pub fn unified_diff(&self) -> String {
        let mut a = self.expected.join("\n");
        a.push('\n');
        let mut b = self.observed.join("\n");
        b.push('\n');
        TextDiff::from_lines(&a, &b)
            .unified_diff()
            .context_radius(1000)
            .header("expected (model)", "observed (interpreter)")
            .to_string()
    }
}

/// The names of the `key=value` fields (and flags) of two lines of one kind that differ, masked.
fn differing_fields(a: &str, b: &str) -> Vec<String> {
    fn fields(line: &str) -> Vec<(String, String)> {
        line.split_whitespace()
            .enumerate()
            .map(|(i, w)| match w.split_once('=') {
                Some((k, v)) => (k.to_string(), mask(v, true)),
                None => (format!("#{i}"), mask(w, true)),
            })
            .collect()
    }
    let (fa, fb) = (fields(a), fields(b));
    let mut keys: Vec<String> = fa.iter().chain(&fb).map(|(k, _)| k.clone()).collect();
    keys.dedup();
    let get = |f: &[(String, String)], k: &str| f.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
    let mut res: Vec<String> = Vec::new();
    for k in keys {
        if get(&fa, &k) != get(&fb, &k) && !res.contains(&k) {
            res.push(k);
        }
    }
    res
}

/// The kind of a trace line: its event word (`MN.__exit__`, `log`, `except`) or, for the
/// outcome, `=> raise TypeError` / `=> return`.
fn kind(line: Option<&String>) -> String {
    let Some(line) = line else { return "(end)".to_string() };
    let mut words = line.split_whitespace();
    let first = words.next().unwrap_or_default();
    let res = match first {
        "=>" | "chain" => {
            let what = words.next().unwrap_or_default();
            let ty = words.next().map_or("", |w| w.split(['(', '#']).next().unwrap_or_default());
            format!("{first} {what} {ty}")
        }
        _ => first.to_string(),
    };
    mask(res.trim_end(), true)
}

/// Masks what varies between instances of one bug: numbers and, if `messages`, message texts.
fn mask(line: &str, messages: bool) -> String {
    let mut res = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' && messages {
            res.push_str("\"…\"");
            let mut escaped = false;
            for d in chars.by_ref() {
                if escaped {
                    escaped = false;
                } else if d == '\\' {
                    escaped = true;
                } else if d == '"' {
                    break;
                }
            }
        } else if c.is_ascii_digit() {
            res.push('N');
            while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                chars.next();
            }
        } else {
            res.push(c);
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;
    use crate::trace::{Event, ExcDetail, ExcRef, Outcome};

    fn exc(ty: &str, msg: &str, id: u32) -> ExcRef {
        ExcRef { ty: ty.to_string(), msg: Some(msg.to_string()), id }
    }

    fn trace(exit_sees: Option<ExcRef>, msg: &str) -> Trace {
        Trace {
            events: vec![
                Event::Init { mgr: "M0".to_string() },
                Event::Exit { mgr: "M0".to_string(), is_async: false, exc: exit_sees, consistent: true, info: None },
            ],
            outcome: Outcome::Raised(vec![ExcDetail {
                exc: exc("TypeError", msg, 1),
                context: None,
                cause: None,
                suppress_context: false,
                leaves: Vec::new(),
            }]),
        }
    }

    #[test]
    fn equal_traces_do_not_diverge() {
        let t = trace(None, "m");
        assert_eq!(compare(&t, &t, Messages::Exact), None);
    }

    #[test]
    fn message_only_differences_depend_on_the_mode() {
        let a = trace(None, "one");
        let b = trace(None, "two");
        assert!(compare(&a, &b, Messages::Exact).is_some());
        assert_eq!(compare(&a, &b, Messages::Types), None);
    }

    #[test]
    fn a_divergence_names_its_first_line_and_masks_the_signature() {
        let a = trace(None, "m");
        let b = trace(Some(exc("E1", "r12", 2)), "m");
        let d = compare(&a, &b, Messages::Exact).expect("they differ");
        assert_eq!(d.first, 1);
        expect!["MN.__exit__: exc differ"].assert_eq(&d.signature);
        expect![[r#"
            --- expected (model)
            +++ observed (interpreter)
            @@ -1,3 +1,3 @@
             M0.__init__
            -M0.__exit__ exc=- exc_info=-
            +M0.__exit__ exc=E1("r12")#2 exc_info=-
             => raise TypeError("m")#1
        "#]]
        .assert_eq(&d.unified_diff());
    }
}
