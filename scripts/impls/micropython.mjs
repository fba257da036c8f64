// A command-line front for MicroPython's WebAssembly port under node, taking the usual
// interpreter arguments so that withstand can use it as `--python`:
//   micropython.mjs [-u] [-X heapsize=N] (-c CODE | FILE | -) [ARGS...]
// MicroPython has no os.dup or os.fdopen, so it cannot host withstand's persistent worker;
// withstand runs it with the per-program transport (one process that reads programs from its
// stdin, the traces on stdout). stdin blocks as a real interpreter's does (for the program too:
// sys.stdin), output is written through unbuffered. Run it through a wrapper that `exec`s node, so that a hang can be killed:
// scripts/setup-impls.sh writes one.
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs, readBlocking, readSource, writeAll } from "./host.mjs";

const dir = process.env.WITHSTAND_MICROPYTHON_DIR;
const modulePath = dir
  ? pathToFileURL(path.join(dir, "micropython.mjs")).href
  : "@micropython/micropython-webassembly-pyscript/micropython.mjs";
const { loadMicroPython } = await import(modulePath);

let heapsize = 256 * 1024 * 1024;
const { code, file, rest } = parseArgs(
  "micropython",
  "micropython.mjs [-X heapsize=N] (-c CODE | FILE | -) [ARGS...]",
  "import sys; print('MicroPython', sys.version)",
  (a, argv, usage) => {
    if (a !== "-X") return false;
    const opt = argv.shift() || "";
    const m = /^heapsize=(\d+)([kKmM]?)$/.exec(opt);
    if (!m) usage(`unsupported -X option ${opt}`);
    heapsize = Number(m[1]) * ({ k: 1024, K: 1024, m: 1 << 20, M: 1 << 20 }[m[2]] || 1);
    return true;
  },
);
const source = readSource("micropython", { code, file });

// The program's stdin (sys.stdin), one byte at a time as the WebAssembly port asks for it,
// blocking while the pipe is empty (the port's own reader turns EAGAIN into OSError 29); null is
// the end of input. A program read from stdin (`-`) has taken it all already.
const inbuf = Buffer.alloc(65536);
let inlen = 0;
let inpos = 0;
let ineof = code === null && (file === null || file === "-");
function stdinByte() {
  if (inpos >= inlen) {
    if (ineof) return null;
    inlen = readBlocking(inbuf);
    inpos = 0;
    if (inlen === 0) {
      ineof = true;
      return null;
    }
  }
  return inbuf[inpos++];
}

const mp = await loadMicroPython({
  heapsize,
  pystack: 64 * 1024,
  linebuffer: false,
  stdin: stdinByte,
  stdout: (b) => writeAll(1, Buffer.from(b)),
  stderr: (b) => writeAll(2, Buffer.from(b)),
});
mp.globals.set("__withstand_source", source);
mp.globals.set("__withstand_argv", [code !== null ? "-c" : file || "-", ...rest].join("\u0000"));
let status = 0;
try {
  mp.runPython(`
import sys
sys.argv[:] = __withstand_argv.split("\\x00")
def _withstand_main(src):
    g = {"__name__": "__main__"}
    try:
        exec(src, g)
    except SystemExit as e:
        c = e.args[0] if e.args else None
        if c is None:
            return 0
        if isinstance(c, int):
            return c
        print(c, file=sys.stderr)
        return 1
    except BaseException as e:
        sys.print_exception(e, sys.stderr)
        return 1
    return 0
__withstand_status = _withstand_main(__withstand_source)
`);
  status = mp.globals.get("__withstand_status");
} catch (e) {
  process.stderr.write(String(e) + "\n");
  status = 1;
}
process.exit(typeof status === "number" ? status : 0);
