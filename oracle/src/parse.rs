//! Rendered text back to the IR: the inverse of [`render::body`](crate::render::body), so that
//! corpus cases can be kept, read and edited as the Python they run as.
//!
//! This is not a Python parser. It accepts exactly the statement shapes the renderer prints, one
//! per line, indented by 4 spaces a level, and tolerates what people add when they edit such a
//! file by hand: blank lines, comment lines (a header of `# key: value` lines included), trailing
//! comments and trailing whitespace. A [`render::standalone`](crate::render::standalone) file is
//! read from the line after its `# ---- the program ----` marker, and its trailing
//! `if __name__ == "__main__":` block is ignored.
//!
//! Like [`validate`], parsing never stops at the first problem: every line that does not have an
//! expected shape gets a [`Diagnostic`] at `line N` saying what was expected there, and parsing
//! goes on with the next line of the same indentation. A program that parses is then validated.

use std::collections::HashMap;

use crate::ir::visit::{Path, Root, Step};
use crate::ir::{
    validate, Action, Arg, AttrValue, AwOp, AwaitThen, Bad, BadThrow, BoolResult, Cause, CmGen, Deco as Decorator,
    DecoFn, Diagnostic, DirectCall, Drive, Elem, ExcAttr, ExcClass, ExitFn, ExitFnResult, GenFn, Getter, Group,
    Handler, ItemExpr, Key, Manager, Member as GroupMember, Method, NewExc, Param, Parens, Program, RaiseNew, Slot,
    StackOp, Stmt, Store, StoreObj, Target, TextPos, Then, Thrown, Triple, Try, Value, WithItem, Yielded,
};
use crate::render;

/// The line [`render::standalone`](crate::render::standalone) puts between the prelude and the
/// program.
pub const MARKER: &str = "# ---- the program ----";

/// Deepest block nesting accepted (`def main():` is depth 1), so that no input can exhaust the
/// stack.
const MAX_DEPTH: usize = 100;

/// Deepest tuple nesting accepted in a value.
const MAX_VALUE_DEPTH: usize = 32;

/// How a statement of `main` is described when a line is none of them.
const STMT: &str = "a statement such as log('L1') or with M0():";

/// How a value is described when one is expected.
const VALUE: &str =
    "a value such as None, True, 1, 'ab', (1, 2), Bool('b1', True), Len('n1', 2), Aw('a1', False, None) or BadAw()";

/// The names a value can start with.
const VALUE_NAMES: &[&str] = &["None", "True", "False", "Bool", "Len", "Aw", "co", "BadAw"];

/// How an exception class is described when one is expected.
const CLASS: &str = "an exception class such as E1 or KeyError";

/// Reads a program printed by [`render::body`](crate::render::body) or
/// [`render::standalone`](crate::render::standalone), possibly edited by hand.
///
/// For every program `p` that passes [`validate`], `parse(&render::body(&p)) == Ok(p)`. On text
/// that is not such a program it reports every problem it finds, at `line N`; if the text parses
/// but the program does not validate, the diagnostics are those of [`validate`], each placed at
/// the line of the part of the program it is about. Either way they are in text order. It never
/// panics.
pub fn parse(text: &str) -> Result<Program, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let lines = lines(text, &mut diags);
    let end = lines.len();
    let mut p = Parser {
        lines,
        pos: 0,
        end,
        diags,
        drives: Vec::new(),
        calls: Vec::new(),
        path: Path::new(Root::Main),
        lines_of: HashMap::new(),
    };
    let program = p.program();
    let mut diags = if p.diags.is_empty() {
        // Where the program came from, for what validation finds: the line of the part at the
        // path, or of the nearest part around it.
        let mut diags = validate(&program);
        for d in &mut diags {
            let Some(path) = &d.loc.path else { continue };
            let line = (0..=path.steps.len())
                .rev()
                .find_map(|k| p.lines_of.get(&Path { root: path.root, steps: path.steps[..k].to_vec() }));
            d.loc.text = line.map(|&no| p.pos_of(no));
        }
        diags
    } else {
        p.diags
    };
    if diags.is_empty() {
        return Ok(program);
    }
    // In text order; a stable sort keeps the order of the diagnostics of one line.
    diags.sort_by_key(|d| d.loc.text.unwrap_or(TextPos::End));
    Err(diags)
}

/// A line that holds code: its number (from 1), the column its code starts at, its indentation
/// level and its text without the indentation and trailing whitespace.
#[derive(Clone, Copy, Debug)]
struct Line<'a> {
    no: usize,
    column: usize,
    depth: usize,
    text: &'a str,
}

/// The lines that hold code, from the marker on if there is one.
fn lines<'a>(text: &'a str, diags: &mut Vec<Diagnostic>) -> Vec<Line<'a>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let raw: Vec<&str> = text.split('\n').collect();
    let start = raw.iter().position(|l| l.trim_end() == MARKER).map_or(0, |i| i + 1);
    let mut res = Vec::new();
    for (i, line) in raw.iter().enumerate().skip(start) {
        let no = i + 1;
        let line = line.trim_end();
        let content = line.trim_start_matches([' ', '\t']);
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = &line[..line.len() - content.len()];
        let column = indent.chars().count() + 1;
        let pos = TextPos::At { line: no, column };
        let width = if indent.contains('\t') {
            diags.push(Diagnostic::syntax(pos, "a tab in the indentation; indent with 4 spaces per level"));
            indent.chars().fold(0, |w, c| if c == '\t' { (w / 4 + 1) * 4 } else { w + 1 })
        } else {
            if indent.len() % 4 != 0 {
                let message = format!("indented by {} spaces; indent with 4 spaces per level", indent.len());
                diags.push(Diagnostic::syntax(pos, message));
            }
            indent.len()
        };
        // A width between levels counts as the nearer one, which is the likelier intent.
        res.push(Line { no, column, depth: (width + 2) / 4, text: content });
    }
    res
}

struct Parser<'a> {
    lines: Vec<Line<'a>>,
    pos: usize,
    /// Lines from here on are out of sight: while the `<pre>` statements of a `@contextmanager`
    /// function are read, the line of its yield (or `try:`, or `return`) ends them.
    end: usize,
    diags: Vec<Diagnostic>,
    /// Every drive read, with whether it was written `await adrive(...)`: the IR does not say
    /// (the renderer picks the form from the generator function), so the form written is checked
    /// against the function once all of them are read.
    drives: Vec<(Line<'a>, usize, bool)>,
    /// The calls of decorated functions read, with whether each is written with `await` and as a
    /// method's (`F0().f0(...)`): checked once the functions are known.
    calls: Vec<(Line<'a>, usize, bool, bool)>,
    /// The block being read: where the statements read next go.
    path: Path,
    /// The line of each part of the program read, to place what validation finds.
    lines_of: HashMap<Path, usize>,
}

/// A line of a class body at depth 1.
enum Member {
    Init,
    NoneAttr(Slot),
    /// `__exit__ = Fn('M0', '__exit__', True)`.
    Callable(Slot, ExitFnResult),
    /// `@property`, `@descriptor`, `@staticmethod` or `@classmethod`, before a `def`.
    Decorator(Deco),
    /// `def __enter__(self):` or `async def __aenter__(self):`.
    Def {
        slot: Slot,
        is_async: bool,
    },
    /// `def __exit__(self):`: of the wrong arity.
    WrongArity(Slot),
}

/// How a protocol method defined with a decorator is provided.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Deco {
    Property,
    Descriptor,
    Static,
    Class,
}

/// A line of `main` at the start of a statement.
enum Head {
    Simple(Stmt),
    /// A [`Stmt::Drive`] of generator function `gen`, written `await adrive(...)` when true.
    Drive(Stmt, usize, bool),
    /// A [`Stmt::Call`], written with `await` and as a method's call when true.
    Call(Stmt, bool, bool),
    Pass,
    /// `with` or, when true, `async with`, with how its items are written.
    With(bool, Parens, Vec<WithItem>),
    Loop(u8),
    Try,
    /// `except [class [as e_<label>]]:`, or `except* class [as e_<label>]:` when true.
    Except(Option<ExcClass>, Option<String>, bool),
    Else,
    Finally,
}

/// `@c0()` (`@c0(11, kwds=22)`, SEMANTICS-ADDENDUM §16) or `@M0()`: the decorator of a decorated
/// function (§14), with the factory's arguments.
fn deco_head(text: &str) -> Option<(Decorator, Vec<Arg>)> {
    let inner = text.strip_prefix('@')?;
    let index =
        |d: &str| (!d.is_empty() && d.len() < 6 && d.bytes().all(|b| b.is_ascii_digit())).then(|| d.parse().ok())?;
    if let Some(rest) = inner.strip_prefix('c') {
        let (d, rest) = rest.split_once('(')?;
        let c = index(d)?;
        let mut t = Toks::new(rest).ok()?;
        let args = call_args(&mut t).ok()?;
        t.end().ok()?;
        return Some((Decorator::Cm(c), args));
    }
    index(inner.strip_suffix("()")?.strip_prefix('M')?).map(|m| (Decorator::Mgr(m), Vec::new()))
}

/// The arguments of a call of a `@contextmanager` function after its `(`, through its `)`:
/// `11, kwds=22` (SEMANTICS-ADDENDUM §16). Their order and keywords are validate's to check.
fn call_args(t: &mut Toks<'_>) -> Result<Vec<Arg>, String> {
    let mut args = Vec::new();
    if t.eat(')') {
        return Ok(args);
    }
    loop {
        let keyword = match (t.peek_name(), t.toks.get(t.i + 1).map(|(_, tok)| tok)) {
            (Some(name), Some(Tok::Punct('='))) => {
                t.bump();
                t.bump();
                Some(name.to_string())
            }
            _ => None,
        };
        let value = int(t, "an argument: an integer such as 11, or a keyword argument such as kwds=11")?;
        args.push(Arg { keyword, value });
        if t.eat(')') {
            return Ok(args);
        }
        t.punct(',', "',' or ')'")?;
    }
}

/// The parameters of `def c<n>(...)` after the name: `(self, func, *, kwds)` (SEMANTICS-ADDENDUM §16).
fn cm_params(t: &mut Toks<'_>) -> Result<Vec<Param>, String> {
    t.punct('(', "'('")?;
    let mut params = Vec::new();
    if t.eat(')') {
        return Ok(params);
    }
    let mut kw_only = false;
    loop {
        if !kw_only && t.eat('*') {
            kw_only = true;
            t.punct(',', "',' then a keyword-only parameter after *")?;
        }
        let name = t.name("a parameter name such as self")?;
        params.push(Param { name: name.to_string(), kw_only });
        if t.eat(')') {
            return Ok(params);
        }
        t.punct(',', "',' or ')'")?;
    }
}

/// `[x = ][await ]f0(2, k=0)` or `...F0().f0(2, k=0)`: a call of a decorated function (§14);
/// `None` when the line is no such call.
fn deco_call(text: &str) -> Option<Result<Head, String>> {
    let (target, rest) = match text.split_once(" = ") {
        Some((t, rest)) if t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') => (Some(t.to_string()), rest),
        _ => (None, text),
    };
    let (written_await, rest) = match rest.strip_prefix("await ") {
        Some(rest) => (true, rest),
        None => (false, rest),
    };
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let (method, fun, rest) = if let Some(r) = rest.strip_prefix('F') {
        let d = digits(r);
        let (num, r) = r.split_at(d);
        let r = r.strip_prefix("().f")?.strip_prefix(num)?;
        (true, num, r)
    } else {
        let r = rest.strip_prefix('f')?;
        let d = digits(r);
        let (num, r) = r.split_at(d);
        (false, num, r)
    };
    if fun.is_empty() || !rest.starts_with('(') {
        return None;
    }
    let parsed = (|| {
        let fun: usize = fun.parse().map_err(|_| "a decorated function such as f0".to_string())?;
        let args = rest.strip_prefix('(').and_then(|r| r.strip_suffix(", k=0)"));
        let n =
            args.and_then(|a| (digits(a) == a.len() && !a.is_empty() && a.len() < 4).then(|| a.parse::<u8>().ok())?);
        let Some(n) = n else {
            return Err(format!("expected a call such as f0(2, k=0), found {:?}", clip(text)));
        };
        Ok(Head::Call(Stmt::Call { fun, n, target }, written_await, method))
    })();
    Some(parsed)
}

/// Where a `raise` line stands, which decides the forms it may take.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RaiseAt {
    Main,
    Method,
}

impl<'a> Parser<'a> {
    fn err(&mut self, no: usize, message: impl Into<String>) {
        self.diags.push(Diagnostic::syntax(self.pos_of(no), message));
    }

    /// Where line `no` starts its code.
    fn pos_of(&self, no: usize) -> TextPos {
        let column = self.lines.binary_search_by_key(&no, |l| l.no).map_or(1, |i| self.lines[i].column);
        TextPos::At { line: no, column }
    }

    /// Records that the part of the program at `path` is read from line `no`.
    fn mark(&mut self, path: Path, no: usize) {
        self.lines_of.entry(path).or_insert(no);
    }

    /// Reads with `path` as the block the statements read go in.
    fn in_block<T>(&mut self, path: Path, read: impl FnOnce(&mut Self) -> T) -> T {
        let outer = std::mem::replace(&mut self.path, path);
        let res = read(self);
        self.path = outer;
        res
    }

    fn peek(&self) -> Option<Line<'a>> {
        if self.pos < self.end {
            self.lines.get(self.pos).copied()
        } else {
            None
        }
    }

    /// Skips the lines indented deeper than `depth`: the body of a line that did not parse.
    fn skip_deeper(&mut self, depth: usize) {
        while self.peek().is_some_and(|l| l.depth > depth) {
            self.pos += 1;
        }
    }

    /// Whether an indented block at `depth` follows; reports it at `header` if not.
    fn has_block(&mut self, header: Line<'a>, depth: usize, what: &str) -> bool {
        if self.peek().is_some_and(|l| l.depth >= depth) {
            return true;
        }
        self.err(header.no, format!("expected {what} after {:?}", clip(header.text)));
        false
    }

    fn program(&mut self) -> Program {
        let mut managers = Vec::new();
        let mut cms = Vec::new();
        let mut gens = Vec::new();
        let mut main: Option<Vec<Stmt>> = None;
        let mut decos = Vec::new();
        let mut deco_defs = Vec::new();
        let mut is_async = false;
        while let Some(line) = self.peek() {
            self.pos += 1;
            if line.depth > 0 {
                self.err(line.no, "unexpected indentation");
                self.skip_deeper(0);
                continue;
            }
            if line.text == "if __name__ == \"__main__\":" || line.text == "if __name__ == '__main__':" {
                self.skip_deeper(0);
                continue;
            }
            let counts = Counts { managers: managers.len(), cms: cms.len(), gens: gens.len() };
            match top_head(line.text, counts) {
                Ok(Top::Class(name, expected, base)) => {
                    if main.is_some() {
                        self.err(line.no, "manager classes come before def main():");
                    } else if !gens.is_empty() {
                        self.err(line.no, "manager classes come before the generator functions");
                    } else if !cms.is_empty() {
                        self.err(line.no, "manager classes come before the @contextmanager functions");
                    } else if let Err(m) = expected {
                        self.err(line.no, m);
                    }
                    let root = Path::new(Root::Manager(managers.len()));
                    self.mark(root.clone(), line.no);
                    let mut m = self.manager(line, &name, &root);
                    m.base = base;
                    managers.push(m);
                }
                Ok(Top::Decorator(is_async)) => {
                    // `def c<n>():` (`async def c<n>():`) on the next line.
                    let def = self.peek().filter(|l| l.depth == 0);
                    let n = cms.len();
                    let expected_def = format!("{} c{n}():", def_kw(is_async));
                    match def.map(|d| (d, top_head(d.text, counts))) {
                        Some((d, Ok(Top::Cm(def_async, expected, params)))) => {
                            self.pos += 1;
                            if def_async != is_async {
                                self.err(
                                    d.no,
                                    format!(
                                        "expected {expected_def} on the line after {}, found {:?}",
                                        decorator(is_async),
                                        clip(d.text)
                                    ),
                                );
                            }
                            self.cm_order(d, expected, main.is_some(), !gens.is_empty());
                            cms.push(self.cm(d, def_async, cms.len(), params));
                        }
                        _ => {
                            let found =
                                def.map_or("the end of the top level".to_string(), |d| format!("{:?}", clip(d.text)));
                            self.err(
                                line.no,
                                format!(
                                    "expected {expected_def} on the line after {}, found {found}",
                                    decorator(is_async)
                                ),
                            );
                        }
                    }
                }
                Err(m) if line.text.starts_with('@') => {
                    // A decorator misspelt: what it decorates is still read as a contextlib function.
                    self.err(line.no, m);
                    let def = self.peek().filter(|l| l.depth == 0);
                    if let Some((d, Ok(Top::Cm(is_async, expected, params)))) =
                        def.map(|d| (d, top_head(d.text, counts)))
                    {
                        self.pos += 1;
                        self.cm_order(d, expected, main.is_some(), !gens.is_empty());
                        cms.push(self.cm(d, is_async, cms.len(), params));
                    }
                }
                Ok(Top::Cm(is_async, expected, params)) => {
                    self.err(
                        line.no,
                        format!("expected {} on the line before {:?}", decorator(is_async), clip(line.text)),
                    );
                    self.cm_order(line, expected, main.is_some(), !gens.is_empty());
                    cms.push(self.cm(line, is_async, cms.len(), params));
                }
                Ok(Top::Gen(is_async, expected)) => {
                    if main.is_some() {
                        self.err(line.no, "generator functions come before def main():");
                    } else if let Err(m) = expected {
                        self.err(line.no, m);
                    }
                    let root = Path::new(Root::Gen(gens.len()));
                    self.mark(root.clone(), line.no);
                    let body = self.in_block(root, |p| p.block(line, 1));
                    gens.push(GenFn { is_async, body });
                }
                Ok(Top::Main(a)) => {
                    if main.is_some() {
                        self.err(line.no, "a second def main():");
                        self.skip_deeper(0);
                    } else {
                        is_async = a;
                        let root = Path::new(Root::Main);
                        self.mark(root.clone(), line.no);
                        decos = self.decos(&mut deco_defs);
                        let read = |p: &mut Self| if decos.is_empty() { p.block(line, 1) } else { p.stmts(1) };
                        main = Some(self.in_block(root, read));
                    }
                }
                Err(m) => {
                    self.err(line.no, m);
                    self.skip_deeper(0);
                }
            }
        }
        let main = main.unwrap_or_else(|| {
            let message = "expected def main(): or async def main(): after the manager classes and generator functions";
            self.diags.push(Diagnostic::syntax(TextPos::End, message));
            Vec::new()
        });
        for (line, gen, written_async) in std::mem::take(&mut self.drives) {
            match gens.get(gen) {
                Some(g) if g.is_async_gen() && !written_async => self.err(
                    line.no,
                    format!(
                        "expected await adrive(...): g{gen} is an async generator function, found {:?}",
                        clip(line.text)
                    ),
                ),
                Some(g) if !g.is_async_gen() && written_async => self.err(
                    line.no,
                    format!(
                        "expected drive(...) without await: g{gen} is a generator or coroutine function, found {:?}",
                        clip(line.text)
                    ),
                ),
                // An undefined one is left to validation.
                _ => {}
            }
        }
        let program = Program { managers, gens, cms, main, is_async, decos };
        for (line, i, written_async) in deco_defs {
            // A function whose fixed lines were not read is not in the program.
            let Some(d) = program.decos.get(i) else { continue };
            if d.is_async(&program) != written_async {
                let kw = def_kw(!written_async);
                self.err(
                    line.no,
                    format!(
                        "expected {kw} f{i}: its decorator is {}",
                        if written_async { "no @asynccontextmanager" } else { "an @asynccontextmanager" }
                    ),
                );
            }
        }
        for (line, fun, written_await, written_method) in std::mem::take(&mut self.calls) {
            // An undefined one is left to validation.
            let Some(d) = program.decos.get(fun) else { continue };
            if d.is_async(&program) != written_await {
                let what = if written_await { "without await" } else { "with await" };
                self.err(line.no, format!("expected a call of f{fun} {what}, found {:?}", clip(line.text)));
            }
            if d.method != written_method {
                let what = if d.method { format!("F{fun}().f{fun}(...)") } else { format!("f{fun}(...)") };
                self.err(line.no, format!("expected {what}, found {:?}", clip(line.text)));
            }
        }
        program
    }

    // ---- decorated functions (SEMANTICS-ADDENDUM §14) ----

    /// The decorated functions at the start of main, each with its `def` line and whether it is
    /// written `async def` (checked against its decorator once the program is read).
    fn decos(&mut self, defs: &mut Vec<(Line<'a>, usize, bool)>) -> Vec<DecoFn> {
        let mut res = Vec::new();
        while let Some(line) = self.peek().filter(|l| l.depth == 1) {
            let i = res.len();
            let method = line.text == format!("class F{i}:");
            let depth = if method { 2 } else { 1 };
            let deco_line = if method {
                self.pos += 1;
                match self.peek().filter(|l| l.depth == 2) {
                    Some(l) => l,
                    None => {
                        self.err(line.no, format!("expected @c0() or @M0() then def f{i}(self, n, k): in class F{i}"));
                        break;
                    }
                }
            } else {
                line
            };
            let Some((deco, args)) = deco_head(deco_line.text) else {
                if method {
                    self.err(deco_line.no, format!("expected @c0() or @M0(), found {:?}", clip(deco_line.text)));
                }
                break;
            };
            self.pos += 1;
            let root = Path::new(Root::Deco(i));
            self.mark(root.clone(), deco_line.no);
            let params = if method { "self, n, k" } else { "n, k" };
            let Some(def) = self.peek().filter(|l| l.depth == depth) else {
                self.err(deco_line.no, format!("expected def f{i}({params}): after {:?}", deco_line.text));
                break;
            };
            self.pos += 1;
            let written_async = def.text.starts_with("async ");
            let this = if method { "self." } else { "" };
            let aw = if written_async { "await " } else { "" };
            if def.text != format!("{}def f{i}({params}):", if written_async { "async " } else { "" }) {
                self.err(def.no, format!("expected def f{i}({params}):, found {:?}", clip(def.text)));
            }
            defs.push((def, i, written_async));
            let fixed = [
                (depth + 1, "show('n', n)".to_string()),
                (depth + 1, "show('k', k)".to_string()),
                (depth + 1, "if n:".to_string()),
                (depth + 2, format!("{aw}{this}f{i}(n - 1, k=k + 1)")),
            ];
            let mut ok = true;
            for (d, text) in fixed {
                match self.peek() {
                    Some(l) if l.depth == d && l.text == text => self.pos += 1,
                    Some(l) => {
                        self.err(l.no, format!("expected {text} in f{i}, found {:?}", clip(l.text)));
                        ok = false;
                        break;
                    }
                    None => {
                        self.diags.push(Diagnostic::syntax(TextPos::End, format!("expected {text} in f{i}")));
                        ok = false;
                        break;
                    }
                }
            }
            if !ok {
                self.skip_deeper(depth);
                break;
            }
            let body = self.in_block(root, |p| p.stmts(depth + 1));
            res.push(DecoFn { deco, method, body, args });
        }
        res
    }

    // ---- manager classes ----

    fn manager(&mut self, header: Line<'a>, name: &str, root: &Path) -> Manager {
        let mut res = Manager::empty();
        if !self.has_block(header, 1, "an indented class body starting with def __init__(self):") {
            return res;
        }
        let mut init = false;
        // Per slot: set on the instance in __init__, and what the class body says (with where).
        let mut inst = [false; 4];
        let mut class: [Option<(Method, usize)>; 4] = [None, None, None, None];
        while let Some(line) = self.peek() {
            if line.depth == 0 {
                break;
            }
            self.pos += 1;
            if line.depth > 1 {
                self.err(line.no, "unexpected indentation");
                self.skip_deeper(1);
                continue;
            }
            let member = match member(line.text) {
                Ok(m) => m,
                Err(m) => {
                    self.err(line.no, m);
                    self.skip_deeper(1);
                    continue;
                }
            };
            let (slot, method) = match member {
                Member::Init => {
                    if init {
                        self.err(line.no, format!("a second def __init__(self): in class {name}"));
                    } else if class.iter().any(Option::is_some) {
                        self.err(line.no, "def __init__(self): comes first in a class");
                    }
                    init = true;
                    self.mark(root.join(Step::Init), line.no);
                    let (i, raises) = self.init_body(line, name, root);
                    for (a, b) in inst.iter_mut().zip(i) {
                        *a |= b;
                    }
                    res.init_raises = res.init_raises.or(raises);
                    continue;
                }
                Member::NoneAttr(slot) => (slot, Some(Method::NoneAttr)),
                Member::Callable(slot, r) => {
                    if !same_fn_owner(line.text, name) {
                        self.err(
                            line.no,
                            format!("expected Fn('{name}', ...) in class {name}, found {:?}", clip(line.text)),
                        );
                    }
                    (slot, Some(Method::Callable(r)))
                }
                Member::Decorator(deco) => match self.decorated(line, name, deco) {
                    Some((slot, method)) => (slot, method),
                    None => continue,
                },
                Member::Def { slot, is_async } => (slot, self.defined_body(line, name, slot, is_async)),
                Member::WrongArity(slot) => (slot, self.wrong_arity_body(line, name, slot)),
            };
            self.mark(root.join(Step::Method(slot)), line.no);
            let seen = &mut class[slot as usize];
            if seen.is_some() {
                self.err(line.no, format!("a second {} in class {name}", slot.name()));
            } else if let Some(m) = method {
                *seen = Some((m, line.no));
            }
        }
        if !init {
            self.err(header.no, format!("class {name} needs def __init__(self): with on_init('{name}')"));
        }
        for slot in Slot::ALL {
            *res.method_mut(slot) = match class[slot as usize].take() {
                Some((m, no)) => {
                    if inst[slot as usize] {
                        self.err(
                            no,
                            format!(
                                "{name}.{} is set on the instance in __init__, so it cannot be in the class too",
                                slot.name()
                            ),
                        );
                    }
                    m
                }
                None if inst[slot as usize] => Method::InstanceOnly,
                None => Method::Missing,
            };
        }
        res
    }

    /// A method defined with a decorator (`@property`, `@descriptor`, `@staticmethod`,
    /// `@classmethod` on the line `deco_line`): the `def` line after it and its body. `None`
    /// (reported) when the `def` line is not one; then the slot is unknown.
    fn decorated(&mut self, deco_line: Line<'a>, name: &str, deco: Deco) -> Option<(Slot, Option<Method>)> {
        let Some(def) = self.peek().filter(|l| l.depth == 1) else {
            self.err(deco_line.no, "expected a def on the line after the decorator");
            return None;
        };
        self.pos += 1;
        let parsed = Toks::new(def.text).and_then(|mut t| {
            t.keyword("def", "def")?;
            let n = t.name("a method name such as __exit__")?;
            let Some(slot) = Slot::from_name(n) else {
                return t.fail_back("__enter__, __exit__, __aenter__ or __aexit__");
            };
            let params = t.signature_end()?;
            let args = &render::method_params(slot, false)[1..];
            let expected: Vec<&str> = match deco {
                Deco::Property | Deco::Descriptor => vec!["self"],
                Deco::Static => args.to_vec(),
                Deco::Class => ["cls"].iter().chain(args).copied().collect(),
            };
            if params != expected {
                return Err(format!("expected def {n}({}):, found {:?}", expected.join(", "), clip(def.text)));
            }
            Ok(slot)
        });
        let slot = match parsed {
            Ok(slot) => slot,
            Err(m) => {
                self.err(def.no, m);
                self.skip_deeper(1);
                return None;
            }
        };
        let method = match deco {
            Deco::Property | Deco::Descriptor => {
                self.getter_body(def, name, slot).map(|get| Method::Property { custom: deco == Deco::Descriptor, get })
            }
            Deco::Static | Deco::Class => {
                let lines = self
                    .flat_block(def, &format!("an indented block starting with {}", render::method_log(slot, name)));
                self.log_and_action(&lines, def, name, slot).map(|a| {
                    if deco == Deco::Static {
                        Method::Static(a)
                    } else {
                        Method::ClassMethod(a)
                    }
                })
            }
        };
        Some((slot, method))
    }

    /// The log line and the one action line of a method body.
    fn log_and_action(&mut self, lines: &[Line<'a>], header: Line<'a>, name: &str, slot: Slot) -> Option<Action> {
        let log = render::method_log(slot, name);
        let first = lines.first()?;
        if !same_tokens(first.text, &log) {
            self.err(first.no, format!("expected {log}, found {:?}", clip(first.text)));
            return None;
        }
        let Some(second) = lines.get(1) else {
            self.err(header.no, format!("expected a line such as return self or raise E1('r1') after {log}"));
            return None;
        };
        if let Some(third) = lines.get(2) {
            self.err(
                third.no,
                format!("a method does one thing after {log}, but here is another line: {:?}", clip(third.text)),
            );
        }
        action(second.text).map_err(|m| self.err(second.no, m)).ok()
    }

    /// The body of a getter (`@property` / `@descriptor` `def __exit__(self):`): `on_get(...)`,
    /// then `return None`, `raise E1('r1')`, or a nested `def` (`async def` for an async slot)
    /// and `return __exit__` (§7.1).
    fn getter_body(&mut self, header: Line<'a>, name: &str, slot: Slot) -> Option<Getter> {
        let on_get = format!("on_get('{name}', '{}')", slot.name());
        if !self.has_block(header, 2, &format!("an indented block starting with {on_get}")) {
            return None;
        }
        let mut lines = Vec::new();
        while let Some(l) = self.peek().filter(|l| l.depth >= 2) {
            self.pos += 1;
            if l.depth > 3 {
                self.err(l.no, "unexpected indentation");
                continue;
            }
            lines.push(l);
        }
        let first = lines.first()?;
        if !same_call(first.text, "on_get", &[name, slot.name()]) {
            self.err(first.no, format!("expected {on_get}, found {:?}", clip(first.text)));
            return None;
        }
        let Some(second) = lines.get(1).copied() else {
            self.err(first.no, format!("expected return None, raise E1('r1') or a def after {on_get}"));
            return None;
        };
        let kw = if slot.is_async() { "async def" } else { "def" };
        let params = render::method_params(slot, false)[1..].join(", ");
        let def = format!("{kw} {}({params}):", slot.name());
        if same_tokens(second.text, &def) {
            let inner: Vec<Line<'a>> = lines[2..].iter().copied().take_while(|l| l.depth == 3).collect();
            let action = self.log_and_action(&inner, second, name, slot)?;
            let ret = format!("return {}", slot.name());
            match lines.get(2 + inner.len()) {
                Some(l) if l.depth == 2 && same_tokens(l.text, &ret) => {}
                other => {
                    let no = other.map_or(second.no, |l| l.no);
                    self.err(no, format!("expected {ret} after the nested def"));
                    return None;
                }
            }
            if let Some(extra) = lines.get(3 + inner.len()) {
                self.err(extra.no, format!("nothing follows {ret}, found {:?}", clip(extra.text)));
            }
            return Some(Getter::Function(action));
        }
        if let Some(extra) = lines.get(2) {
            self.err(extra.no, format!("a getter does one thing after {on_get}, found {:?}", clip(extra.text)));
        }
        if same_tokens(second.text, "return None") {
            return Some(Getter::None);
        }
        match Toks::new(second.text).and_then(|mut t| raise(&mut t, RaiseAt::Method)) {
            Ok(Raised::New(r)) => Some(Getter::Raise(r)),
            _ => {
                self.err(
                    second.no,
                    format!("expected {def}, return None or raise E1('r1'), found {:?}", clip(second.text)),
                );
                None
            }
        }
    }

    /// The lines of a method body at depth 2, which holds no compound statements.
    fn flat_block(&mut self, header: Line<'a>, what: &str) -> Vec<Line<'a>> {
        let mut res = Vec::new();
        if !self.has_block(header, 2, what) {
            return res;
        }
        while let Some(line) = self.peek() {
            if line.depth < 2 {
                break;
            }
            self.pos += 1;
            if line.depth > 2 {
                self.err(line.no, "unexpected indentation");
                self.skip_deeper(2);
                continue;
            }
            res.push(line);
        }
        res
    }

    /// The body of `__init__`: which methods it sets on the instance, and what it raises.
    fn init_body(&mut self, header: Line<'a>, name: &str, root: &Path) -> ([bool; 4], Option<NewExc>) {
        let mut inst = [false; 4];
        let mut raises: Option<NewExc> = None;
        let on_init = format!("on_init('{name}')");
        let lines = self.flat_block(header, &format!("an indented block starting with {on_init}"));
        let Some((first, rest)) = lines.split_first() else { return (inst, raises) };
        if !same_call(first.text, "on_init", &[name]) {
            self.err(first.no, format!("expected {on_init}, found {:?}", clip(first.text)));
        }
        for line in rest {
            if raises.is_some() {
                self.err(line.no, "nothing follows the raise in __init__");
                continue;
            }
            if let Some(slot) = inst_line(line.text, name) {
                self.mark(root.join(Step::Method(slot)), line.no);
                if inst[slot as usize] {
                    self.err(line.no, format!("{name}.{} is set on the instance twice", slot.name()));
                }
                inst[slot as usize] = true;
                continue;
            }
            match Toks::new(line.text).and_then(|mut t| {
                t.keyword("raise", "")?;
                let e = new_exc(&mut t)?;
                t.end()?;
                Ok(e)
            }) {
                Ok(e) => raises = Some(e),
                Err(_) => self.err(
                    line.no,
                    format!(
                        "expected self.__enter__ = inst('{name}', '__enter__') (or __exit__, __aenter__, \
                         __aexit__ likewise) or raise E1('r1'), found {:?}",
                        clip(line.text)
                    ),
                ),
            }
        }
        (inst, raises)
    }

    /// The body of a `def` or `async def` protocol method: its log line, in an `async def` maybe
    /// `await Aw('s1', True, None)`, then one action.
    fn defined_body(&mut self, header: Line<'a>, name: &str, slot: Slot, is_async: bool) -> Option<Method> {
        let log = render::method_log(slot, name);
        let lines = self.flat_block(header, &format!("an indented block starting with {log}"));
        let first = *lines.first()?;
        if !same_tokens(first.text, &log) {
            self.err(first.no, format!("expected {log}, found {:?}", clip(first.text)));
            return None;
        }
        let mut rest = &lines[1..];
        let mut after = (first.no, log.clone());
        let mut suspend = None;
        let mut ok = true;
        if let Some(line) = rest.first().filter(|l| starts_with_word(l.text, "await")) {
            rest = &rest[1..];
            match Toks::new(line.text).and_then(|mut t| {
                let label = await_(&mut t)?;
                t.end()?;
                Ok(label)
            }) {
                Ok(label) if is_async => {
                    after = (line.no, format!("await Aw('{label}', True, None)"));
                    suspend = Some(label);
                }
                Ok(_) => {
                    self.err(
                        line.no,
                        format!("await in a plain def; a method that awaits is written async def {}", slot.name()),
                    );
                    ok = false;
                }
                Err(m) => {
                    self.err(line.no, m);
                    ok = false;
                }
            }
        }
        let Some(second) = rest.first() else {
            self.err(after.0, format!("expected a line such as return self or raise E1('r1') after {}", after.1));
            return None;
        };
        if let Some(third) = rest.get(1) {
            self.err(
                third.no,
                format!("a method does one thing after {}, but here is another line: {:?}", after.1, clip(third.text)),
            );
        }
        let action = match action(second.text) {
            Ok(a) => a,
            Err(m) => {
                self.err(second.no, m);
                return None;
            }
        };
        if !ok {
            return None;
        }
        Some(if is_async { Method::AsyncDef { suspend, action } } else { Method::Defined(action) })
    }

    fn wrong_arity_body(&mut self, header: Line<'a>, name: &str, slot: Slot) -> Option<Method> {
        let label = format!("unreachable {name}.{}", slot.name());
        let log = format!("log('{label}')");
        let lines = self.flat_block(header, &format!("an indented block with {log}"));
        let first = *lines.first()?;
        if !same_call(first.text, "log", &[label.as_str()]) {
            self.err(first.no, format!("expected {log}, found {:?}", clip(first.text)));
            return None;
        }
        if let Some(second) = lines.get(1) {
            self.err(
                second.no,
                format!("a method of the wrong arity has only {log} in its body, found {:?}", clip(second.text)),
            );
        }
        Some(Method::WrongArity)
    }

    // ---- main ----

    /// The indented block after `header`, at `depth`.
    fn block(&mut self, header: Line<'a>, depth: usize) -> Vec<Stmt> {
        if depth > MAX_DEPTH {
            self.err(header.no, format!("blocks nest at most {MAX_DEPTH} deep"));
            self.skip_deeper(depth - 1);
            return Vec::new();
        }
        if !self.has_block(header, depth, "an indented block") {
            return Vec::new();
        }
        self.stmts(depth)
    }

    /// The statements at `depth` from here to the end of the block, maybe none. `pass` stands for
    /// an empty block.
    fn stmts(&mut self, depth: usize) -> Vec<Stmt> {
        let mut res = Vec::new();
        let mut n_lines = 0;
        let mut pass = None;
        while let Some(line) = self.peek() {
            if line.depth < depth {
                break;
            }
            self.pos += 1;
            if line.depth > depth {
                self.err(line.no, "unexpected indentation");
                self.skip_deeper(depth);
                continue;
            }
            n_lines += 1;
            let at = self.path.join(Step::Stmt(res.len()));
            match head(line.text) {
                Err(m) => {
                    self.err(line.no, m);
                    self.skip_deeper(depth);
                }
                Ok(Head::Simple(s)) => {
                    self.mark(at, line.no);
                    res.push(s);
                }
                Ok(Head::Drive(s, gen, is_async)) => {
                    self.mark(at, line.no);
                    self.drives.push((line, gen, is_async));
                    res.push(s);
                }
                Ok(Head::Call(s, written_await, method)) => {
                    self.mark(at, line.no);
                    if let Stmt::Call { fun, .. } = &s {
                        self.calls.push((line, *fun, written_await, method));
                    }
                    res.push(s);
                }
                Ok(Head::Pass) => pass = pass.or(Some(line.no)),
                Ok(Head::With(is_async, parens, items)) => {
                    self.mark(at.clone(), line.no);
                    let body = self.in_block(at.join(Step::With), |p| p.block(line, depth + 1));
                    res.push(Stmt::With { is_async, parens, items, body });
                }
                Ok(Head::Loop(times)) => {
                    self.mark(at.clone(), line.no);
                    let body = self.in_block(at.join(Step::Loop), |p| p.block(line, depth + 1));
                    res.push(Stmt::Loop { times, body });
                }
                Ok(Head::Try) => {
                    self.mark(at.clone(), line.no);
                    res.push(self.try_(line, depth, &at));
                }
                Ok(Head::Except(..)) => {
                    self.err(line.no, "except: without a try: before it");
                    self.skip_deeper(depth);
                }
                Ok(Head::Else) => {
                    self.err(line.no, "else: without a try: before it");
                    self.skip_deeper(depth);
                }
                Ok(Head::Finally) => {
                    self.err(line.no, "finally: without a try: before it");
                    self.skip_deeper(depth);
                }
            }
        }
        if let Some(no) = pass {
            if n_lines > 1 {
                self.err(no, "pass stands for an empty block, so it must be the only statement");
            }
        }
        res
    }

    fn try_(&mut self, header: Line<'a>, depth: usize, at: &Path) -> Stmt {
        let body = self.in_block(at.join(Step::Try), |p| p.block(header, depth + 1));
        let mut t = Try { body, handlers: Vec::new(), orelse: Vec::new(), finally: None };
        let mut seen_else = false;
        // `except*` or `except`, as the first clause says; a try has one kind.
        let mut star: Option<bool> = None;
        while let Some(line) = self.peek() {
            if line.depth != depth || !is_clause(line.text) {
                break;
            }
            self.pos += 1;
            match head(line.text) {
                Ok(Head::Except(class, bound, is_star)) => {
                    if seen_else || t.finally.is_some() {
                        self.err(line.no, "except clauses come before else: and finally:");
                    }
                    if *star.get_or_insert(is_star) != is_star {
                        self.err(line.no, "a try has except clauses or except* clauses, not both");
                    }
                    let step = Step::Except(t.handlers.len());
                    self.mark(at.join(step), line.no);
                    let (label, body) =
                        self.in_block(at.join(step), |p| p.clause(line, depth + 1, "handler", bound.as_deref()));
                    t.handlers.push(Handler { label, class, bind: bound.is_some(), body });
                }
                Ok(Head::Else) => {
                    if seen_else {
                        self.err(line.no, "a second else: in one try:");
                    } else if t.finally.is_some() {
                        self.err(line.no, "else: comes before finally:");
                    }
                    seen_else = true;
                    self.mark(at.join(Step::Else), line.no);
                    t.orelse = self.in_block(at.join(Step::Else), |p| p.block(line, depth + 1));
                }
                Ok(Head::Finally) => {
                    if t.finally.is_some() {
                        self.err(line.no, "a second finally: in one try:");
                    }
                    self.mark(at.join(Step::Finally), line.no);
                    let fin = self.in_block(at.join(Step::Finally), |p| p.clause(line, depth + 1, "fin", None));
                    t.finally = t.finally.or(Some(fin));
                }
                Ok(_) => {
                    // `is_clause` saw a keyword that `head` read otherwise: leave it to `stmts`.
                    self.pos -= 1;
                    break;
                }
                Err(m) => {
                    self.err(line.no, m);
                    self.skip_deeper(depth);
                }
            }
        }
        if star == Some(true) {
            return Stmt::TryStar(Box::new(t));
        }
        Stmt::Try(Box::new(t))
    }

    /// The block of an `except` or `finally` clause: `handler('h1')` or `fin('f1')`, then
    /// statements (maybe none). `bound` is the label of `as e_<label>`, which must agree.
    fn clause(&mut self, header: Line<'a>, depth: usize, func: &str, bound: Option<&str>) -> (String, Vec<Stmt>) {
        let example = format!("{func}('{}')", bound.unwrap_or(if func == "fin" { "f1" } else { "h1" }));
        let fallback = bound.unwrap_or_default().to_string();
        if depth > MAX_DEPTH {
            self.err(header.no, format!("blocks nest at most {MAX_DEPTH} deep"));
            self.skip_deeper(depth - 1);
            return (fallback, Vec::new());
        }
        if !self.has_block(header, depth, &format!("an indented block starting with {example}")) {
            return (fallback, Vec::new());
        }
        let first = self.peek().expect("has_block saw a line");
        let label = if first.depth == depth {
            self.pos += 1;
            match label_call(first.text, func) {
                Ok(label) => {
                    if let Some(b) = bound {
                        if b != label {
                            self.err(
                                first.no,
                                format!(
                                    "the handler is bound as e_{b}, so its label is {b:?}, found {:?}",
                                    clip(first.text)
                                ),
                            );
                        }
                    }
                    label
                }
                Err(_) => {
                    self.err(first.no, format!("expected {example} first in the block, found {:?}", clip(first.text)));
                    self.skip_deeper(depth);
                    fallback
                }
            }
        } else {
            fallback
        };
        (label, self.stmts(depth))
    }

    // ---- @contextmanager functions ----

    /// Reports at `def` a `def c<n>():` out of place or out of order.
    fn cm_order(&mut self, def: Line<'a>, expected: Result<(), String>, after_main: bool, after_gens: bool) {
        if after_main {
            self.err(def.no, "@contextmanager functions come before def main():");
        } else if after_gens {
            self.err(def.no, "@contextmanager functions come before the generator functions");
        } else if let Err(m) = expected {
            self.err(def.no, m);
        }
    }

    /// The body of `def c<n>():` (`async def c<n>():` when `is_async`), in the shape [`CmGen`]
    /// describes: `<pre>`, then `yield <value>` alone or in a `try:` with an `except` clause, a
    /// `finally` clause or both, then `<post>`; or `<pre>`, `return` and an unreachable bare `yield`.
    fn cm(&mut self, header: Line<'a>, is_async: bool, i: usize, params: Vec<Param>) -> CmGen {
        let root = Path::new(Root::Cm(i));
        self.mark(root.clone(), header.no);
        let mut cm =
            CmGen { is_async, params, pre: Vec::new(), yields: None, handler: None, finally: None, post: Vec::new() };
        if !self.has_block(header, 1, "an indented body with a yield") {
            return cm;
        }
        // `show('self', self)` for each parameter, first of all (SEMANTICS-ADDENDUM §16.1).
        for p in &cm.params {
            let text = format!("show('{0}', {0})", p.name);
            match self.peek() {
                Some(l) if l.depth == 1 && l.text == text => self.pos += 1,
                Some(l) => self
                    .err(l.no, format!("expected {text} (c{i} shows its parameters first), found {:?}", clip(l.text))),
                None => self.diags.push(Diagnostic::syntax(TextPos::End, format!("expected {text} in c{i}"))),
            }
        }
        let Some((at, kind)) = self.cm_yield_at() else {
            self.err(
                header.no,
                format!(
                    "expected yield <value> in the body of {:?}: alone, in a try: with an except or finally clause, \
                     or after a bare return",
                    clip(header.text)
                ),
            );
            self.in_block(root.join(Step::Pre), |p| p.stmts(1));
            return cm;
        };
        // The pre statements end where the yield starts.
        let end = std::mem::replace(&mut self.end, at);
        cm.pre = self.in_block(root.join(Step::Pre), |p| p.stmts(1));
        self.end = end;
        let line = self.peek().expect("cm_yield_at found this line");
        self.pos += 1;
        match kind {
            CmAt::Return => {
                match self.peek() {
                    Some(l) if l.depth == 1 && is_exactly(l.text, &[Tok::Name("yield")]) => self.pos += 1,
                    _ => self.err(
                        line.no,
                        "expected a bare yield on the line after return (unreachable, it makes the function a generator)",
                    ),
                }
                if let Some(l) = self.peek().filter(|l| l.depth >= 1) {
                    self.err(
                        l.no,
                        format!(
                            "nothing follows the unreachable yield (a generator that returns before it yields has \
                             only its pre statements), found {:?}",
                            clip(l.text)
                        ),
                    );
                    self.skip_deeper(0);
                }
            }
            CmAt::Yield => {
                cm.yields = self.yield_value(line);
                cm.post = self.in_block(root.join(Step::Post), |p| p.stmts(1));
            }
            CmAt::Try => {
                let first = self.peek().expect("cm_yield_at saw a yield in the try");
                let only = "yield <value>, the only statement in the try: around it";
                if first.depth == 2 && starts_with_word(first.text, "yield") {
                    self.pos += 1;
                    cm.yields = self.yield_value(first);
                    if let Some(l) = self.peek().filter(|l| l.depth >= 2) {
                        self.err(l.no, format!("expected nothing after {only}, found {:?}", clip(l.text)));
                    }
                } else {
                    self.err(first.no, format!("expected {only}, found {:?}", clip(first.text)));
                }
                self.skip_deeper(1);
                self.cm_clauses(&mut cm, line, &root);
                cm.post = self.in_block(root.join(Step::Post), |p| p.stmts(1));
            }
        }
        cm
    }

    /// Where the yield of a `@contextmanager` body starts, from here: the first line at depth 1
    /// that is a `yield`, a bare `return`, or a `try:` with a `yield` in its block.
    fn cm_yield_at(&self) -> Option<(usize, CmAt)> {
        let mut i = self.pos;
        while let Some(line) = self.lines.get(i).filter(|l| l.depth >= 1) {
            i += 1;
            if line.depth > 1 {
                continue;
            }
            let kind = if starts_with_word(line.text, "yield") {
                CmAt::Yield
            } else if is_exactly(line.text, &[Tok::Name("return")]) {
                CmAt::Return
            } else if is_exactly(line.text, &[Tok::Name("try"), Tok::Punct(':')])
                && self.lines[i..].iter().take_while(|l| l.depth >= 2).any(|l| starts_with_word(l.text, "yield"))
            {
                CmAt::Try
            } else {
                continue;
            };
            return Some((i - 1, kind));
        }
        None
    }

    /// `yield <value>`: what a `@contextmanager` function gives `__enter__`.
    fn yield_value(&mut self, line: Line<'a>) -> Option<Value> {
        let res = Toks::new(line.text).and_then(|mut t| {
            t.keyword("yield", "yield")?;
            if t.is_end() {
                return t.fail("a value after yield (what __enter__ returns), such as None or 1");
            }
            let v = value(&mut t, 0)?;
            t.end()?;
            Ok(v)
        });
        res.map_err(|m| self.err(line.no, m)).ok()
    }

    /// The `except` and `finally` clauses of the `try:` around the yield of a `@contextmanager`
    /// function: at least one, at most one of each, in this order.
    fn cm_clauses(&mut self, cm: &mut CmGen, try_line: Line<'a>, root: &Path) {
        let mut seen = false;
        while let Some(line) = self.peek() {
            if line.depth != 1 || !is_clause(line.text) {
                break;
            }
            self.pos += 1;
            seen = true;
            match head(line.text) {
                Ok(Head::Except(class, bound, star)) => {
                    if star {
                        self.err(line.no, "the try: around the yield has an except: clause, not except*");
                    }
                    if cm.handler.is_some() {
                        self.err(line.no, "a second except: the try: around the yield has at most one");
                    } else if cm.finally.is_some() {
                        self.err(line.no, "except clauses come before else: and finally:");
                    }
                    self.mark(root.join(Step::Handler), line.no);
                    let (label, body) =
                        self.in_block(root.join(Step::Handler), |p| p.clause(line, 2, "handler", bound.as_deref()));
                    let h = Handler { label, class, bind: bound.is_some(), body };
                    cm.handler = cm.handler.take().or(Some(h));
                }
                Ok(Head::Finally) => {
                    if cm.finally.is_some() {
                        self.err(line.no, "a second finally: in one try:");
                    }
                    self.mark(root.join(Step::Finally), line.no);
                    let fin = self.in_block(root.join(Step::Finally), |p| p.clause(line, 2, "fin", None));
                    cm.finally = cm.finally.take().or(Some(fin));
                }
                Ok(Head::Else) => {
                    self.err(
                        line.no,
                        "the try: around the yield has no else: (what follows the yield comes after the try)",
                    );
                    self.skip_deeper(1);
                }
                Ok(_) => {
                    // `is_clause` saw a keyword that `head` read otherwise: leave it to `stmts`.
                    self.pos -= 1;
                    break;
                }
                Err(m) => {
                    self.err(line.no, m);
                    self.skip_deeper(1);
                }
            }
        }
        if !seen {
            self.err(
                try_line.no,
                "expected except or finally: after the try: around the yield (without either, the yield stands \
                 alone, with no try:)",
            );
        }
    }
}

// ---- single lines ----

/// How the yield of a `@contextmanager` function is written.
#[derive(Clone, Copy)]
enum CmAt {
    /// `yield <value>`.
    Yield,
    /// `try:` around `yield <value>`.
    Try,
    /// `return`, then an unreachable bare `yield`.
    Return,
}

/// Whether the tokens of `text` are exactly `expected` (a trailing comment aside).
fn is_exactly(text: &str, expected: &[Tok<'_>]) -> bool {
    Toks::new(text).is_ok_and(|t| t.toks.iter().map(|(_, tok)| tok).eq(expected))
}

enum Top {
    /// `class <name>(<base>):`, whether the name is the one expected next, and the base.
    Class(String, Result<(), String>, Option<usize>),
    /// `@contextmanager`, or with `true`, `@asynccontextmanager`.
    Decorator(bool),
    /// `def c<n>(<params>):` (with `true`, `async def c<n>(<params>):`), whether it is the one
    /// expected next, and its parameters.
    Cm(bool, Result<(), String>, Vec<Param>),
    /// `def g<n>():` (with `true`, `async def g<n>():`), and whether it is the one expected next.
    Gen(bool, Result<(), String>),
    /// `def main():`, or with `true`, `async def main():`.
    Main(bool),
}

/// How many of each kind of top-level definition came before.
#[derive(Clone, Copy)]
struct Counts {
    managers: usize,
    cms: usize,
    gens: usize,
}

/// `@contextmanager` or `@asynccontextmanager`.
fn decorator(is_async: bool) -> &'static str {
    if is_async {
        "@asynccontextmanager"
    } else {
        "@contextmanager"
    }
}

/// `def` or `async def`.
fn def_kw(is_async: bool) -> &'static str {
    if is_async {
        "async def"
    } else {
        "def"
    }
}

fn top_head(text: &str, counts: Counts) -> Result<Top, String> {
    const WHAT: &str = "class M0:, @contextmanager, @asynccontextmanager, def g0():, async def g0():, def main(): \
                        or async def main():";
    let mut t = Toks::new(text)?;
    if t.eat('@') {
        let is_async = match t.peek_name() {
            Some("contextmanager") => false,
            Some("asynccontextmanager") => true,
            _ => return t.fail("contextmanager or asynccontextmanager (the only decorators programs use)"),
        };
        t.bump();
        t.end()?;
        return Ok(Top::Decorator(is_async));
    }
    if t.eat_name("class") {
        let name = t.name("a class name such as M0")?.to_string();
        let mut base = None;
        if t.eat('(') {
            // `ContextDecorator` among the bases follows from the decorated functions (§14).
            if !t.eat_name("ContextDecorator") {
                let b = t.name("a base class such as M0")?;
                match manager_index(b) {
                    Some(m) if m < counts.managers => base = Some(m),
                    _ => return t.fail_back("a manager class defined before this one, such as M0"),
                }
                if t.eat(',') {
                    t.keyword("ContextDecorator", "ContextDecorator after the base class")?;
                }
            }
            t.punct(')', "')'")?;
        }
        t.punct(':', "':'")?;
        t.end()?;
        let expected = format!("M{}", counts.managers);
        let ok = if name == expected {
            Ok(())
        } else {
            Err(format!(
                "expected class {expected}: (manager classes are named M0, M1, ... in order), found {:?}",
                clip(text)
            ))
        };
        return Ok(Top::Class(name, ok, base));
    }
    let is_async = t.eat_name("async");
    if is_async {
        t.keyword("def", "def after async, as in async def main():")?;
    }
    if is_async || t.eat_name("def") {
        if t.eat_name("main") {
            t.punct('(', "'('")?;
            t.punct(')', "')'")?;
            t.punct(':', "':'")?;
            t.end()?;
            return Ok(Top::Main(is_async));
        }
        for (prefix, count, what) in
            [('g', counts.gens, "generator function"), ('c', counts.cms, "@contextmanager function")]
        {
            let Some(n) = t.peek_name().and_then(|n| index(n, prefix)) else { continue };
            t.bump();
            let params = if prefix == 'c' {
                cm_params(&mut t)?
            } else {
                t.punct('(', "'('")?;
                t.punct(')', "')'")?;
                Vec::new()
            };
            t.punct(':', "':'")?;
            t.end()?;
            let expected = if n == count {
                Ok(())
            } else {
                Err(format!(
                    "expected {} {prefix}{count}(): ({what}s are named {prefix}0, {prefix}1, ... in order), found {:?}",
                    def_kw(is_async),
                    clip(text)
                ))
            };
            return Ok(if prefix == 'g' { Top::Gen(is_async, expected) } else { Top::Cm(is_async, expected, params) });
        }
        return t.fail(if is_async {
            "main():, a generator function g0(): or an @asynccontextmanager function c0(): after async def"
        } else {
            "main():, a generator function g0(): or a @contextmanager function c0():"
        });
    }
    Err(format!("expected {WHAT}, found {:?}", clip(text)))
}

fn member(text: &str) -> Result<Member, String> {
    const WHAT: &str = "def __init__(self):, def __enter__(self):, def __exit__(self, t, v, tb):, \
                        async def __aenter__(self):, async def __aexit__(self, t, v, tb): or __enter__ = None";
    let mut t = Toks::new(text)?;
    let is_async = t.eat_name("async");
    if is_async {
        t.keyword("def", "def after async")?;
    }
    if is_async || t.eat_name("def") {
        let name = t.name("a method name such as __enter__")?;
        let params = t.signature_end()?;
        if name == "__init__" {
            return if params == ["self"] && !is_async {
                Ok(Member::Init)
            } else {
                Err(format!("expected def __init__(self):, found {:?}", clip(text)))
            };
        }
        let Some(slot) = Slot::from_name(name) else {
            return Err(format!("expected {WHAT}, found {:?}", clip(text)));
        };
        let (right, wrong) = (render::method_params(slot, false), render::method_params(slot, true));
        return if params == right {
            Ok(Member::Def { slot, is_async })
        } else if params == wrong && !is_async {
            Ok(Member::WrongArity(slot))
        } else {
            let kw = if is_async { "async def" } else { "def" };
            Err(format!(
                "expected {kw} {name}({}): or, of the wrong arity, def {name}({}):, found {:?}",
                right.join(", "),
                wrong.join(", "),
                clip(text)
            ))
        };
    }
    if t.eat('@') {
        let deco = match t.peek_name() {
            Some("property") => Deco::Property,
            Some("descriptor") => Deco::Descriptor,
            Some("staticmethod") => Deco::Static,
            Some("classmethod") => Deco::Class,
            _ => return t.fail("property, descriptor, staticmethod or classmethod (the decorators of methods)"),
        };
        t.bump();
        t.end()?;
        return Ok(Member::Decorator(deco));
    }
    if let Some(Tok::Name(n)) = t.peek() {
        if let Some(slot) = Slot::from_name(n) {
            t.bump();
            t.punct('=', "'='")?;
            if t.eat_name("Fn") {
                // `__exit__ = Fn('M0', '__exit__', True)`: the class name is checked by the caller.
                t.punct('(', "'('")?;
                let _owner = t.string("the class name, as in Fn('M0', '__exit__', True)")?;
                t.punct(',', "','")?;
                if t.string("the method name, as in Fn('M0', '__exit__', True)")? != slot.name() {
                    return t.fail_back(&format!("'{}' (the method the Fn is stored as)", slot.name()));
                }
                t.punct(',', "','")?;
                let r = match class_or_value(&mut t, 0, "a value or an exception class (what the call gives)")? {
                    Gives::Raise(c) => ExitFnResult::Raise(c),
                    Gives::Return(v) => ExitFnResult::Return(v),
                };
                t.punct(')', "')'")?;
                t.end()?;
                return Ok(Member::Callable(slot, r));
            }
            t.keyword("None", "None or Fn('M0', ...)")?;
            t.end()?;
            return Ok(Member::NoneAttr(slot));
        }
    }
    Err(format!("expected {WHAT}, found {:?}", clip(text)))
}

/// Whether `text`, a `__x__ = Fn(...)` line, names class `name` first.
fn same_fn_owner(text: &str, name: &str) -> bool {
    Toks::new(text).is_ok_and(|t| t.toks.iter().any(|(_, tok)| *tok == Tok::Str(name.to_string())))
}

/// Whether `text` is `func('a', 'b', ...)` with exactly these string arguments.
fn same_call(text: &str, func: &str, args: &[&str]) -> bool {
    let res = Toks::new(text).and_then(|mut t| {
        t.keyword(func, "")?;
        t.punct('(', "")?;
        for (i, arg) in args.iter().enumerate() {
            if i > 0 {
                t.punct(',', "")?;
            }
            if t.string("")? != *arg {
                return Err(String::new());
            }
        }
        t.punct(')', "")?;
        t.end()
    });
    res.is_ok()
}

/// Whether `text` and `expected` are the same tokens: the same line but for spacing and a
/// trailing comment.
fn same_tokens(text: &str, expected: &str) -> bool {
    fn toks(text: &str) -> Option<Vec<Tok<'_>>> {
        Toks::new(text).ok().map(|t| t.toks.into_iter().map(|(_, tok)| tok).collect())
    }
    toks(text).is_some_and(|a| toks(expected).is_some_and(|b| a == b))
}

/// Whether `text` starts with the keyword `word`.
fn starts_with_word(text: &str, word: &str) -> bool {
    text.strip_prefix(word).is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
}

/// `await Aw('<label>', True, None)`: the one thing `main` and `async def` methods await, to
/// suspend once. Gives the label.
fn await_(t: &mut Toks<'_>) -> Result<String, String> {
    const ONLY: &str = "(a statement awaits only to suspend once, as in await Aw('s1', True, None))";
    t.keyword("await", "await")?;
    t.keyword("Aw", &format!("Aw {ONLY}"))?;
    t.punct('(', "'('")?;
    let label = t.string("a label such as 's1'")?;
    t.punct(',', "','")?;
    t.keyword("True", &format!("True {ONLY}"))?;
    t.punct(',', "','")?;
    t.keyword("None", &format!("None {ONLY}"))?;
    t.punct(')', "')'")?;
    Ok(label)
}

/// Which method `self.__enter__ = inst('<name>', '__enter__')` sets, if `text` is such a line.
fn inst_line(text: &str, name: &str) -> Option<Slot> {
    let res = Toks::new(text).and_then(|mut t| {
        t.keyword("self", "")?;
        t.punct('.', "")?;
        let d = Slot::from_name(t.name("")?).ok_or_else(String::new)?;
        t.punct('=', "")?;
        t.keyword("inst", "")?;
        t.punct('(', "")?;
        let ok = t.string("")? == name;
        t.punct(',', "")?;
        let ok = ok && t.string("")? == d.name();
        t.punct(')', "")?;
        t.end()?;
        if ok {
            Ok(d)
        } else {
            Err(String::new())
        }
    });
    res.ok()
}

/// The label of `func('<label>')`.
fn label_call(text: &str, func: &str) -> Result<String, String> {
    let mut t = Toks::new(text)?;
    t.keyword(func, func)?;
    t.punct('(', "'('")?;
    let label = t.string("a label")?;
    t.punct(')', "')'")?;
    t.end()?;
    Ok(label)
}

/// What a defined method does: the line after `on_enter(...)` or `on_exit(...)`.
fn action(text: &str) -> Result<Action, String> {
    const WHAT: &str = "return self, return <value>, return suppress_if(t, (E1,)), raise E1('r1'), raise v or raise";
    let mut t = Toks::new(text)?;
    let res = if t.eat_name("return") {
        if t.eat_name("self") {
            Action::ReturnSelf
        } else if t.eat_name("suppress_if") {
            t.punct('(', "'('")?;
            t.keyword("t", "t")?;
            t.punct(',', "','")?;
            t.punct('(', "a tuple of exception classes such as (E1, KeyError)")?;
            let classes = t.tuple("a one-class tuple is written (E1,)", exc_class)?;
            t.punct(')', "')'")?;
            Action::SuppressIf(classes)
        } else if t.is_end() {
            return t.fail("a value, self or suppress_if(t, (E1,)) after return");
        } else {
            Action::Return(value(&mut t, 0)?)
        }
    } else if t.is_name("raise") {
        match raise(&mut t, RaiseAt::Method)? {
            Raised::New(r) => Action::Raise(r),
            Raised::Bare => Action::BareRaise,
            Raised::Arg | Raised::Caught(_) | Raised::Var(_) | Raised::Group(_) => Action::RaiseArg,
        }
    } else {
        return Err(format!("expected {WHAT}, found {:?}", clip(text)));
    };
    t.end()?;
    Ok(res)
}

/// Whether a line starts with `except`, `else` or `finally`: a clause of a `try`.
fn is_clause(text: &str) -> bool {
    ["except", "else", "finally"].iter().any(|kw| starts_with_word(text, kw))
}

/// The statement a line of `main` starts.
fn head(text: &str) -> Result<Head, String> {
    if let Some(call) = deco_call(text) {
        return call;
    }
    let mut t = Toks::new(text)?;
    let Some(Tok::Name(kw)) = t.peek() else {
        return Err(format!("expected {STMT}, found {:?}", clip(text)));
    };
    let kw = *kw;
    // `x = ...` and `st.close()` first: validation lets a variable be spelt like a keyword.
    match t.toks.get(1).map(|(_, tok)| tok) {
        Some(Tok::Punct('=')) => {
            let s = assign(&mut t)?;
            t.end()?;
            return Ok(Head::Simple(s));
        }
        Some(Tok::Punct('.')) if kw.starts_with("e_") => {
            let s = set_attr(&mut t)?;
            t.end()?;
            return Ok(Head::Simple(s));
        }
        Some(Tok::Punct('.')) => {
            let s = stack_call(&mut t, false, None)?;
            t.end()?;
            return Ok(Head::Simple(s));
        }
        _ => {}
    }
    let res = match kw {
        "log" => {
            t.bump();
            t.punct('(', "'('")?;
            let label = t.string("a label such as 'L1'")?;
            t.punct(')', "')'")?;
            Head::Simple(Stmt::Log(label))
        }
        "show" => {
            t.bump();
            t.punct('(', "'('")?;
            let shown = t.string("the name of a variable as a string, as in show('x', x)")?;
            t.punct(',', "','")?;
            let is_direct = t.is_name("await") || matches!(t.toks.get(t.i + 1), Some((_, Tok::Punct('.'))));
            if is_direct {
                let s = direct_call(&mut t, shown)?;
                t.punct(')', "')'")?;
                t.end()?;
                return Ok(Head::Simple(s));
            }
            if !t.is_name(&shown) {
                return t.fail(&format!("the variable {shown} itself, as in show('x', x)"));
            }
            t.bump();
            t.punct(')', "')'")?;
            Head::Simple(Stmt::Show(shown))
        }
        "with" => {
            t.bump();
            let (parens, items) = with_head(&mut t)?;
            Head::With(false, parens, items)
        }
        "async" => {
            t.bump();
            t.keyword("with", "with after async (main has async with, not async for)")?;
            let (parens, items) = with_head(&mut t)?;
            Head::With(true, parens, items)
        }
        "await" => match (t.toks.get(1).map(|(_, tok)| tok), t.toks.get(2).map(|(_, tok)| tok)) {
            (Some(Tok::Name("Aw")), _) => Head::Simple(Stmt::Await(await_(&mut t)?)),
            (Some(Tok::Name("adrive")), _) => {
                t.bump();
                let (s, gen) = drive(&mut t, true)?;
                Head::Drive(s, gen, true)
            }
            (Some(Tok::Name("astep")), _) => {
                t.bump();
                Head::Simple(step(&mut t, true)?)
            }
            (Some(Tok::Name(_)), Some(Tok::Punct('.'))) => {
                t.bump();
                Head::Simple(stack_call(&mut t, true, None)?)
            }
            (Some(Tok::Name(n)), Some(Tok::Punct('('))) if index(n, 'g').is_some() => {
                t.bump();
                Head::Simple(Stmt::AwaitCall { gen: coroutine_call(&mut t)?, target: None })
            }
            _ => {
                t.bump();
                return t.fail(
                    "Aw('s1', True, None), adrive(...), astep(...), g1() or a stack method such as st.aclose() after await",
                );
            }
        },
        "yield" => {
            t.bump();
            if t.eat_name("from") {
                Head::Simple(Stmt::YieldFrom { gen: yield_from(&mut t)?, target: None })
            } else if matches!(t.peek(), Some(Tok::Str(_))) {
                Head::Simple(Stmt::Yield(t.string("a label such as 'y1'")?))
            } else if t.peek_name().and_then(ExcClass::from_name).is_some() {
                Head::Simple(Stmt::YieldValue(Yielded::Exc(new_exc(&mut t)?)))
            } else if matches!(t.peek(), Some(Tok::Int(_) | Tok::Punct('(' | '-')))
                || matches!(t.peek_name(), Some("None" | "True" | "False"))
            {
                Head::Simple(Stmt::YieldValue(Yielded::Value(value(&mut t, 0)?)))
            } else {
                return t.fail("a label such as 'y1', or a value such as (1,), 3 or StopIteration('y1')");
            }
        }
        "drive" => {
            let (s, gen) = drive(&mut t, false)?;
            Head::Drive(s, gen, false)
        }
        "step" => Head::Simple(step(&mut t, false)?),
        "adrive" | "astep" => return t.fail(&format!("await before {kw} (it is a coroutine function)")),
        "raise" => Head::Simple(match raise(&mut t, RaiseAt::Main)? {
            Raised::New(r) => Stmt::Raise(r),
            Raised::Bare => Stmt::BareRaise,
            Raised::Caught(label) => Stmt::RaiseCaught(label),
            Raised::Var(name) => Stmt::RaiseVar(name),
            Raised::Group(g) => Stmt::RaiseGroup(g),
            Raised::Arg => unreachable!("`raise v` is read only in methods"),
        }),
        "return" => {
            t.bump();
            t.keyword("ret", "ret('v1', <value>)")?;
            t.punct('(', "'('")?;
            let label = t.string("a label such as 'v1'")?;
            t.punct(',', "','")?;
            let value = value(&mut t, 0)?;
            t.punct(')', "')'")?;
            Head::Simple(Stmt::Return { label, value })
        }
        "for" => {
            t.bump();
            t.keyword("_", "_ in range(<n>):")?;
            t.keyword("in", "in")?;
            t.keyword("range", "range(<n>)")?;
            t.punct('(', "'('")?;
            let n = int(&mut t, "a loop count from 0 to 5")?;
            let Ok(times) = u8::try_from(n) else {
                return Err(format!("a loop runs from 0 to 5 times, found range({n})"));
            };
            t.punct(')', "')'")?;
            t.punct(':', "':'")?;
            Head::Loop(times)
        }
        "break" => {
            t.bump();
            Head::Simple(Stmt::Break)
        }
        "continue" => {
            t.bump();
            Head::Simple(Stmt::Continue)
        }
        "pass" => {
            t.bump();
            Head::Pass
        }
        "try" | "else" | "finally" => {
            t.bump();
            t.punct(':', "':'")?;
            match kw {
                "try" => Head::Try,
                "else" => Head::Else,
                _ => Head::Finally,
            }
        }
        "except" => {
            t.bump();
            let star = t.eat('*');
            if !star && t.eat(':') {
                Head::Except(None, None, false)
            } else {
                let class = exc_class(&mut t)?;
                let bound = if t.eat_name("as") {
                    let name = t.name("a name such as e_h1")?;
                    let Some(label) = name.strip_prefix("e_") else {
                        return t.fail_back("a name e_<label> such as e_h1, with the handler's label");
                    };
                    Some(label.to_string())
                } else {
                    None
                };
                t.punct(':', "':'")?;
                Head::Except(Some(class), bound, star)
            }
        }
        _ => return Err(format!("expected {STMT}, found {:?}", clip(text))),
    };
    t.end()?;
    Ok(res)
}

/// `drive('d1', g0(), 'throw', 2, E1('r1'))`: run a generator function, as [`Drive`] says, then
/// maybe one more operation (`'close+throw'`, [`Then`]); with `is_async`, `adrive(...)` after the
/// `await`. Gives the generator function's index too.
fn drive(t: &mut Toks<'_>, is_async: bool) -> Result<(Stmt, usize), String> {
    const CALL: &str = "a generator function call such as g0()";
    const HOW: &str = "how to drive it: 'all', 'close', 'throw', 'send', 'anext.throw', 'aclose.throw' or \
                       'athrow.throw', maybe followed by '+close', '+throw', '+again' or '+next'";
    let func = if is_async { "adrive" } else { "drive" };
    t.keyword(func, func)?;
    t.punct('(', "'('")?;
    let label = t.string("a label such as 'd1'")?;
    t.punct(',', "','")?;
    let Some(gen) = t.peek_name().and_then(|n| index(n, 'g')) else { return t.fail(CALL) };
    t.bump();
    t.punct('(', "'(' (a generator function is called with no arguments, as in g0())")?;
    t.punct(')', "')' (a generator function is called with no arguments, as in g0())")?;
    t.punct(',', "','")?;
    let how = t.string(HOW)?;
    let (base, then) = match how.split_once('+') {
        Some((base, then)) => (base.to_string(), Some(then.to_string())),
        None => (how.clone(), None),
    };
    let bases = ["all", "close", "throw", "send", "anext.throw", "aclose.throw", "athrow.throw"];
    let thens = ["close", "throw", "again", "next"];
    if !bases.contains(&base.as_str()) || then.as_ref().is_some_and(|th| !thens.contains(&th.as_str())) {
        return t.fail_back(HOW);
    }
    t.punct(',', "','")?;
    let k = if base == "all" {
        if int(t, "0 (a drive to exhaustion takes no count)")? != 0 {
            return t.fail_back("0 (a drive to exhaustion takes no count)");
        }
        0
    } else {
        let n = int(t, "how many items to take first, from 0 to 5")?;
        match u8::try_from(n) {
            Ok(k) => k,
            Err(_) => return t.fail_back("how many items to take first, from 0 to 5"),
        }
    };
    t.punct(',', "','")?;
    let throws = base.ends_with("throw") || then.as_deref() == Some("throw");
    let exc = if throws {
        Some(thrown(t)?)
    } else {
        t.keyword("None", "None (only 'throw' throws an exception)")?;
        None
    };
    let how = match base.as_str() {
        "all" => Drive::Exhaust,
        "close" => Drive::Close(k),
        "send" => Drive::Send(k),
        "anext.throw" => Drive::AwThrow(k, AwOp::Next, exc.clone().expect("read above")),
        "aclose.throw" => Drive::AwThrow(k, AwOp::Close, exc.clone().expect("read above")),
        "athrow.throw" => Drive::AwThrow(k, AwOp::Throw, exc.clone().expect("read above")),
        _ => Drive::Throw(k, exc.clone().expect("read above")),
    };
    let then = match then.as_deref() {
        None => None,
        Some("close") => Some(Then::Close),
        Some("again") => Some(Then::Again),
        Some("next") => Some(Then::Next),
        _ => Some(Then::Throw(exc.expect("read above"))),
    };
    t.punct(')', "')'")?;
    Ok((Stmt::Drive { label, gen, how, then }, gen))
}

/// What `throw()` is given: `E1('r1')`, `e_h1`, `E1`, `(E1, E1('r1'), None)`, or one of the
/// refused forms `'abc'`, `(E1('abc'), 'foo')`, `(E1, 'foo', 23)`.
fn thrown(t: &mut Toks<'_>) -> Result<Thrown, String> {
    const WHAT: &str = "an exception to throw, such as E1('r1'), e_h1, E1 or (E1, E1('r1'), None)";
    let start = t.i;
    for (text, bad) in [
        (render::BAD_NOT_AN_EXCEPTION, BadThrow::NotAnException),
        (render::BAD_SEPARATE_VALUE, BadThrow::SeparateValue),
        (render::BAD_TRACEBACK, BadThrow::BadTraceback),
    ] {
        let Ok(expected) = Toks::new(text) else { continue };
        let n = expected.toks.len();
        let same = t.toks.len() >= t.i + n
            && t.toks[t.i..t.i + n].iter().map(|(_, tok)| tok).eq(expected.toks.iter().map(|(_, tok)| tok));
        if same {
            t.i += n;
            return Ok(Thrown::Bad(bad));
        }
    }
    if let Some(label) = t.peek_name().and_then(|n| n.strip_prefix("e_")) {
        let label = label.to_string();
        t.bump();
        return Ok(Thrown::Caught(label));
    }
    if t.eat('(') {
        let class = exc_class(t)?;
        t.punct(',', "','")?;
        let e = new_exc(t)?;
        if e.class != class {
            t.i = start;
            return t.fail("(E1, E1('r1'), None): the class of the instance, the instance, None");
        }
        t.punct(',', "','")?;
        t.keyword("None", "None (the traceback)")?;
        t.punct(')', "')'")?;
        return Ok(Thrown::Triple(e));
    }
    if ExcClass::from_name(t.peek_name().unwrap_or("")).is_none() {
        return t.fail(WHAT);
    }
    if t.toks.get(t.i + 1).map(|(_, tok)| tok) == Some(&Tok::Punct('(')) {
        return Ok(Thrown::New(new_exc(t)?));
    }
    Ok(Thrown::Class(exc_class(t)?))
}

/// `step('d1', a, 2)`, or with `is_async`, `astep('d1', a, 2)` after the `await`.
fn step(t: &mut Toks<'_>, is_async: bool) -> Result<Stmt, String> {
    const K: &str = "how many items to advance, from 1 to 5";
    let func = if is_async { "astep" } else { "step" };
    t.keyword(func, func)?;
    t.punct('(', "'('")?;
    let label = t.string("a label such as 'd1'")?;
    t.punct(',', "','")?;
    let var = t.name(&format!("the variable bound by closing, as in {func}('d1', a, 2)"))?.to_string();
    t.punct(',', "','")?;
    let Ok(k) = u8::try_from(int(t, K)?) else { return t.fail_back(K) };
    t.punct(')', "')'")?;
    Ok(Stmt::Step { label, var, k, is_async })
}

/// `x = <item expression>`, or `x = st.enter_context(M0())` and `x = await
/// st.enter_async_context(M0())`, which enter the manager on the stack and bind what entering gives.
fn assign(t: &mut Toks<'_>) -> Result<Stmt, String> {
    let name = t.name("a variable name")?.to_string();
    t.punct('=', "'='")?;
    if t.eat_name("await") {
        if t.peek_name().is_some_and(|n| index(n, 'g').is_some()) {
            return Ok(Stmt::AwaitCall { gen: coroutine_call(t)?, target: Some(name) });
        }
        if t.toks.get(t.i + 1).map(|(_, tok)| tok) != Some(&Tok::Punct('.')) {
            return t.fail(
                "a stack method such as st.enter_async_context(M0()) after await (the only await that binds a name)",
            );
        }
        return stack_call(t, true, Some(name));
    }
    let method = match (t.toks.get(t.i + 1), t.toks.get(t.i + 2)) {
        (Some((_, Tok::Punct('.'))), Some((_, Tok::Name(m)))) => Some(*m),
        _ => None,
    };
    if method.is_some_and(|m| m != "pop_all") {
        return stack_call(t, false, Some(name));
    }
    if t.eat_name("yield") {
        t.keyword("from", "from (the only yield that binds a name is `x = yield from g1()`)")?;
        return Ok(Stmt::YieldFrom { gen: yield_from(t)?, target: Some(name) });
    }
    if let Some(label) = t.peek_name().and_then(|n| n.strip_prefix("e_")) {
        // `k1 = e_h1`: keep what a handler caught.
        let label = label.to_string();
        t.bump();
        return Ok(Stmt::Keep { name, label });
    }
    Ok(Stmt::Assign { name, expr: item_expr(t)? })
}

/// `g1()` after `await`: the coroutine function awaited.
fn coroutine_call(t: &mut Toks<'_>) -> Result<usize, String> {
    const CALL: &str = "a coroutine function call such as g1() after await";
    let Some(gen) = t.peek_name().and_then(|n| index(n, 'g')) else { return t.fail(CALL) };
    t.bump();
    t.punct('(', "'(' (a coroutine function is called with no arguments, as in g1())")?;
    t.punct(')', "')' (a coroutine function is called with no arguments, as in g1())")?;
    Ok(gen)
}

/// `g1()` after `yield from`: the generator function delegated to.
fn yield_from(t: &mut Toks<'_>) -> Result<usize, String> {
    const CALL: &str = "a generator function call such as g1() after yield from";
    let Some(gen) = t.peek_name().and_then(|n| index(n, 'g')) else { return t.fail(CALL) };
    t.bump();
    t.punct('(', "'(' (a generator function is called with no arguments, as in g1())")?;
    t.punct(')', "')' (a generator function is called with no arguments, as in g1())")?;
    Ok(gen)
}

/// `e_h1.__context__ = None`, `e_h1.__cause__ = e_h2`, `e_h1.__suppress_context__ = True`.
fn set_attr(t: &mut Toks<'_>) -> Result<Stmt, String> {
    const ATTR: &str = "__context__, __cause__ or __suppress_context__";
    let name = t.name("e_<label>")?;
    let label = name.strip_prefix("e_").expect("head checked").to_string();
    t.punct('.', "'.'")?;
    let attr = match t.peek_name() {
        Some("__context__") => ExcAttr::Context,
        Some("__cause__") => ExcAttr::Cause,
        Some("__suppress_context__") => ExcAttr::SuppressContext,
        _ => return t.fail(ATTR),
    };
    t.bump();
    t.punct('=', "'='")?;
    let value = match t.peek_name() {
        Some("None") => AttrValue::None,
        Some("True") => AttrValue::Bool(true),
        Some("False") => AttrValue::Bool(false),
        Some(n) if n.starts_with("e_") => AttrValue::Caught(n["e_".len()..].to_string()),
        _ => return t.fail("None, True, False or e_h1 (the name a handler binds)"),
    };
    t.bump();
    Ok(Stmt::SetAttr { label, attr, value })
}

/// A statement `st.<method>(...)` on an exit stack, from the variable on; `awaited` when it came
/// after `await`, `target` when after `x = `.
fn stack_call(t: &mut Toks<'_>, awaited: bool, target: Option<String>) -> Result<Stmt, String> {
    const METHOD: &str = "an exit stack method: enter_context, push, push_async_exit, callback, \
                          push_async_callback or close";
    const AWAITED: &str = "enter_async_context or aclose (the stack methods that are awaited)";
    let start = t.i;
    let stack = t.name("a variable holding an exit stack")?.to_string();
    t.punct('.', "'.'")?;
    const METHODS: &[&str] = &[
        "enter_context",
        "enter_async_context",
        "push",
        "push_async_exit",
        "callback",
        "push_async_callback",
        "close",
        "aclose",
    ];
    let method = match t.peek_name() {
        Some(m) if METHODS.contains(&m) => m,
        Some("pop_all") if !awaited => {
            return t.fail(&format!(
                "{METHOD} (pop_all() makes a manager, as in with {stack}.pop_all() as s: or s = {stack}.pop_all())"
            ))
        }
        _ => return t.fail(if awaited { AWAITED } else { METHOD }),
    };
    let is_coroutine = matches!(method, "enter_async_context" | "aclose");
    if awaited && !is_coroutine {
        return t.fail(AWAITED);
    }
    if !awaited && is_coroutine {
        t.i = start;
        return t.fail(&format!("await before {stack}.{method} (it is a coroutine method)"));
    }
    if target.is_some() && !matches!(method, "enter_context" | "enter_async_context") {
        return t.fail(
            "enter_context or, after await, enter_async_context (what a stack method binds to a name is what \
             entering gives)",
        );
    }
    t.bump();
    t.punct('(', "'('")?;
    let op = match method {
        "enter_context" | "enter_async_context" => {
            let expr = item_expr(t)?;
            StackOp::Enter { expr, is_async: awaited, target }
        }
        "push" | "push_async_exit" => {
            let is_async = method == "push_async_exit";
            match t.peek_name() {
                Some("Xf" | "AXf") => StackOp::PushFn(exit_fn(t, is_async)?),
                _ => StackOp::Push { expr: item_expr(t)?, is_async },
            }
        }
        "callback" | "push_async_callback" => {
            let is_async = method == "push_async_callback";
            let func = if is_async { "acb" } else { "cb" };
            t.keyword(func, &format!("{func} (what {method} registers, as in st.{method}({func}, 'k1', None))"))?;
            t.punct(',', "','")?;
            let label = t.string("a label such as 'k1'")?;
            t.punct(',', "','")?;
            let raises = none_or_class(t, "None or an exception class such as E1 (what the callback raises)")?;
            StackOp::Callback { label, raises, is_async }
        }
        _ => {
            t.punct(')', &format!("')' ({method}() takes no arguments)"))?;
            return Ok(Stmt::Stack { stack, op: StackOp::Close { is_async: awaited } });
        }
    };
    t.punct(')', "')'")?;
    Ok(Stmt::Stack { stack, op })
}

/// `Xf('x1', <result>)`, or with `is_async` (pushed by `push_async_exit`), `AXf('x1', False,
/// <result>)`.
fn exit_fn(t: &mut Toks<'_>, is_async: bool) -> Result<ExitFn, String> {
    let func = if is_async { "AXf" } else { "Xf" };
    t.keyword(func, &format!("{func} (push takes Xf('x1', None), push_async_exit AXf('x1', False, None))"))?;
    t.punct('(', "'('")?;
    let label = t.string("a label such as 'x1'")?;
    t.punct(',', "','")?;
    let suspend = if is_async {
        let suspend = match t.peek_name() {
            Some("True") => true,
            Some("False") => false,
            _ => return t.fail("True or False (whether it suspends once)"),
        };
        t.bump();
        t.punct(',', "','")?;
        suspend
    } else {
        false
    };
    let result = match class_or_value(t, 0, "what a call gives: an exception class such as E1 or a value such as None")?
    {
        Gives::Raise(c) => ExitFnResult::Raise(c),
        Gives::Return(v) => ExitFnResult::Return(v),
    };
    t.punct(')', "')'")?;
    Ok(ExitFn { label, is_async, suspend, result })
}

/// What an awaitable or an exit function gives: an exception class it raises or a value.
enum Gives {
    Raise(ExcClass),
    Return(Value),
}

/// An exception class (a name that starts no value) or a value; `what` describes both.
fn class_or_value(t: &mut Toks<'_>, depth: usize, what: &str) -> Result<Gives, String> {
    match t.peek_name() {
        Some(n) if !VALUE_NAMES.contains(&n) => {
            let Some(c) = ExcClass::from_name(n) else { return t.fail(what) };
            t.bump();
            Ok(Gives::Raise(c))
        }
        _ => Ok(Gives::Return(value(t, depth)?)),
    }
}

/// `None` or an exception class name.
fn none_or_class(t: &mut Toks<'_>, what: &str) -> Result<Option<ExcClass>, String> {
    if t.eat_name("None") {
        return Ok(None);
    }
    match t.peek_name().and_then(ExcClass::from_name) {
        Some(c) => {
            t.bump();
            Ok(Some(c))
        }
        None => t.fail(what),
    }
}

/// The items of a `with` after the keyword, through the `:`.
fn with_items(t: &mut Toks<'_>) -> Result<Vec<WithItem>, String> {
    let mut items = Vec::new();
    loop {
        let expr = item_expr(t)?;
        let mut target = if t.eat_name("as") { target(t)? } else { Target::None };
        if let Target::Bad(b) = target {
            // `as None,:`: a refused target, then a trailing comma (§8.5).
            if t.toks.get(t.i).map(|(_, tok)| tok) == Some(&Tok::Punct(','))
                && t.toks.get(t.i + 1).map(|(_, tok)| tok) == Some(&Tok::Punct(':'))
            {
                t.bump();
                target = Target::BadComma(b);
            }
        }
        items.push(WithItem { expr, target });
        if t.eat(':') {
            return Ok(items);
        }
        t.punct(',', "',', 'as' or ':'")?;
    }
}

/// The items of a `with` after the keyword, through the `:`, and how they are written:
/// `M0() as x, M1():` or in parentheses, `(M0() as x, M1(),):`.
fn with_head(t: &mut Toks<'_>) -> Result<(Parens, Vec<WithItem>), String> {
    if t.peek() == Some(&Tok::Punct('(')) {
        // Parenthesized items, unless the parenthesis opens the first item (a tuple literal).
        let start = t.i;
        t.bump();
        if let Ok(res) = paren_items(t) {
            return Ok(res);
        }
        t.i = start;
    }
    Ok((Parens::No, with_items(t)?))
}

/// `M0() as x, M1())` `:` to the end of the line, after the `(` of parenthesized items.
fn paren_items(t: &mut Toks<'_>) -> Result<(Parens, Vec<WithItem>), String> {
    let mut items = Vec::new();
    loop {
        let expr = item_expr(t)?;
        let target = if t.eat_name("as") { target(t)? } else { Target::None };
        items.push(WithItem { expr, target });
        if t.eat(')') {
            t.punct(':', "':'")?;
            t.end()?;
            return Ok((Parens::Yes, items));
        }
        t.punct(',', "',' or ')'")?;
        if t.eat(')') {
            t.punct(':', "':'")?;
            t.end()?;
            return Ok((Parens::TrailingComma, items));
        }
    }
}

/// How a target is described when one is expected.
const TARGET: &str = "a target such as x, (x), (a, *b), Sink('o1', None).a or None['k']";

/// The target after `as`: `x`, `(x)`, `(a, *b, Sink('o1', None).c)`, `Sink('o1', E1)['k']`,
/// `None.a`.
fn target(t: &mut Toks<'_>) -> Result<Target, String> {
    if !t.eat('(') {
        return Ok(match elem(t)? {
            Elem::Name(n) => Target::Name(n),
            Elem::Store(st) => Target::Store(st),
            Elem::Star(n) => Target::Star(n),
            Elem::Bad(b) => Target::Bad(b),
        });
    }
    let first = elem(t)?;
    if t.eat(')') {
        return match first {
            Elem::Name(n) => Ok(Target::Paren(n)),
            Elem::Bad(b) => Ok(Target::BadParen(b)),
            _ => t.fail_back(
                "',' (a one-element tuple is written (a,); only a name or None, True, f(), 1 is written in \
                 parentheses alone)",
            ),
        };
    }
    let mut elems = vec![first];
    loop {
        t.punct(',', "',' or ')'")?;
        if t.eat(')') {
            return Ok(Target::Tuple(elems));
        }
        elems.push(elem(t)?);
        if t.eat(')') {
            return Ok(Target::Tuple(elems));
        }
    }
}

/// One element of a target: `a`, `*b`, `Sink('o1', None).a`, `None['k']`.
fn elem(t: &mut Toks<'_>) -> Result<Elem, String> {
    if t.eat('*') {
        return Ok(Elem::Star(t.name("a variable name after *")?.to_string()));
    }
    let bad = match t.peek() {
        Some(Tok::Name("True")) => Some(Bad::True),
        Some(Tok::Name("f")) if t.toks.get(t.i + 1).map(|(_, tok)| tok) == Some(&Tok::Punct('(')) => {
            t.bump();
            t.bump();
            t.punct(')', "')' (the call a target cannot be is written f())")?;
            return Ok(Elem::Bad(Bad::Call));
        }
        Some(Tok::Int("1")) => Some(Bad::Literal),
        _ => None,
    };
    if let Some(b) = bad {
        t.bump();
        return Ok(Elem::Bad(b));
    }
    let obj = match t.peek_name() {
        Some("None") => {
            t.bump();
            if !matches!(t.peek(), Some(Tok::Punct('.' | '['))) {
                return Ok(Elem::Bad(Bad::None));
            }
            StoreObj::None
        }
        Some("Sink") => {
            t.bump();
            t.punct('(', "'('")?;
            let label = t.string("a label such as 'o1'")?;
            t.punct(',', "','")?;
            let raises = none_or_class(t, "None or an exception class such as E1 (what a store raises)")?;
            t.punct(')', "')'")?;
            StoreObj::Sink { label, raises }
        }
        Some(n) => {
            t.bump();
            return Ok(Elem::Name(n.to_string()));
        }
        None => return t.fail(TARGET),
    };
    let mut key = store_key(t)?;
    if let (StoreObj::Sink { label, raises }, Key::Item(k)) = (&obj, &key) {
        if matches!(t.peek(), Some(Tok::Punct('.' | '['))) {
            // `Sink('o1', None)['j']['k']`: stored into the item loaded (§8.2).
            let obj = StoreObj::Loaded { label: label.clone(), raises: *raises, key: k.clone() };
            key = store_key(t)?;
            return Ok(Elem::Store(Store { obj, key }));
        }
    }
    Ok(Elem::Store(Store { obj, key }))
}

/// `.a` or `['k']` of a store target.
fn store_key(t: &mut Toks<'_>) -> Result<Key, String> {
    if t.eat('.') {
        Ok(Key::Attr(t.name("an attribute name such as a")?.to_string()))
    } else if t.eat('[') {
        let k = t.string("a key such as 'k'")?;
        t.punct(']', "']'")?;
        Ok(Key::Item(k))
    } else {
        t.fail("'.' or '[' (a store target is an attribute or an item, as in Sink('o1', None).a)")
    }
}

/// How a with item is described when one is expected.
const ITEM: &str = "a manager such as M0(), c0(), suppress(E1), nullcontext(1), closing(Closer('k1', None)), \
                    closing(g0()), ExitStack(), st.pop_all(), a variable such as m1 or a literal such as 1";

/// A context expression: of a `with` item, of an assignment, or the argument of a stack method.
fn item_expr(t: &mut Toks<'_>) -> Result<ItemExpr, String> {
    match t.peek() {
        Some(Tok::Name(n)) if !VALUE_NAMES.contains(n) => {
            let n = *n;
            item_call(t, n)
        }
        None => t.fail(ITEM),
        _ => Ok(ItemExpr::Literal(value(t, 0)?)),
    }
}

/// A context expression that starts with a name: `M0()`, `c0()`, `suppress(E1, KeyError)`,
/// `nullcontext(3)`, `closing(Closer('k1', None))`, `closing(g0())`, `aclosing(g0())`,
/// `ExitStack()`, `AsyncExitStack()`, `st.pop_all()` or a variable `m1`. `name` is the name at
/// the cursor.
fn item_call(t: &mut Toks<'_>, name: &str) -> Result<ItemExpr, String> {
    let no_args = |what: &str| format!("is created with no arguments, as in {what}");
    let res = match name {
        "Nested" => {
            // `Nested(M0(), c1())` (SEMANTICS-ADDENDUM §15.4); what it may hold, validate says.
            t.bump();
            t.punct('(', "'('")?;
            let mut members = Vec::new();
            if !t.eat(')') {
                loop {
                    members.push(item_expr(t)?);
                    if t.eat(')') {
                        break;
                    }
                    t.punct(',', "',' or ')'")?;
                }
            }
            ItemExpr::Nested(members)
        }
        "suppress" => {
            t.bump();
            t.punct('(', "'('")?;
            let mut classes = Vec::new();
            if !t.eat(')') {
                loop {
                    classes.push(exc_class(t)?);
                    if t.eat(')') {
                        break;
                    }
                    t.punct(',', "',' or ')'")?;
                    if t.eat(')') {
                        break;
                    }
                }
            }
            ItemExpr::Suppress(classes)
        }
        "nullcontext" => {
            t.bump();
            t.punct('(', "'('")?;
            if t.eat(')') {
                return t.fail_back("a value, as in nullcontext(None)");
            }
            let v = value(t, 0)?;
            t.punct(')', "')'")?;
            ItemExpr::Nullcontext(v)
        }
        "closing" | "aclosing" => {
            let is_async = name == "aclosing";
            t.bump();
            t.punct('(', "'('")?;
            if let Some(gen) = t.peek_name().and_then(|n| index(n, 'g')) {
                t.bump();
                t.punct('(', "'(' (a generator function is called with no arguments, as in g0())")?;
                t.punct(')', "')' (a generator function is called with no arguments, as in g0())")?;
                t.punct(')', "')'")?;
                return Ok(ItemExpr::ClosingGen { gen, is_async });
            }
            if is_async {
                return t.fail("a generator function call such as g0() (aclosing wraps an async generator)");
            }
            t.keyword("Closer", "Closer('k1', None) or a generator function call such as g0() (what closing wraps)")?;
            t.punct('(', "'('")?;
            let label = t.string("a label such as 'k1'")?;
            t.punct(',', "','")?;
            let raises = none_or_class(t, "None or an exception class such as E1 (what close() raises)")?;
            t.punct(')', "')'")?;
            t.punct(')', "')'")?;
            ItemExpr::Closing { label, raises }
        }
        _ => {
            let (mut expr, example) = if let Some(m) = manager_index(name) {
                (ItemExpr::New(m), ("a manager", "M0()"))
            } else if let Some(c) = index(name, 'c') {
                (ItemExpr::Cm(c, Vec::new()), ("a @contextmanager manager", "c0()"))
            } else if name == "ExitStack" || name == "AsyncExitStack" {
                (ItemExpr::ExitStack { is_async: name == "AsyncExitStack" }, ("an exit stack", "ExitStack()"))
            } else {
                return match t.toks.get(t.i + 1).map(|(_, tok)| tok) {
                    Some(Tok::Punct('.')) => {
                        t.bump();
                        t.bump();
                        const POP_ALL: &str =
                            "pop_all() (the one stack method that makes a manager; the others are statements)";
                        t.keyword("pop_all", POP_ALL)?;
                        t.punct('(', "'('")?;
                        t.punct(')', "')' (pop_all() takes no arguments)")?;
                        Ok(ItemExpr::PopAll(name.to_string()))
                    }
                    // A call of anything else is no manager programs use.
                    Some(Tok::Punct('(')) => t.fail(ITEM),
                    _ => {
                        t.bump();
                        Ok(ItemExpr::Var(name.to_string()))
                    }
                };
            };
            let what = format!("{} {}", example.0, no_args(example.1));
            t.bump();
            t.punct('(', &format!("'(' ({what})"))?;
            if let ItemExpr::Cm(_, args) = &mut expr {
                *args = call_args(t)?;
                return Ok(expr);
            }
            t.punct(')', &format!("')' ({what})"))?;
            expr
        }
    };
    Ok(res)
}

/// `M<n>` written as the renderer writes it: no leading zeros.
fn manager_index(name: &str) -> Option<usize> {
    index(name, 'M')
}

/// `<prefix><n>` written as the renderer writes it: no leading zeros.
fn index(name: &str, prefix: char) -> Option<usize> {
    let digits = name.strip_prefix(prefix)?;
    let canonical =
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && (digits == "0" || !digits.starts_with('0'));
    if !canonical {
        return None;
    }
    digits.parse().ok()
}

/// The forms of `raise`.
enum Raised {
    /// `raise`.
    Bare,
    /// `raise E1('r1') [from None | from E2('c1')]`.
    New(RaiseNew),
    /// `raise e_h1`, in main.
    Caught(String),
    /// `raise k1`, in main: a variable.
    Var(String),
    /// `raise ExceptionGroup('g1', [...])`, in main.
    Group(Group),
    /// `raise v`, in a method.
    Arg,
}

/// A `raise` line, the forms allowed `where_` it stands.
fn raise(t: &mut Toks<'_>, where_: RaiseAt) -> Result<Raised, String> {
    t.keyword("raise", "raise")?;
    if t.is_end() {
        return Ok(Raised::Bare);
    }
    if let Some(n) = t.peek_name() {
        if where_ == RaiseAt::Main {
            if let Some(label) = n.strip_prefix("e_") {
                t.bump();
                return Ok(Raised::Caught(label.to_string()));
            }
            let lower = n.starts_with(|c: char| c.is_ascii_lowercase());
            if lower && ExcClass::from_name(n).is_none() && t.toks.len() == t.i + 1 {
                t.bump();
                return Ok(Raised::Var(n.to_string()));
            }
        } else if n == "v" {
            t.bump();
            return Ok(Raised::Arg);
        }
    }
    if where_ == RaiseAt::Main && matches!(t.peek_name(), Some("ExceptionGroup" | "BaseExceptionGroup")) {
        return Ok(Raised::Group(group(t, 0)?));
    }
    if ExcClass::from_name(t.peek_name().unwrap_or("")).is_none() {
        let what = match where_ {
            RaiseAt::Main => "E1('r1') or e_h1 (the name a handler binds) after raise",
            RaiseAt::Method => "E1('r1') or v after raise",
        };
        return t.fail(what);
    }
    let exc = new_exc(t)?;
    let cause = if t.eat_name("from") {
        if t.eat_name("None") {
            Some(Cause::None)
        } else if let Some(label) = t.peek_name().and_then(|n| n.strip_prefix("e_")) {
            let label = label.to_string();
            t.bump();
            Some(Cause::Caught(label))
        } else {
            Some(Cause::New(new_exc(t)?))
        }
    } else {
        None
    };
    Ok(Raised::New(RaiseNew { exc, cause }))
}

/// `ExceptionGroup('g1', [E1('r2'), ...])` or `BaseExceptionGroup(...)`, members nested at most
/// [`MAX_VALUE_DEPTH`] deep.
fn group(t: &mut Toks<'_>, depth: usize) -> Result<Group, String> {
    let base = match t.peek_name() {
        Some("ExceptionGroup") => false,
        Some("BaseExceptionGroup") => true,
        _ => return t.fail("ExceptionGroup or BaseExceptionGroup"),
    };
    if depth >= MAX_VALUE_DEPTH {
        return t.fail(&format!("an exception; groups nest at most {MAX_VALUE_DEPTH} deep"));
    }
    t.bump();
    t.punct('(', "'('")?;
    let label = t.string("a message such as 'g1'")?;
    t.punct(',', "','")?;
    t.punct('[', "'[' (the exceptions it holds are a list)")?;
    let mut members = Vec::new();
    loop {
        if matches!(t.peek_name(), Some("ExceptionGroup" | "BaseExceptionGroup")) {
            members.push(GroupMember::Group(group(t, depth + 1)?));
        } else {
            members.push(GroupMember::Exc(new_exc(t)?));
        }
        if !t.eat(',') {
            break;
        }
    }
    t.punct(']', "']'")?;
    t.punct(')', "')'")?;
    Ok(Group { base, label, members })
}

/// What `show('d1', ` is followed by in a direct protocol call: `m1.__exit__(E1, E1('x1'), None)`,
/// `await m1.__aenter__()`, ... (SEMANTICS-ADDENDUM §15).
fn direct_call(t: &mut Toks<'_>, label: String) -> Result<Stmt, String> {
    let is_async = t.eat_name("await");
    let var = t.name("the variable holding the manager, as in m1.__enter__()")?.to_string();
    t.punct('.', "'.'")?;
    let a = if is_async { "a" } else { "" };
    let (enter, exit) = (format!("__{a}enter__"), format!("__{a}exit__"));
    let at_method = t.i;
    let method = t.name(&format!("{enter} or {exit}"))?;
    t.punct('(', "'('")?;
    let call = if method == enter {
        DirectCall::Enter
    } else if method == exit {
        const TRIPLE: &str = "(None, None, None), (E1, None, None) or (E1, E1('x1'), None)";
        let triple = if t.eat_name("None") {
            t.punct(',', TRIPLE)?;
            t.keyword("None", TRIPLE)?;
            Triple::Nones
        } else {
            let class = exc_class(t)?;
            t.punct(',', "','")?;
            if t.eat_name("None") {
                Triple::TypeOnly(class)
            } else {
                let at_value = t.i;
                let e = new_exc(t)?;
                if e.class != class {
                    t.i = at_value;
                    return t.fail(&format!("an instance of {} itself", class.name()));
                }
                Triple::Exc(e)
            }
        };
        t.punct(',', "',' and the traceback None")?;
        t.keyword("None", "None (the traceback)")?;
        DirectCall::Exit(triple)
    } else {
        t.i = at_method;
        return t.fail(&format!("{enter} or {exit}"));
    };
    t.punct(')', "')'")?;
    Ok(Stmt::Direct { label, var, is_async, call })
}

/// `E1('r1')`.
fn new_exc(t: &mut Toks<'_>) -> Result<NewExc, String> {
    let class = exc_class(t)?;
    t.punct('(', "'(' (an exception is created with a label, as in E1('r1'))")?;
    let label = t.string("a label such as 'r1'")?;
    t.punct(')', "')'")?;
    Ok(NewExc { class, label })
}

fn exc_class(t: &mut Toks<'_>) -> Result<ExcClass, String> {
    match t.peek_name().and_then(ExcClass::from_name) {
        Some(c) => {
            t.bump();
            Ok(c)
        }
        None => t.fail(CLASS),
    }
}

/// An integer literal, maybe negative, as Python writes it: no leading zeros.
fn int(t: &mut Toks<'_>, what: &str) -> Result<i64, String> {
    let start = t.i;
    let neg = t.eat('-');
    let Some(Tok::Int(digits)) = t.peek() else { return t.fail(what) };
    let digits = *digits;
    if digits.len() > 1 && digits.starts_with('0') {
        return t.fail("an integer without leading zeros");
    }
    let text = if neg { format!("-{digits}") } else { digits.to_string() };
    match text.parse() {
        Ok(n) => {
            t.bump();
            Ok(n)
        }
        Err(_) => {
            t.i = start;
            t.fail("an integer that fits in 64 bits")
        }
    }
}

fn value(t: &mut Toks<'_>, depth: usize) -> Result<Value, String> {
    let res = match t.peek() {
        Some(Tok::Name("None")) => Value::None,
        Some(Tok::Name("True")) => Value::Bool(true),
        Some(Tok::Name("False")) => Value::Bool(false),
        Some(Tok::Str(s)) => Value::Str(s.clone()),
        Some(Tok::Int(_) | Tok::Punct('-')) => return Ok(Value::Int(int(t, VALUE)?)),
        Some(Tok::Name("Bool")) => {
            t.bump();
            t.punct('(', "'('")?;
            let label = t.string("a label such as 'b1'")?;
            t.punct(',', "','")?;
            let result = match t.peek() {
                Some(Tok::Name("True")) => BoolResult::Bool(true),
                Some(Tok::Name("False")) => BoolResult::Bool(false),
                Some(Tok::Int(_) | Tok::Punct('-')) => BoolResult::NonBool(int(t, "an integer")?),
                _ => match t.peek_name().and_then(ExcClass::from_name) {
                    Some(c) => BoolResult::Raise(c),
                    None => return t.fail("True, False, an integer or an exception class such as E1"),
                },
            };
            if !matches!(result, BoolResult::NonBool(_)) {
                t.bump();
            }
            t.punct(')', "')'")?;
            return Ok(Value::BoolObj { label, result });
        }
        Some(Tok::Name("Len")) => {
            t.bump();
            t.punct('(', "'('")?;
            let label = t.string("a label such as 'n1'")?;
            t.punct(',', "','")?;
            let len = int(t, "an integer")?;
            t.punct(')', "')'")?;
            return Ok(Value::LenObj { label, len });
        }
        Some(Tok::Name(func @ ("Aw" | "co"))) => {
            let coroutine = *func == "co";
            if depth >= MAX_VALUE_DEPTH {
                return t.fail(&format!("a value; values nest at most {MAX_VALUE_DEPTH} deep"));
            }
            t.bump();
            t.punct('(', "'('")?;
            let label = t.string("a label such as 'a1'")?;
            t.punct(',', "','")?;
            let suspend = match t.peek_name() {
                Some("True") => true,
                Some("False") => false,
                _ => return t.fail("True or False (whether it suspends once)"),
            };
            t.bump();
            t.punct(',', "','")?;
            const THEN: &str = "what awaiting it gives: an exception class such as E1 or a value such as None";
            let then = match class_or_value(t, depth + 1, THEN)? {
                Gives::Raise(c) => AwaitThen::Raise(c),
                Gives::Return(v) => AwaitThen::Return(v),
            };
            t.punct(')', "')'")?;
            return Ok(Value::Awaitable { label, suspend, then: Box::new(then), coroutine });
        }
        Some(Tok::Name("BadAw")) => {
            t.bump();
            t.punct('(', "'('")?;
            t.punct(')', "')' (BadAw() takes no arguments)")?;
            return Ok(Value::BadAwaitable);
        }
        Some(Tok::Punct('(')) => {
            if depth >= MAX_VALUE_DEPTH {
                return t.fail(&format!("a value; tuples nest at most {MAX_VALUE_DEPTH} deep"));
            }
            t.bump();
            return Ok(Value::Tuple(t.tuple("a one-item tuple is written (1,)", |t| value(t, depth + 1))?));
        }
        _ => return t.fail(VALUE),
    };
    t.bump();
    Ok(res)
}

// ---- tokens ----

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok<'a> {
    Name(&'a str),
    /// Digits; a sign is a separate `Punct('-')`.
    Int(&'a str),
    /// A string literal's value.
    Str(String),
    /// One of `( ) , : . = - @ * [ ]`.
    Punct(char),
}

/// The tokens of one line, with the byte offset each starts at, and a cursor.
struct Toks<'a> {
    text: &'a str,
    toks: Vec<(usize, Tok<'a>)>,
    i: usize,
}

impl<'a> Toks<'a> {
    fn new(text: &'a str) -> Result<Toks<'a>, String> {
        let mut toks = Vec::new();
        let mut it = text.char_indices().peekable();
        while let Some((start, c)) = it.next() {
            match c {
                ' ' | '\t' => {}
                '#' => break,
                '(' | ')' | ',' | ':' | '.' | '=' | '-' | '@' | '*' | '[' | ']' => toks.push((start, Tok::Punct(c))),
                c if c.is_ascii_alphabetic() || c == '_' => {
                    let mut end = start + 1;
                    while let Some(&(i, c)) = it.peek() {
                        if !(c.is_ascii_alphanumeric() || c == '_') {
                            break;
                        }
                        end = i + 1;
                        it.next();
                    }
                    toks.push((start, Tok::Name(&text[start..end])));
                }
                c if c.is_ascii_digit() => {
                    let mut end = start + 1;
                    while let Some(&(i, c)) = it.peek() {
                        if !c.is_ascii_digit() {
                            break;
                        }
                        end = i + 1;
                        it.next();
                    }
                    toks.push((start, Tok::Int(&text[start..end])));
                }
                '\'' | '"' => {
                    let quote = c;
                    let mut s = String::new();
                    let unterminated = || format!("unterminated string in {:?}", clip(text));
                    loop {
                        let Some((_, c)) = it.next() else { return Err(unterminated()) };
                        match c {
                            c if c == quote => break,
                            '\\' => {
                                let Some((_, e)) = it.next() else { return Err(unterminated()) };
                                match e {
                                    '\\' | '\'' | '"' => s.push(e),
                                    'n' => s.push('\n'),
                                    'r' => s.push('\r'),
                                    't' => s.push('\t'),
                                    'x' => {
                                        let hex: String =
                                            (0..2).filter_map(|_| it.next().map(|(_, c)| c)).collect();
                                        match u8::from_str_radix(&hex, 16) {
                                            Ok(b) if hex.len() == 2 => s.push(char::from(b)),
                                            _ => {
                                                return Err(format!(
                                                    "expected two hex digits after \\x in {:?}",
                                                    clip(text)
                                                ))
                                            }
                                        }
                                    }
                                    e => {
                                        return Err(format!(
                                            "unsupported escape \\{e} in {:?}; strings use \\\\ \\' \\\" \\n \\r \\t and \\xNN",
                                            clip(text)
                                        ))
                                    }
                                }
                            }
                            c => s.push(c),
                        }
                    }
                    toks.push((start, Tok::Str(s)));
                }
                c => return Err(format!("unexpected character {c:?} in {:?}", clip(text))),
            }
        }
        Ok(Toks { text, toks, i: 0 })
    }

    fn peek(&self) -> Option<&Tok<'a>> {
        self.toks.get(self.i).map(|(_, t)| t)
    }

    fn peek_name(&self) -> Option<&'a str> {
        match self.peek() {
            Some(Tok::Name(n)) => Some(n),
            _ => None,
        }
    }

    fn bump(&mut self) {
        self.i += 1;
    }

    fn is_end(&self) -> bool {
        self.i >= self.toks.len()
    }

    fn is_name(&self, name: &str) -> bool {
        self.peek_name() == Some(name)
    }

    fn eat_name(&mut self, name: &str) -> bool {
        let res = self.is_name(name);
        if res {
            self.bump();
        }
        res
    }

    fn eat(&mut self, c: char) -> bool {
        let res = self.peek() == Some(&Tok::Punct(c));
        if res {
            self.bump();
        }
        res
    }

    /// An error: `what` was expected at the current token.
    fn fail<T>(&self, what: &str) -> Result<T, String> {
        let found = match self.toks.get(self.i) {
            Some((start, _)) => format!("{:?}", clip(&self.text[*start..])),
            None => "the end of the line".to_string(),
        };
        Err(format!("expected {what}, found {found}"))
    }

    /// An error: `what` was expected before the token just taken.
    fn fail_back<T>(&mut self, what: &str) -> Result<T, String> {
        self.i = self.i.saturating_sub(1);
        self.fail(what)
    }

    fn punct(&mut self, c: char, what: &str) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            self.fail(what)
        }
    }

    fn keyword(&mut self, name: &str, what: &str) -> Result<(), String> {
        if self.eat_name(name) {
            Ok(())
        } else {
            self.fail(what)
        }
    }

    fn name(&mut self, what: &str) -> Result<&'a str, String> {
        match self.peek_name() {
            Some(n) => {
                self.bump();
                Ok(n)
            }
            None => self.fail(what),
        }
    }

    fn string(&mut self, what: &str) -> Result<String, String> {
        match self.peek() {
            Some(Tok::Str(s)) => {
                let s = s.clone();
                self.bump();
                Ok(s)
            }
            _ => self.fail(what),
        }
    }

    /// The items of a tuple whose `(` is taken, through its `)`: `()`, `(a,)`, `(a, b)` or `(a,
    /// b,)`, each read by `item`. `one` says how a one-item tuple is written.
    fn tuple<T>(&mut self, one: &str, mut item: impl FnMut(&mut Self) -> Result<T, String>) -> Result<Vec<T>, String> {
        let mut items = Vec::new();
        if self.eat(')') {
            return Ok(items);
        }
        loop {
            items.push(item(self)?);
            if self.eat(')') {
                if items.len() == 1 {
                    return self.fail_back(&format!("',' ({one})"));
                }
                return Ok(items);
            }
            self.punct(',', "',' or ')'")?;
            if self.eat(')') {
                return Ok(items);
            }
        }
    }

    /// A `def` line's `(a, b):` to its end: the parameter names.
    fn signature_end(&mut self) -> Result<Vec<&'a str>, String> {
        self.punct('(', "'('")?;
        let mut params = Vec::new();
        if !self.eat(')') {
            loop {
                params.push(self.name("a parameter name")?);
                if self.eat(')') {
                    break;
                }
                self.punct(',', "',' or ')'")?;
            }
        }
        self.punct(':', "':'")?;
        self.end()?;
        Ok(params)
    }

    fn end(&self) -> Result<(), String> {
        if self.is_end() {
            Ok(())
        } else {
            self.fail("the end of the line")
        }
    }
}

/// `text` shortened for a message.
fn clip(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        return text.to_string();
    }
    let mut res: String = text.chars().take(MAX - 3).collect();
    res.push_str("...");
    res
}

#[cfg(test)]
mod tests;
