//! Reading what the user hands the command line: only regular files, at most
//! [`MAX_INPUT_BYTES`], and programs parsed with every problem reported as file:line.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use oracle::ir::Program;

use crate::limits::{clip_message, MAX_INPUT_BYTES, MAX_PRINTED_LINE_BYTES};

/// Reads a text input file: only a regular file (a FIFO or a device would block or never end),
/// at most [`MAX_INPUT_BYTES`]; the error names the file.
pub fn read_text(path: &Path) -> anyhow::Result<String> {
    oracle::corpus::read_text(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Reads an input file as bytes, with the checks of [`read_text`].
pub fn read_bytes(path: &Path) -> anyhow::Result<Vec<u8>> {
    let shown = path.display();
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read {shown}"))?;
    if !meta.is_file() {
        anyhow::bail!("cannot read {shown}: not a regular file");
    }
    let too_big = || format!("cannot read {shown}: larger than the limit of {MAX_INPUT_BYTES} bytes");
    if meta.len() > MAX_INPUT_BYTES {
        anyhow::bail!(too_big());
    }
    let mut data = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut data))
        .with_context(|| format!("cannot read {shown}"))?;
    if data.len() as u64 > MAX_INPUT_BYTES {
        anyhow::bail!(too_big());
    }
    Ok(data)
}

/// The program in a file (a `.case`, a standalone `.py`, a program body) or in a finding
/// directory (its `program.py`).
pub fn read_program(path: &Path) -> anyhow::Result<Program> {
    let file: PathBuf = if path.is_dir() { path.join("program.py") } else { path.to_path_buf() };
    parse_program(&read_text(&file)?, &file)
}

/// `text` read with `oracle::parse`; every problem is reported as `file:line: message` (each cut
/// to a printable length).
pub fn parse_program(text: &str, file: &Path) -> anyhow::Result<Program> {
    oracle::parse::parse(text).map_err(|diags| {
        let lines: Vec<String> = diags
            .iter()
            .map(|d| {
                let line = match d.loc.line() {
                    Some(n) => format!("{}:{n}: {}", file.display(), d.kind),
                    None => format!("{}: {d}", file.display()),
                };
                clip_message(&line, MAX_PRINTED_LINE_BYTES)
            })
            .collect();
        anyhow::format_err!("{} is not a withstand program:\n{}", file.display(), lines.join("\n"))
    })
}
