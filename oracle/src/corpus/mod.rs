//! The regression corpus: hand-editable `.case` files, and the files generated beside them.
//!
//! ```text
//! corpus/sync/exit-suppresses.case                 source of truth: header + program (format.rs)
//! corpus/sync/exit-suppresses.py                   @generated: render::standalone, runs as it is
//! corpus/sync/exit-suppresses.cpython-3.11.trace   @generated: Trace::lines() recorded from CPython 3.11
//! ```
//!
//! Only the `.case` file is edited by hand; `withstand record` writes the other two, the trace
//! from a real interpreter run, never from the model. Loading validates the header and the
//! program and reports every problem with the file name and line.
//!
//! With `oracle::runner`, this is the only module of the oracle that does I/O: it reads and
//! writes files (atomically: a temporary file in the same directory, renamed into place).

pub mod format;

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::ir::Program;
use crate::model::predict;
use crate::parse::parse;
use crate::profile::Profile;
use crate::render;

pub use format::{Header, Origin};

/// A problem with a corpus file: where (file and line), and what.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {kind}", path.display(), line.map_or(String::new(), |l| format!(":{l}")))]
pub struct Error {
    /// The file.
    pub path: PathBuf,
    /// The line (1-based), when the problem has one.
    pub line: Option<usize>,
    /// What is wrong.
    pub kind: ErrorKind,
}

/// What is wrong with a corpus file.
#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    /// The file could not be read: it does not exist, say.
    #[error("cannot read: {0}")]
    Read(#[source] io::Error),
    /// The file could not be written.
    #[error("cannot write: {0}")]
    Write(#[source] io::Error),
    /// The header is malformed: `unknown rule `exit-supresses``.
    #[error("{0}")]
    Header(String),
    /// The program does not parse or does not validate: `expected def main():`.
    #[error("{0}")]
    Program(String),
    /// The case names a rule its program never exercises.
    #[error("{0}")]
    Rule(String),
    /// A generated `.trace` file is malformed.
    #[error("{0}")]
    Trace(String),
}

impl Error {
    fn new(path: &Path, line: Option<usize>, kind: ErrorKind) -> Error {
        Error { path: path.to_path_buf(), line, kind }
    }
}

/// One corpus case, loaded and valid.
#[derive(Clone, Debug)]
pub struct Case {
    /// The `.case` file.
    pub path: PathBuf,
    /// Its header.
    pub header: Header,
    /// Its program.
    pub program: Program,
}

/// The extension of case files.
pub const CASE_EXT: &str = "case";

/// The profile corpus cases are recorded from and checked against without an interpreter.
pub const REFERENCE: Profile = Profile::CPYTHON_3_11;

impl Case {
    /// The file name without `.case`: `exit-suppresses`.
    pub fn name(&self) -> String {
        self.path.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned())
    }

    /// The generated standalone program beside the case.
    pub fn py_path(&self) -> PathBuf {
        self.path.with_extension("py")
    }

    /// The trace recorded from an interpreter of `profile`: `<name>.cpython-3.11.trace`.
    pub fn trace_path(&self, profile: Profile) -> PathBuf {
        self.path.with_extension(format!("{profile}.trace"))
    }

    /// What the `.py` file must hold: the `@generated` header and the program importing the
    /// prelude module at the corpus root (`render::importing_prelude`).
    pub fn py_text(&self) -> String {
        let header = format::generated_header(&file_name(&self.path), &regenerate_command(&self.path), &[]);
        let (_, up) = prelude_module_place(&self.path);
        format!("{header}{}", render::importing_prelude(&self.program, up))
    }

    /// The prelude module the `.py` file imports: `withstand_prelude.py` in the corpus root
    /// (the nearest directory named `corpus` above the case, else the case's own directory).
    pub fn prelude_module_path(&self) -> PathBuf {
        prelude_module_place(&self.path).0.join(format!("{}.py", render::PRELUDE_MODULE))
    }

    /// What the `.trace` file for `profile` holds when `lines` were recorded from `interpreter`.
    pub fn trace_text(&self, interpreter: &str, lines: &[String]) -> String {
        let extra = [format!("Recorded from {interpreter}.")];
        let header = format::generated_header(&file_name(&self.path), &regenerate_command(&self.path), &extra);
        let mut res = header;
        for l in lines {
            res.push_str(l);
            res.push('\n');
        }
        res
    }

    /// The trace recorded for `profile`, if there is one.
    pub fn recorded(&self, profile: Profile) -> Result<Option<Vec<String>>, Error> {
        let path = self.trace_path(profile);
        let text = match read_text(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::new(&path, None, ErrorKind::Read(e))),
        };
        format::trace_lines(&text).map(Some).map_err(|m| Error::new(&path, None, ErrorKind::Trace(m)))
    }

    /// Writes the `.py` file and the prelude module it imports (each only if its text changed);
    /// true if either changed.
    pub fn write_py(&self) -> Result<bool, Error> {
        let module = write_if_changed(&self.prelude_module_path(), &prelude_module_text())?;
        Ok(write_if_changed(&self.py_path(), &self.py_text())? || module)
    }

    /// Writes the `.trace` file for `profile` (if its text changed); true if it did.
    pub fn write_trace(&self, profile: Profile, interpreter: &str, lines: &[String]) -> Result<bool, Error> {
        write_if_changed(&self.trace_path(profile), &self.trace_text(interpreter, lines))
    }

    /// Every rule the header names that the program does not exercise under `profile`.
    pub fn unexercised_rules(&self, profile: Profile) -> Vec<Error> {
        let coverage = predict(&self.program, profile).coverage;
        let line = rule_line(&self.path);
        self.header
            .rules
            .iter()
            .filter(|r| !coverage.fired(**r))
            .map(|r| {
                let kind = ErrorKind::Rule(format!(
                    "the case names rule {} but the model never applies it to the program ({profile})",
                    r.name()
                ));
                Error::new(&self.path, line, kind)
            })
            .collect()
    }
}

/// What the corpus's prelude module holds: an `@generated` header, then
/// `render::prelude_module`.
pub fn prelude_module_text() -> String {
    format!(
        "# {} from oracle/src/render/prelude.py by `withstand record`; do not edit.\n\
         # Regenerate: withstand record corpus (or `UPDATE_EXPECT=1 cargo test -p withstand-oracle corpus`)\n\
         # The instrumentation every corpus/<topic>/<case>.py imports.\n{}",
        format::GENERATED,
        render::prelude_module()
    )
}

/// The directory of the prelude module for the case at `path`, and how many directories up
/// from the case's own that is.
fn prelude_module_place(path: &Path) -> (PathBuf, usize) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match dir.ancestors().position(|a| a.file_name().is_some_and(|n| n == "corpus")) {
        Some(up) => (dir.ancestors().nth(up).expect("an ancestor").to_path_buf(), up),
        None => (dir.to_path_buf(), 0),
    }
}

/// The file name, for headers.
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

/// The command that regenerates the files of the case at `path`: `withstand record
/// corpus/sync/x.case`, with the path from the `corpus` directory on if it is inside one, so
/// that the text does not depend on where the command was run.
pub fn regenerate_command(path: &Path) -> String {
    format!("withstand record {}", display_path(path))
}

/// `path` from its last `corpus` component on (`corpus/sync/x.case`), or as it is.
pub fn display_path(path: &Path) -> String {
    let components: Vec<_> = path.components().collect();
    match components.iter().rposition(|c| c.as_os_str() == "corpus") {
        Some(i) => components[i..].iter().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"),
        None => path.display().to_string(),
    }
}

/// The largest file the corpus code reads (a `.case`, a `.trace`), and what the command line
/// reads as a program: 1 MiB.
pub const MAX_INPUT_BYTES: u64 = 1 << 20;

/// Reads a text file that is a regular file (a FIFO named `x.case` would block forever) of at
/// most [`MAX_INPUT_BYTES`].
pub fn read_text(path: &Path) -> io::Result<String> {
    use std::io::Read;
    let meta = fs::metadata(path)?;
    if !meta.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
    }
    let too_big =
        || io::Error::new(io::ErrorKind::InvalidData, format!("larger than the limit of {MAX_INPUT_BYTES} bytes"));
    if meta.len() > MAX_INPUT_BYTES {
        return Err(too_big());
    }
    let mut text = String::new();
    fs::File::open(path)?.take(MAX_INPUT_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_big());
    }
    Ok(text)
}

/// Reads and validates one `.case` file; reports every problem in it.
pub fn load(path: &Path) -> Result<Case, Vec<Error>> {
    match read_text(path) {
        Ok(text) => parse_case(path, &text),
        Err(e) => Err(vec![Error::new(path, None, ErrorKind::Read(e))]),
    }
}

/// Validates the text of a `.case` file; `path` is for the messages. Reports every problem.
pub fn parse_case(path: &Path, text: &str) -> Result<Case, Vec<Error>> {
    let mut errors = Vec::new();
    let header = match format::parse_header(text) {
        Ok(h) => Some(h),
        Err(problems) => {
            errors.extend(problems.into_iter().map(|p| Error::new(path, p.line, ErrorKind::Header(p.message))));
            None
        }
    };
    // The parser skips comment lines, so the header is invisible to it and line numbers agree.
    let program = match parse(text) {
        Ok(p) => Some(p),
        Err(diags) => {
            for d in diags {
                let line = d.loc.line();
                let message = if line.is_some() { d.kind.to_string() } else { d.to_string() };
                errors.push(Error::new(path, line, ErrorKind::Program(message)));
            }
            None
        }
    };
    match (header, program) {
        (Some(header), Some(program)) if errors.is_empty() => Ok(Case { path: path.to_path_buf(), header, program }),
        _ => Err(errors),
    }
}

/// The text of a `.case` file: the header, a blank line, the program.
pub fn case_text(header: &Header, program: &Program) -> String {
    format!("{}\n{}", header.render(), render::body(program))
}

/// Every `.case` file under `paths` (directories, searched recursively, or `.case` files), sorted,
/// each once.
pub fn list(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut res = Vec::new();
    for p in paths {
        let meta = fs::metadata(p).map_err(|e| Error::new(p, None, ErrorKind::Read(e)))?;
        if meta.is_dir() {
            walk(p, &mut res)?;
        } else if p.extension().is_some_and(|e| e == CASE_EXT) {
            res.push(p.clone());
        } else {
            let message = "not a directory or a .case file".to_string();
            return Err(Error::new(p, None, ErrorKind::Read(io::Error::new(io::ErrorKind::InvalidInput, message))));
        }
    }
    res.sort();
    res.dedup();
    Ok(res)
}

fn walk(dir: &Path, res: &mut Vec<PathBuf>) -> Result<(), Error> {
    let entries = fs::read_dir(dir).map_err(|e| Error::new(dir, None, ErrorKind::Read(e)))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::new(dir, None, ErrorKind::Read(e)))?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let ty = entry.file_type().map_err(|e| Error::new(&path, None, ErrorKind::Read(e)))?;
        if ty.is_dir() {
            walk(&path, res)?;
        } else if path.extension().is_some_and(|e| e == CASE_EXT) {
            res.push(path);
        }
    }
    Ok(())
}

/// The line of the `# rule:` field, for messages about rules.
fn rule_line(path: &Path) -> Option<usize> {
    let text = fs::read_to_string(path).ok()?;
    text.lines().position(|l| l.starts_with("# rule:")).map(|i| i + 1)
}

/// Writes `contents` to `path` unless it already holds exactly that; true if it wrote.
pub fn write_if_changed(path: &Path, contents: &str) -> Result<bool, Error> {
    if fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return Ok(false);
    }
    write_atomic(path, contents).map_err(|e| Error::new(path, None, ErrorKind::Write(e)))?;
    Ok(true)
}

/// Writes `contents` to `path` atomically: a temporary file in the same directory (a hidden
/// `.tmp` name), then a rename. An interrupted write leaves the old file or the new one, never
/// half of one. The file gets the mode a plain write would (0666 less the umask), and an error
/// says what the system said, never the temporary name.
pub fn write_atomic(path: &Path, contents: &str) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let write = || -> io::Result<()> {
        let mut tmp = plain_builder(".tmp-", false).tempfile_in(dir)?;
        tmp.write_all(contents.as_bytes())?;
        tmp.as_file().sync_data()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    };
    // tempfile says `<what the system said> at path "<the temporary file>"`: keep the first part.
    write().map_err(|e| {
        let text = e.to_string();
        match text.find(" at path ") {
            Some(i) => io::Error::new(e.kind(), text[..i].to_string()),
            None => e,
        }
    })
}

/// A temporary-file builder whose files (and directories) get the mode a plain create would:
/// 0666 (0777 for a directory) less the umask, not tempfile's private 0600.
pub fn plain_builder<'a>(prefix: &'a str, dir: bool) -> tempfile::Builder<'a, 'a> {
    let mut b = tempfile::Builder::new();
    b.prefix(prefix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(fs::Permissions::from_mode(if dir { 0o777 } else { 0o666 }));
    }
    let _ = dir;
    b
}

#[cfg(test)]
mod tests;
