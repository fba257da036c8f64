//! A JUnit XML report, the format CI systems read: one `<testsuite>` per corpus directory, one
//! `<testcase>` per corpus file, the diff in the failure. Written by hand: the format is small,
//! and escaping is the only subtle part.

use std::collections::BTreeMap;
use std::fmt::Write;

/// One test case of the report.
pub struct TestCase {
    /// The suite it belongs to: its directory, `corpus/sync`.
    pub suite: String,
    /// Its name: the file name without extension, `exit-suppresses`.
    pub name: String,
    /// The file, `corpus/sync/exit-suppresses.case`.
    pub file: String,
    /// How long it took.
    pub secs: f64,
    /// How it went.
    pub result: TestResult,
    /// Notes that do not fail the case (a stale recording), as `<system-out>`.
    pub notes: Vec<String>,
}

/// How a test case went.
pub enum TestResult {
    /// It passed.
    Passed,
    /// It failed: the interpreter diverged from the model (`kind` = `divergence`), or hung, ...
    Failure {
        /// `divergence`, `hang`, `crash`, `garbage`, `known-divergence-gone`.
        kind: String,
        /// One line, then the diff.
        message: String,
        /// The diff or the details.
        text: String,
    },
    /// It could not be run: the case file is invalid.
    Error {
        /// `invalid-case`.
        kind: String,
        /// What is wrong.
        message: String,
    },
}

/// The whole report.
pub fn render(name: &str, cases: &[TestCase], secs: f64) -> String {
    let mut suites: BTreeMap<&str, Vec<&TestCase>> = BTreeMap::new();
    for c in cases {
        suites.entry(&c.suite).or_default().push(c);
    }
    let count = |cs: &[&TestCase], f: fn(&TestResult) -> bool| cs.iter().filter(|c| f(&c.result)).count();
    let is_failure = |r: &TestResult| matches!(r, TestResult::Failure { .. });
    let is_error = |r: &TestResult| matches!(r, TestResult::Error { .. });
    let all: Vec<&TestCase> = cases.iter().collect();
    let mut res = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        res,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{secs:.3}\">",
        escape(name),
        all.len(),
        count(&all, is_failure),
        count(&all, is_error)
    );
    for (suite, cs) in &suites {
        let time: f64 = cs.iter().map(|c| c.secs).sum();
        let _ = writeln!(
            res,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" time=\"{time:.3}\">",
            escape(suite),
            cs.len(),
            count(cs, is_failure),
            count(cs, is_error)
        );
        for c in cs {
            let _ = write!(
                res,
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" time=\"{:.3}\"",
                escape(&c.name),
                escape(&suite.replace('/', ".")),
                escape(&c.file),
                c.secs
            );
            if matches!(c.result, TestResult::Passed) && c.notes.is_empty() {
                res.push_str("/>\n");
                continue;
            }
            res.push_str(">\n");
            match &c.result {
                TestResult::Passed => {}
                TestResult::Failure { kind, message, text } => {
                    let _ = writeln!(
                        res,
                        "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                        escape(kind),
                        escape(message),
                        escape_text(text)
                    );
                }
                TestResult::Error { kind, message } => {
                    let _ = writeln!(
                        res,
                        "      <error type=\"{}\" message=\"{}\">{}</error>",
                        escape(kind),
                        escape(message),
                        escape_text(message)
                    );
                }
            }
            if !c.notes.is_empty() {
                let _ = writeln!(res, "      <system-out>{}</system-out>", escape_text(&c.notes.join("\n")));
            }
            res.push_str("    </testcase>\n");
        }
        res.push_str("  </testsuite>\n");
    }
    res.push_str("</testsuites>\n");
    res
}

/// Element content: as [`escape`], but line breaks and tabs stay as they are, for people who
/// read the file.
pub fn escape_text(text: &str) -> String {
    let mut res = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            res.push('\n');
        }
        res.push_str(&escape(line).replace("&#9;", "\t").replace("&#13;", ""));
    }
    res
}

/// An attribute value: the five markup characters escaped, line breaks kept as character
/// references (an attribute value normalises a literal one to a space), and characters XML 1.0
/// cannot hold replaced by U+FFFD.
pub fn escape(text: &str) -> String {
    let mut res = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => res.push_str("&amp;"),
            '<' => res.push_str("&lt;"),
            '>' => res.push_str("&gt;"),
            '"' => res.push_str("&quot;"),
            '\'' => res.push_str("&apos;"),
            '\n' => res.push_str("&#10;"),
            '\r' => res.push_str("&#13;"),
            '\t' => res.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => res.push('\u{fffd}'),
            c => res.push(c),
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;

    #[test]
    fn a_report_names_every_case_and_carries_the_diff_of_a_failure() {
        let cases = vec![
            TestCase {
                suite: "corpus/sync".to_string(),
                name: "exit-after-return".to_string(),
                file: "corpus/sync/exit-after-return.case".to_string(),
                secs: 0.001,
                result: TestResult::Failure {
                    kind: "divergence".to_string(),
                    message: "expected MN.__exit__ | observed => return\n-M0.__exit__ exc=- exc_info=-".to_string(),
                    text:
                        "--- expected (model)\n+++ observed (interpreter)\n-M0.__exit__ exc=- exc_info=-\n => return 3"
                            .to_string(),
                },
                notes: vec![],
            },
            TestCase {
                suite: "corpus/sync".to_string(),
                name: "exit-suppresses".to_string(),
                file: "corpus/sync/exit-suppresses.case".to_string(),
                secs: 0.002,
                result: TestResult::Passed,
                notes: vec![],
            },
            TestCase {
                suite: "corpus/async".to_string(),
                name: "bad<name>".to_string(),
                file: "corpus/async/bad<name>.case".to_string(),
                secs: 0.0,
                result: TestResult::Error {
                    kind: "invalid-case".to_string(),
                    message: "line 3: unknown rule `x`\u{1}".to_string(),
                },
                notes: vec![],
            },
        ];
        expect![[r#"
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuites name="withstand replay" tests="3" failures="1" errors="1" time="0.500">
              <testsuite name="corpus/async" tests="1" failures="0" errors="1" skipped="0" time="0.000">
                <testcase name="bad&lt;name&gt;" classname="corpus.async" file="corpus/async/bad&lt;name&gt;.case" time="0.000">
                  <error type="invalid-case" message="line 3: unknown rule `x`�">line 3: unknown rule `x`�</error>
                </testcase>
              </testsuite>
              <testsuite name="corpus/sync" tests="2" failures="1" errors="0" skipped="0" time="0.003">
                <testcase name="exit-after-return" classname="corpus.sync" file="corpus/sync/exit-after-return.case" time="0.001">
                  <failure type="divergence" message="expected MN.__exit__ | observed =&gt; return&#10;-M0.__exit__ exc=- exc_info=-">--- expected (model)
            +++ observed (interpreter)
            -M0.__exit__ exc=- exc_info=-
             =&gt; return 3</failure>
                </testcase>
                <testcase name="exit-suppresses" classname="corpus.sync" file="corpus/sync/exit-suppresses.case" time="0.002"/>
              </testsuite>
            </testsuites>
        "#]]
        .assert_eq(&render("withstand replay", &cases, 0.5));
    }
}
