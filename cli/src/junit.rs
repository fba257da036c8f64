//! A JUnit XML report, the format CI systems read. For `replay`: one `<testsuite>` per corpus
//! directory, one `<testcase>` per corpus file, the diff in the failure. For `run` and `merge`
//! ([`root_causes`]): one `<testcase>` per root cause, a new one failing with its reproducer and
//! diff, a known one skipped with its entry. `quick-junit` writes the XML (and does the escaping).

use std::collections::BTreeMap;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCaseStatus, TestSuite};

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
    /// Not counted as a pass or a failure: a known difference.
    Skipped {
        /// Why.
        message: String,
    },
    /// It could not be run: the case file is invalid.
    Error {
        /// `invalid-case`.
        kind: String,
        /// What is wrong.
        message: String,
    },
}

/// The whole report, through `quick-junit`: one `<testsuite>` per suite, in name order.
pub fn render(name: &str, cases: &[TestCase], secs: f64) -> String {
    render_with_output(name, cases, secs, &[])
}

/// [`render`], with `output` as every suite's `<system-out>` (when not empty).
fn render_with_output(name: &str, cases: &[TestCase], secs: f64, output: &[String]) -> String {
    let mut suites: BTreeMap<&str, Vec<&TestCase>> = BTreeMap::new();
    for c in cases {
        suites.entry(&c.suite).or_default().push(c);
    }
    let mut report = Report::new(name);
    report.set_time(Duration::from_secs_f64(secs.max(0.0)));
    for (suite, cs) in suites {
        let mut s = TestSuite::new(suite);
        s.set_time(Duration::from_secs_f64(cs.iter().map(|c| c.secs.max(0.0)).sum()));
        for c in cs {
            let status = match &c.result {
                TestResult::Passed => TestCaseStatus::success(),
                TestResult::Failure { kind, message, text } => {
                    let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    st.set_type(kind.as_str()).set_message(message.as_str()).set_description(text.as_str());
                    st
                }
                TestResult::Skipped { message } => {
                    let mut st = TestCaseStatus::skipped();
                    st.set_message(message.as_str());
                    st
                }
                TestResult::Error { kind, message } => {
                    let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
                    st.set_type(kind.as_str()).set_message(message.as_str()).set_description(message.as_str());
                    st
                }
            };
            let mut t = quick_junit::TestCase::new(c.name.as_str(), status);
            t.set_classname(suite.replace('/', ".")).set_time(Duration::from_secs_f64(c.secs.max(0.0)));
            t.extra.insert("file".into(), c.file.as_str().into());
            if !c.notes.is_empty() {
                t.set_system_out(c.notes.join("\n"));
            }
            s.add_test_case(t);
        }
        if !output.is_empty() {
            s.set_system_out(output.join("\n"));
        }
        report.add_test_suite(s);
    }
    report.to_string().expect("a report of strings serialises")
}

/// The JUnit report of a campaign: one `<testsuite>` (the interpreter), one `<testcase>` per root
/// cause; stale known entries go to the suite's output.
pub fn root_causes(report: &crate::report::data::Report) -> String {
    let run = &report.run;
    let suite = format!("withstand run: {} as {}", run.interpreter.name, run.profile);
    let cases: Vec<TestCase> = report
        .root_causes
        .iter()
        .map(|r| {
            let result = match &r.known {
                Some(id) => TestResult::Skipped {
                    message: format!("known difference {id}: {}", r.known_summary.as_deref().unwrap_or("")),
                },
                None => TestResult::Failure {
                    kind: r.failure.clone(),
                    message: format!(
                        "{}: {} findings, {} signatures ({} as {}, seed {})",
                        r.name,
                        r.count,
                        r.signatures.len(),
                        run.interpreter.name,
                        run.profile,
                        run.seed
                    ),
                    text: format!(
                        "{}reproducer {}/{} ({} lines):\n\n{}\n\n{}",
                        if r.joined.is_empty() {
                            String::new()
                        } else {
                            format!("{}\n\n", crate::report::markdown::joined_text(r, ""))
                        },
                        run.run_dir,
                        r.reproducer,
                        r.reproducer_lines,
                        r.program.trim_end(),
                        r.diff.trim_end()
                    ),
                },
            };
            TestCase {
                suite: suite.clone(),
                name: r.name.clone(),
                file: format!("{}/{}", run.run_dir, r.reproducer),
                secs: 0.0,
                result,
                notes: r.signatures.iter().map(|s| format!("{} x {}", s.count, s.signature)).collect(),
            }
        })
        .collect();
    let mut xml_cases = cases;
    if xml_cases.is_empty() {
        // A suite with no test looks like a broken run; say what passed.
        xml_cases.push(TestCase {
            suite: suite.clone(),
            name: format!("{} programs, no new root cause", report.summary.programs),
            file: run.run_dir.clone(),
            secs: 0.0,
            result: TestResult::Passed,
            notes: Vec::new(),
        });
    }
    let stale: Vec<String> = report
        .stale
        .iter()
        .map(|e| format!("stale known entry {} ({}:{}): {}", e.id, e.file, e.line, e.summary))
        .collect();
    render_with_output("withstand run", &xml_cases, run.secs, &stale)
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
            <testsuites name="withstand replay" tests="3" skipped="0" failures="1" errors="1" time="0.500">
                <testsuite name="corpus/async" tests="1" skipped="0" errors="1" failures="0" time="0.000">
                    <testcase name="bad&lt;name&gt;" classname="corpus.async" time="0.000" file="corpus/async/bad&lt;name&gt;.case">
                        <error message="line 3: unknown rule `x`" type="invalid-case">line 3: unknown rule `x`</error>
                    </testcase>
                </testsuite>
                <testsuite name="corpus/sync" tests="2" skipped="0" errors="0" failures="1" time="0.003">
                    <testcase name="exit-after-return" classname="corpus.sync" time="0.001" file="corpus/sync/exit-after-return.case">
                        <failure message="expected MN.__exit__ | observed =&gt; return
            -M0.__exit__ exc=- exc_info=-" type="divergence">--- expected (model)
            +++ observed (interpreter)
            -M0.__exit__ exc=- exc_info=-
             =&gt; return 3</failure>
                    </testcase>
                    <testcase name="exit-suppresses" classname="corpus.sync" time="0.002" file="corpus/sync/exit-suppresses.case"/>
                </testsuite>
            </testsuites>
        "#]]
        .assert_eq(&render("withstand replay", &cases, 0.5));
    }
}
