//! `report.md`: a run's report for people, as a CI artifact page shows it: what ran and how to
//! run it again, a table of root causes, then each new root cause with its reproducer and diff,
//! the known ones, and the stale entries.

use std::fmt::Write as _;

use super::data::{Report, RootCauseRecord};

/// The Markdown text of a report.
pub fn render(report: &Report) -> String {
    let mut md = String::new();
    let run = &report.run;
    let s = &report.summary;
    let _ = writeln!(md, "# withstand: {} as {}\n", run.interpreter.name, run.profile);
    let verdict = if s.new == 0 { "no new root cause" } else { "**new root causes found**" };
    let _ = writeln!(
        md,
        "**root causes: {} ({} known, {} new)**: {verdict}; {} findings ({} new, {} known) in {} programs.\n",
        s.root_causes, s.known, s.new, s.findings, s.new_findings, s.known_findings, s.programs
    );
    let _ = writeln!(md, "- interpreter: {} (`{}`)", run.interpreter.name, one_line(&run.interpreter.version_string));
    let _ = writeln!(md, "- profile: {}{}", run.profile, if run.target.is_some() { " (--target)" } else { "" });
    let mut what = format!("seed `{}`", run.seed);
    if let Some(c) = run.cases {
        what.push_str(&format!(", --cases {c}"));
    }
    if let Some(t) = run.time_secs {
        what.push_str(&format!(", --time {t:.0}s"));
    }
    if let Some(sh) = &run.shard {
        what.push_str(&format!(", shard {sh}"));
    }
    let _ = writeln!(md, "- campaign: {what}; messages {}; {:.1}s", run.messages, run.secs);
    if !run.merged.is_empty() {
        let _ = writeln!(
            md,
            "- merged from: {}",
            run.merged.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
        );
    }
    if !run.known_files.is_empty() {
        let _ = writeln!(
            md,
            "- known differences: {}",
            run.known_files.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
        );
    }
    if s.hangs + s.crashes + s.garbage > 0 {
        let _ = writeln!(
            md,
            "- interpreter failures: {} crashes, {} hangs, {} garbage answers",
            s.crashes, s.hangs, s.garbage
        );
    }
    if !run.complete {
        let _ = writeln!(md, "- **the run stopped early**; what it found so far is here");
    }
    let _ = writeln!(md, "\nReproduce the run:\n\n```sh\n{}\n```\n", run.reproduce);

    if !report.root_causes.is_empty() {
        let _ = writeln!(md, "| # | root cause | status | findings | signatures | reproducer |");
        let _ = writeln!(md, "|---|---|---|---:|---:|---|");
        for (i, r) in report.root_causes.iter().enumerate() {
            let status = match &r.known {
                Some(id) => format!("known: `{id}`"),
                None => "**new**".to_string(),
            };
            let repro = match (&r.known, &r.known_case) {
                (Some(_), Some(case)) => format!("`{case}`"),
                _ => format!("[{} lines]({})", r.reproducer_lines, r.reproducer),
            };
            let joined = match r.joined.len() {
                0 => String::new(),
                n => format!(" (+{n} joined)"),
            };
            let _ = writeln!(
                md,
                "| {} | `{}`{joined} | {status} | {} | {} | {repro} |",
                i + 1,
                cell(&r.name),
                r.count,
                r.signatures.len()
            );
        }
        md.push('\n');
    }

    for (i, r) in report.root_causes.iter().enumerate().filter(|(_, r)| r.known.is_none()) {
        new_root_cause(&mut md, i + 1, r);
    }
    let known: Vec<(usize, &RootCauseRecord)> =
        report.root_causes.iter().enumerate().filter(|(_, r)| r.known.is_some()).collect();
    if !known.is_empty() {
        let _ = writeln!(md, "## Known differences\n");
        for (i, r) in known {
            let _ = writeln!(
                md,
                "- **`{}`** (#{}): {} ({} findings; `{}`){}",
                r.known.as_deref().unwrap_or(""),
                i + 1,
                one_line(r.known_summary.as_deref().unwrap_or("")),
                r.count,
                cell(&r.name),
                r.known_case.as_ref().map(|c| format!("; case `{c}`")).unwrap_or_default()
            );
        }
        md.push('\n');
    }
    if !report.stale.is_empty() {
        let _ = writeln!(md, "## Stale known entries\n");
        let _ =
            writeln!(md, "They matched nothing in {} programs: the implementation may have fixed them.\n", s.programs);
        for e in &report.stale {
            let _ = writeln!(md, "- `{}` ({}:{}): {}", e.id, e.file, e.line, one_line(&e.summary));
        }
        md.push('\n');
    }
    md
}

fn new_root_cause(md: &mut String, n: usize, r: &RootCauseRecord) {
    let _ = writeln!(md, "## {n}. {} (new)\n", r.name);
    let shrink = match &r.shrink {
        Some(sh) => format!(", shrunk from {} lines in {:.1}s ({})", sh.lines_before, sh.secs, sh.status),
        None => String::new(),
    };
    let _ = writeln!(
        md,
        "{} findings, {} signatures; first at case {} (index {}). Reproducer `{}` ({} lines{shrink}); it runs as it is under any `python3` and prints the observed trace.\n",
        r.count,
        r.signatures.len(),
        r.first_index + 1,
        r.first_index,
        r.reproducer,
        r.reproducer_lines
    );
    if !r.joined.is_empty() {
        let _ = writeln!(md, "{}\n", joined_text(r, "`"));
    }
    let _ = writeln!(md, "```python\n{}\n```\n", fence_safe(r.program.trim_end()));
    let _ = writeln!(md, "```diff\n{}\n```\n", fence_safe(r.diff.trim_end()));
    if r.signatures.len() > 1 || !r.rules.is_empty() {
        let _ = writeln!(md, "<details><summary>signatures</summary>\n");
        if r.rules.len() > 1 {
            let _ = writeln!(md, "rules: {}\n", r.rules.join(", "));
        }
        for sig in r.signatures.iter().take(100) {
            let _ = writeln!(md, "- {} × `{}`", sig.count, cell(&sig.signature));
        }
        if r.signatures.len() > 100 {
            let _ = writeln!(md, "- … and {} more", r.signatures.len() - 100);
        }
        let _ = writeln!(md, "\n</details>\n");
    }
}

/// `Joined to it as one bug (the interpreter raises ...): `x` (4 findings), ...`, names quoted
/// with `quote`.
pub fn joined_text(r: &RootCauseRecord, quote: &str) -> String {
    let names: Vec<String> = r
        .joined
        .iter()
        .map(|j| {
            format!("{quote}{}{quote} ({} finding{})", cell(&j.name), j.count, if j.count == 1 { "" } else { "s" })
        })
        .collect();
    let shared: Vec<String> = r.shared.iter().map(|s| one_line(s)).collect();
    format!("Joined to it as one bug ({}): {}.", shared.join("; "), names.join(", "))
}

/// One line, control characters escaped, cut.
fn one_line(text: &str) -> String {
    oracle::corpus::format::one_line(text, 300)
}

/// Text for a table cell or inline code: one line, no backticks or pipes that would break it.
fn cell(text: &str) -> String {
    one_line(text).replace('`', "'").replace('|', "\\|")
}

/// Text inside a fenced block: a line of three backticks would close it early.
fn fence_safe(text: &str) -> String {
    text.replace("```", "`\u{200b}``")
}
