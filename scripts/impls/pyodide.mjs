// A command-line front for Pyodide (CPython compiled to WebAssembly) under node, taking the
// usual interpreter arguments so that withstand can use it as `--python`:
//   pyodide.mjs [-u] [-B] [-E] [-I] (-c CODE | FILE | -) [ARGS...]
// stdin blocks as a real interpreter's does (node's readSync throws EAGAIN on an empty
// non-blocking pipe; that is a wait, not the end of input), stdout and stderr are written
// through unbuffered, and the host file system is mounted at the same paths, so files and the
// current directory work. Run it through a wrapper that `exec`s node, so that a hang can be
// killed: scripts/setup-impls.sh writes one.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { parseArgs, readBlocking, readSource, writeAll } from "./host.mjs";

const require = createRequire(import.meta.url);
const pyodidePath = process.env.WITHSTAND_PYODIDE_DIR
  ? path.join(process.env.WITHSTAND_PYODIDE_DIR, "pyodide.js")
  : "pyodide";
const { loadPyodide } = require(pyodidePath);

const { code, file, rest } = parseArgs(
  "pyodide",
  "pyodide.mjs [-u] (-c CODE | FILE | -) [ARGS...]",
  "import sys; print('Python ' + sys.version.split()[0])",
);

const py = await loadPyodide({
  stdin: undefined,
  stdout: undefined,
  stderr: undefined,
});
py.setStdin({ read: readBlocking, isatty: false });
py.setStdout({ write: (b) => writeAll(1, b), isatty: false });
py.setStderr({ write: (b) => writeAll(2, b), isatty: false });
// The host's directories, at the same paths.
for (const dir of ["/tmp", "/work", "/root", "/home"]) {
  if (fs.existsSync(dir)) {
    try {
      py.FS.mkdirTree(dir);
      py.mountNodeFS(dir, dir);
    } catch (e) {
      /* already there */
    }
  }
}
try {
  py.FS.chdir(process.cwd());
} catch (e) {
  /* not mounted */
}

const source = readSource("pyodide", { code, file });
const filename = code !== null ? "<string>" : file === null || file === "-" ? "<stdin>" : path.resolve(file);

py.globals.set("__withstand_argv", py.toPy([code !== null ? "-c" : filename, ...rest]));
py.globals.set("__withstand_source", source);
py.globals.set("__withstand_filename", filename);
let status = 0;
try {
  status = py.runPython(`
import sys as _sys
_sys.argv = list(__withstand_argv)
def _withstand_main(src, filename):
    g = {"__name__": "__main__", "__file__": filename, "__builtins__": __builtins__}
    try:
        exec(compile(src, filename, "exec"), g)
    except SystemExit as e:
        c = e.code
        if c is None:
            return 0
        if isinstance(c, int):
            return c
        print(c, file=_sys.stderr)
        return 1
    except BaseException:
        import traceback
        traceback.print_exc()
        return 1
    finally:
        try:
            _sys.stdout.flush()
            _sys.stderr.flush()
        except BaseException:
            pass
    return 0
_withstand_main(__withstand_source, __withstand_filename)
`);
} catch (e) {
  process.stderr.write(String(e) + "\n");
  status = 1;
}
process.exit(typeof status === "number" ? status : 0);
