//! Every bound the command line enforces, in one place (README's "Limits" section lists them),
//! and the helpers that cut what is printed and what goes into a finding's files.

use std::time::Duration;

/// The longest `--timeout`, `--time` or `--shrink-time`: 30 days.
pub const MAX_DURATION: Duration = Duration::from_secs(30 * 24 * 3600);

/// The most workers `--jobs` starts; more is cut to this, with a warning.
pub const MAX_JOBS: usize = 64;

/// How many workers start at once (a slow start must not time out others' handshakes).
pub const MAX_CONCURRENT_STARTS: usize = 4;

/// The largest input file (`.case`, program, fuzz artifact) read.
pub const MAX_INPUT_BYTES: u64 = oracle::corpus::MAX_INPUT_BYTES;

/// The largest `report.json` that `withstand merge` reads: a campaign's findings, about 600 bytes
/// each.
pub const MAX_REPORT_BYTES: u64 = 512 << 20;

/// A printed diff shows at most this many lines (the finding's `diff.txt` has more).
pub const MAX_PRINTED_LINES: usize = 200;

/// A printed line (a diff line, a message, a stderr line) is cut to this many bytes.
pub const MAX_PRINTED_LINE_BYTES: usize = 300;

/// A file of a finding (a trace, a diff, stderr) is cut to this many bytes.
pub const MAX_FINDING_FILE_BYTES: usize = 1 << 20;

/// `text` cut to `max` bytes on a character boundary, saying how much was cut.
pub fn clip_message(text: &str, max: usize) -> String {
    oracle::verdict::clip(text, max)
}

/// `text` for a terminal: at most `max_lines` lines (saying how many more there were), each with
/// its control characters escaped (what an interpreter wrote cannot drive the terminal) and cut
/// to [`MAX_PRINTED_LINE_BYTES`].
pub fn clip_lines(text: &str, max_lines: usize) -> String {
    let total = text.lines().count();
    let line = |l: &str| clip_message(&oracle::corpus::format::one_line(l, usize::MAX), MAX_PRINTED_LINE_BYTES);
    let mut res: Vec<String> = text.lines().take(max_lines).map(line).collect();
    if total > max_lines {
        res.push(format!("… ({} more lines)", total - max_lines));
    }
    res.join("\n")
}

/// `text` cut to [`MAX_FINDING_FILE_BYTES`], for a finding's files.
pub fn clip_file(text: &str) -> String {
    let mut res = clip_message(text, MAX_FINDING_FILE_BYTES);
    if !res.ends_with('\n') {
        res.push('\n');
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_text_is_cut_by_lines_and_bytes() {
        let text = format!("{}\n\u{1b}[31mb\nc", "a".repeat(1000));
        let cut = clip_lines(&text, 2);
        assert!(cut.lines().next().expect("a line").len() < 400, "{cut}");
        assert!(cut.contains("\\u{1b}[31mb"), "{cut}");
        assert!(cut.ends_with("… (1 more lines)"), "{cut}");
        assert!(clip_file(&"x".repeat(2 << 20)).len() < (1 << 20) + 100);
    }
}
