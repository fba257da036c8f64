//! `--compile cython|mypyc|nuitka`: how `run`, `replay` and `shrink` run programs on a target
//! that compiles. Programs are rendered as modules, built in batches (`--batch`) by
//! `oracle::runner::compile`, and run by the ordinary worker, which imports each module and runs
//! its `main`; model, verdict and shrinking are the same as for an interpreter. A program the
//! compiler does not build is a finding of kind `compile`.
//!
//! [`Exec`] is the one value the commands hold: it runs programs either interpreted (no
//! `--compile`) or compiled, so that each command's hook is one call.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use oracle::capability::{Capabilities, Capability};
use oracle::ir::{Program, REFUSED_BLOCKS};
use oracle::judge::{self, Judged};
use oracle::model::Prediction;
use oracle::profile::Profile;
use oracle::render;
use oracle::runner::compile::{self, BuildConfig, BuildError, Builder, Compiler, Toolchain, Unit, UnitBuild};
use oracle::runner::{RunResult, Worker, DEFAULT_MEMORY_LIMIT};
use oracle::trace::Outcome;
use oracle::verdict::{self, Failure, Messages, Verdict};

use crate::args::parse_duration;

/// The flags of a target that compiles.
#[derive(clap::Args, Clone, Debug)]
pub struct CompileArgs {
    /// Compile each program with this compiler (cython, mypyc or nuitka, for the interpreter of
    /// --python) and run the built module instead of the source.
    #[arg(long, value_parser = parse_compiler)]
    pub compile: Option<Compiler>,
    /// Programs per build [default: cython 100, mypyc 100, nuitka 50]; 1 to 1000.
    #[arg(long, requires = "compile", value_parser = parse_batch)]
    pub batch: Option<usize>,
    /// How long one run of the compiler (or of the C compiler) may take; longer is a `hang`
    /// finding, bisected to its program.
    #[arg(long, value_parser = parse_duration, default_value = "10m")]
    pub build_timeout: Duration,
    /// Keep the build directories (and compiler caches) instead of removing them at the end.
    #[arg(long, requires = "compile")]
    pub keep_builds: bool,
}

fn parse_compiler(s: &str) -> Result<Compiler, String> {
    s.trim().parse()
}

/// `--batch`: 1 to 1000.
pub fn parse_batch(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n @ 1..=1000) => Ok(n),
        Ok(_) => Err("--batch must be between 1 and 1000".to_string()),
        Err(e) => Err(format!("{:?} is not a batch size: {e}", crate::limits::clip_message(s, 40))),
    }
}

/// How programs are run: as source in the worker, or compiled.
pub enum Exec {
    /// Interpreted: the worker compiles and runs the source.
    Interpret,
    /// Compiled, then imported by the worker.
    Compile(Arc<Compiled>),
}

/// A compiler ready to build, and what it was found to lack.
pub struct Compiled {
    /// Builds batches.
    pub builder: Builder,
    /// Programs per build.
    pub batch: usize,
    /// Async generators built by this compiler have no `ag_frame`, which the prelude needs to
    /// finish a generator that `aclosing` left suspended: programs that step one are not run.
    pub no_ag_frame: bool,
    /// The compiler builds a function nested deeper than CPython compiles: it lacks the
    /// capability `nesting-limit`, whatever the interpreter it builds for has.
    pub no_nesting_limit: bool,
}

/// What comes of a batch before it runs: for each program, the worker request that runs it, or
/// the failure that stops it (its build failed). The builds are removed when it is dropped.
pub struct Prepared {
    /// One per program: the request, or `None`.
    pub requests: Vec<Option<String>>,
    /// One per program: the build failure, or `None`.
    pub failures: Vec<Option<Failure>>,
    _batch: Option<compile::Batch>,
}

/// The first module every compiled campaign builds: the toolchain works, and the worker runs what
/// it built.
const SMOKE: &str = "from withstand_prelude import log\n\ndef main():\n    log('smoke')\n    return 7\n";

/// Whether the compiler's async generators have `ag_frame` (mypyc has no async generators: it
/// does not build this).
const AG_FRAME_PROBE: &str = "async def g0():\n    yield 1\n\ndef main():\n    return hasattr(g0(), 'ag_frame')\n";

/// Whether the compiler refuses a function nested deeper than CPython compiles (the capability
/// `nesting-limit`): CPython's own limit, which a compiler need not have. A plain function as
/// deep as every version refuses ([`REFUSED_BLOCKS`]).
fn nesting_probe() -> String {
    let mut src = String::from("def f(x):\n");
    for depth in 1..=REFUSED_BLOCKS {
        src.push_str(&format!("{}with x:\n", "    ".repeat(depth)));
    }
    src.push_str(&format!("{}pass\n\ndef main():\n    return 7\n", "    ".repeat(REFUSED_BLOCKS + 1)));
    src
}

/// Why a program is left out: it steps an async generator whose end needs `ag_frame`.
const NO_AG_FRAME: &str = "steps an async generator with astep, and this compiler's async generators have no ag_frame";
/// Why a program is left out with mypyc (its error: "async generators are unimplemented").
const MYPYC_ASYNC_GENERATORS: &str = "defines an async generator, which mypyc does not build";
/// Why a program is left out with mypyc ("Exception groups and except* cannot be compiled yet").
const MYPYC_EXCEPT_STAR: &str = "uses except*, which mypyc does not build";
/// Why a program is left out with mypyc ("break inside try/finally block is unimplemented").
const MYPYC_BREAK_IN_FINALLY: &str = "breaks or continues out of a with or try/finally, which mypyc does not build";

/// The compiler `--compile` names, found for the interpreter `python`; `None` without
/// `--compile`. A compiler that is not installed is an error (status 2) naming what to install.
pub fn find_toolchain(args: &CompileArgs, python: &Path) -> anyhow::Result<Option<Toolchain>> {
    let Some(compiler) = args.compile else {
        return Ok(None);
    };
    Ok(Some(Toolchain::find(compiler, python, compile::impls_dir().as_deref())?))
}

impl Exec {
    /// Interpreted (no `toolchain`), or compiled with `toolchain` (from [`find_toolchain`]),
    /// building under `root`, checked with a first build that runs on `worker` (a toolchain
    /// that cannot build or run a trivial module is an error, status 2). `jobs` is how many
    /// builds may run at once (each C compiler gets its share of the CPUs); `stop` is asked
    /// while a build runs.
    pub fn start(
        toolchain: Option<Toolchain>,
        args: &CompileArgs,
        worker: &mut Worker,
        root: &Path,
        jobs: usize,
        stop: Arc<dyn Fn() -> bool + Send + Sync>,
    ) -> anyhow::Result<Exec> {
        let Some(toolchain) = toolchain else {
            return Ok(Exec::Interpret);
        };
        let compiler = toolchain.compiler;
        let python = worker_python(worker);
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let config = BuildConfig {
            timeout: args.build_timeout,
            memory_limit: Some(DEFAULT_MEMORY_LIMIT),
            stop,
            jobs: (cpus / jobs.max(1)).max(1),
        };
        let name = toolchain.name();
        let builder = Builder::new(toolchain, root, config, args.keep_builds)?;
        let units = [
            Unit { source: SMOKE.to_string() },
            Unit { source: AG_FRAME_PROBE.to_string() },
            Unit { source: nesting_probe() },
        ];
        let batch = builder.build(&units).with_context(|| format!("cannot build with {name}"))?;
        if let UnitBuild::Failed(f) = &batch.units[0] {
            builder.clean();
            anyhow::bail!(
                "{name} cannot build a trivial module for {}:\n{}",
                python,
                crate::limits::clip_lines(&f.details(), 40)
            );
        }
        let smoke = batch.request(0, false).expect("built");
        let ran = worker.run(&smoke).context("the interpreter could not be restarted")?;
        let ok = matches!(&ran, RunResult::Completed(t) if t.outcome == Outcome::Returned("7".to_string()) && t.events.len() == 1);
        if !ok {
            builder.clean();
            anyhow::bail!("{python} does not run the trivial module {name} built for it: {ran:?}");
        }
        let no_ag_frame = match batch.request(1, false) {
            Some(probe) => {
                let ran = worker.run(&probe).context("the interpreter could not be restarted")?;
                matches!(ran, RunResult::Completed(t) if t.outcome == Outcome::Returned("False".to_string()))
            }
            None => false,
        };
        let no_nesting_limit = matches!(batch.units[2], UnitBuild::Built { .. });
        drop(batch);
        let batch = args.batch.unwrap_or(compiler.default_batch());
        Ok(Exec::Compile(Arc::new(Compiled { builder, batch, no_ag_frame, no_nesting_limit })))
    }

    /// What programs run on this target may use: what the interpreter has (`probed`), less what
    /// the compiler lacks of it.
    pub fn capabilities(&self, probed: Capabilities) -> Capabilities {
        match self {
            Exec::Compile(c) if c.no_nesting_limit => probed.without(Capability::NestingLimit),
            _ => probed,
        }
    }

    /// The toolchain, when compiling.
    pub fn toolchain(&self) -> Option<&Toolchain> {
        match self {
            Exec::Interpret => None,
            Exec::Compile(c) => Some(c.builder.toolchain()),
        }
    }

    /// Programs per batch: the build batch when compiling, else `interpreted`.
    pub fn batch_size(&self, interpreted: u64) -> u64 {
        match self {
            Exec::Interpret => interpreted,
            Exec::Compile(c) => c.batch as u64,
        }
    }

    /// Whether `program` is left out on this target (it would need what the target lacks),
    /// and why.
    pub fn leaves_out(&self, program: &Program) -> Option<&'static str> {
        let Exec::Compile(c) = self else { return None };
        if c.no_ag_frame && render::steps_async_generator(program) {
            return Some(NO_AG_FRAME);
        }
        if c.builder.toolchain().compiler == Compiler::Mypyc {
            // What mypyc documents it does not compile (its error names each as unimplemented or
            // not supported): building such a program only shows the documentation again.
            if render::defines_async_generator(program) {
                return Some(MYPYC_ASYNC_GENERATORS);
            }
            if render::uses_except_star(program) {
                return Some(MYPYC_EXCEPT_STAR);
            }
            if render::breaks_out_of_finally(program) {
                return Some(MYPYC_BREAK_IN_FINALLY);
            }
        }
        None
    }

    /// Why programs may be left out on this target ([`Exec::leaves_out`]), for the summary.
    pub fn left_out_reasons(&self) -> Vec<&'static str> {
        match self {
            Exec::Interpret => Vec::new(),
            Exec::Compile(c) => {
                let mut res = Vec::new();
                if c.no_ag_frame {
                    res.push(NO_AG_FRAME);
                }
                if c.builder.toolchain().compiler == Compiler::Mypyc {
                    res.extend([MYPYC_ASYNC_GENERATORS, MYPYC_EXCEPT_STAR, MYPYC_BREAK_IN_FINALLY]);
                }
                res
            }
        }
    }

    /// The verdict on a program that did not build (or import): agreement when CPython refuses
    /// to compile it too ([`verdict::judge_build_failure`]), else the failure.
    pub fn judge_failure(&self, prediction: &Prediction, failure: Failure) -> Verdict {
        match failure {
            Failure::Compile(b) => verdict::judge_build_failure(prediction, &b),
            other => Verdict::Fails(other),
        }
    }

    /// Builds the programs when compiling; the requests that run them.
    /// Interpreted, each program is its source in the dialect of an interpreter with
    /// `capabilities` ([`judge::source_for`]).
    pub fn prepare(&self, programs: &[&Program], capabilities: Capabilities) -> anyhow::Result<Prepared> {
        let Exec::Compile(c) = self else {
            let requests = programs.iter().map(|p| Some(judge::source_for(p, capabilities))).collect();
            return Ok(Prepared { requests, failures: vec![None; programs.len()], _batch: None });
        };
        let units: Vec<Unit> = programs.iter().map(|p| Unit { source: render::module(p) }).collect();
        let batch = match c.builder.build(&units) {
            Ok(b) => b,
            Err(BuildError::Stopped) => {
                // The campaign is ending: nothing of this batch runs.
                return Ok(Prepared {
                    requests: vec![None; programs.len()],
                    failures: vec![None; programs.len()],
                    _batch: None,
                });
            }
            Err(e) => return Err(e.into()),
        };
        let requests = programs.iter().enumerate().map(|(i, p)| batch.request(i, p.is_async)).collect();
        let failures = batch
            .units
            .iter()
            .map(|u| match u {
                UnitBuild::Failed(f) => Some(Failure::Compile(Box::new(f.clone()))),
                UnitBuild::Built { .. } => None,
            })
            .collect();
        Ok(Prepared { requests, failures, _batch: Some(batch) })
    }

    /// Judges the run of a request made by [`Exec::prepare`].
    pub fn judge(&self, prediction: &Prediction, result: RunResult, messages: Messages) -> Verdict {
        match self {
            Exec::Interpret => verdict::judge(prediction, result, messages),
            Exec::Compile(c) => verdict::judge_compiled(prediction, result, messages, &c.builder.toolchain().name()),
        }
    }

    /// Predicts, builds (a batch of one) and runs one program, and judges it: what shrinking
    /// and single runs use. `None` for a program that is not run.
    pub fn judge_on(
        &self,
        worker: &mut Worker,
        program: &Program,
        profile: Profile,
        messages: Messages,
    ) -> anyhow::Result<Option<Judged>> {
        match self {
            Exec::Interpret => {
                judge::judge_on(worker, program, profile, messages).context("the interpreter could not be restarted")
            }
            Exec::Compile(_) if self.leaves_out(program).is_some() => Ok(None),
            Exec::Compile(c) => {
                judge::judge_compiled_on(worker, &c.builder, program, profile, messages).map_err(|e| match e {
                    judge::CompiledError::Worker(e) => {
                        anyhow::Error::new(e).context("the interpreter could not be restarted")
                    }
                    judge::CompiledError::Build(e) => e.into(),
                })
            }
        }
    }

    /// Judges one program of a batch made by [`Exec::prepare`]: its request (run on `worker`) or
    /// its build failure. `None` for a program that is not run.
    pub fn judge_prepared(
        &self,
        worker: &mut Worker,
        program: &Program,
        profile: Profile,
        messages: Messages,
        request: Option<&str>,
        failure: Option<&Failure>,
    ) -> anyhow::Result<Option<Judged>> {
        let prediction = oracle::model::predict(program, profile);
        if prediction.unpredictable.is_some() || self.leaves_out(program).is_some() {
            return Ok(None);
        }
        let verdict = match (failure, request) {
            (Some(f), _) => self.judge_failure(&prediction, f.clone()),
            (None, Some(r)) => {
                let result = worker.run(r).context("the interpreter could not be restarted")?;
                self.judge(&prediction, result, messages)
            }
            (None, None) => return Ok(None),
        };
        Ok(Some(Judged { prediction, verdict }))
    }

    /// How `program` fails, if it does: the predicate shrinking uses.
    pub fn failure(
        &self,
        worker: &mut Worker,
        program: &Program,
        profile: Profile,
        messages: Messages,
    ) -> anyhow::Result<Option<(Prediction, Failure)>> {
        Ok(self
            .judge_on(worker, program, profile, messages)?
            .and_then(|j| j.verdict.failure().map(|f| (j.prediction, f))))
    }

    /// Removes the builds (unless kept); says where they are when kept.
    pub fn finish(&self) -> Option<PathBuf> {
        match self {
            Exec::Interpret => None,
            Exec::Compile(c) => {
                c.builder.clean();
                c.builder.keeps().then(|| c.builder.root().to_path_buf())
            }
        }
    }
}

/// Where a command without a run directory (`replay`, `shrink`) builds: a temporary directory,
/// kept with `--keep-builds`.
pub fn scratch_dir(args: &CompileArgs) -> anyhow::Result<Scratch> {
    let dir =
        tempfile::Builder::new().prefix("withstand-builds-").tempdir().context("cannot create a build directory")?;
    Ok(if args.keep_builds { Scratch::Kept(dir.keep()) } else { Scratch::Temp(dir) })
}

/// A build directory from [`scratch_dir`].
pub enum Scratch {
    /// Removed when dropped.
    Temp(tempfile::TempDir),
    /// Kept.
    Kept(PathBuf),
}

impl Scratch {
    /// Where it is.
    pub fn path(&self) -> &Path {
        match self {
            Scratch::Temp(d) => d.path(),
            Scratch::Kept(p) => p,
        }
    }
}

/// How the worker's interpreter is named, for messages.
fn worker_python(worker: &Worker) -> String {
    let info = worker.info();
    let (a, b, c) = info.version;
    format!("{} {a}.{b}.{c}", info.implementation)
}

/// `cython 3.3.1 (/root/.cache/withstand/impls/venvs/cpython-3.11/bin/python)` for each compiler
/// found for `python`, or why it is not: the compilers section of `withstand impls`.
pub fn compilers_report(python: &Path) -> Vec<(Compiler, Result<Toolchain, String>)> {
    let impls = compile::impls_dir();
    Compiler::ALL
        .into_iter()
        .map(|c| (c, Toolchain::find(c, python, impls.as_deref()).map_err(|e| e.to_string())))
        .collect()
}

/// The files of a reproducer for a compiler: `withstand_prelude.py`, the program as the module
/// `repro.py`, `build.sh` (the exact commands withstand builds one program with) and `run.sh`
/// (prints the trace), written into `dir`.
pub fn reproducer_files(program: &Program, toolchain: &Toolchain, python: &Path) -> Vec<(String, String)> {
    let name = "repro";
    let mut build = format!(
        "#!/bin/sh\n# Builds {name}.py with {} for {} as withstand builds one program (run it from anywhere).\nset -e\ncd \"$(dirname \"$0\")\"\n",
        toolchain.name(),
        toolchain.target.version.split_whitespace().next().unwrap_or("?"),
    );
    for c in toolchain.commands(name) {
        build.push_str(&c.shell());
        build.push('\n');
    }
    let run = format!(
        "#!/bin/sh\n# Runs the built {name} module on the interpreter and prints its trace (compare with ../expected.trace).\ncd \"$(dirname \"$0\")\"\nexec {} -c {}\n",
        compile::shell_quote(&python.display().to_string()),
        compile::shell_quote(&render::run_module_code(name, program.is_async)),
    );
    let mut files = vec![
        (render::PRELUDE_MODULE.to_string() + ".py", render::prelude_module()),
        (format!("{name}.py"), render::module(program)),
        ("build.sh".to_string(), build),
        ("run.sh".to_string(), run),
    ];
    files.extend(toolchain.support_files().into_iter().map(|(path, text)| (path, text.to_string())));
    files
}

#[cfg(test)]
mod tests {
    use std::process::{Command, Output};

    fn compile(src: &str) -> Output {
        Command::new("python3")
            .args(["-c", "import sys; compile(sys.argv[1], 'probe', 'exec')"])
            .arg(src)
            .output()
            .expect("python3 runs")
    }

    /// The probe is what CPython refuses (every version), and no deeper than it needs to be: the
    /// deepest every version compiles is two levels less.
    #[test]
    fn cpython_refuses_the_nesting_probe_and_compiles_it_two_levels_shallower() {
        let probe = super::nesting_probe();
        let out = compile(&probe);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("SyntaxError: too many statically nested blocks"), "{stderr}\n{probe}");
        let outer = ["    with x:", "        with x:"];
        let shallower: String = probe.lines().filter(|l| !outer.contains(l)).map(|l| format!("{l}\n")).collect();
        assert_eq!(shallower.matches("with x:").count(), oracle::ir::MAX_BLOCKS);
        let out = compile(&shallower);
        assert!(out.status.success(), "{}\n{shallower}", String::from_utf8_lossy(&out.stderr));
    }
}
