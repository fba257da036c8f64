// What the node runners (pyodide.mjs, micropython.mjs) share: blocking I/O on the process's own
// descriptors and a command line read as an interpreter's.
import fs from "node:fs";

const sleeper = new Int32Array(new SharedArrayBuffer(4));

// Reads into `buffer`, blocking while the pipe is empty: node's readSync throws EAGAIN on an empty
// non-blocking pipe, which is a wait, not the end of input. 0 is the end of input.
export function readBlocking(buffer) {
  for (;;) {
    try {
      return fs.readSync(0, buffer, 0, buffer.length, null);
    } catch (e) {
      if (e.code === "EAGAIN") {
        Atomics.wait(sleeper, 0, 0, 2);
        continue;
      }
      if (e.code === "EOF") return 0;
      throw e;
    }
  }
}

// Writes all of `buffer` to `fd`, waiting out EAGAIN; returns its length.
export function writeAll(fd, buffer) {
  let off = 0;
  while (off < buffer.length) {
    try {
      off += fs.writeSync(fd, buffer, off, buffer.length - off);
    } catch (e) {
      if (e.code === "EAGAIN") {
        Atomics.wait(sleeper, 0, 0, 2);
        continue;
      }
      throw e;
    }
  }
  return buffer.length;
}

// The interpreter's command line: `[-u -B -E -I -s -S] [-V] (-c CODE | FILE | -) [ARGS...]`, plus
// the options `extra(option, argv, usage)` takes (it returns true when it did). Exits 2 with `usageLine`
// on anything else. `version` is the code that -V runs.
export function parseArgs(name, usageLine, version, extra = () => false) {
  const usage = (msg) => {
    process.stderr.write(`${name}: ${msg}\nusage: ${usageLine}\n`);
    process.exit(2);
  };
  const argv = process.argv.slice(2);
  const args = { code: null, file: null, rest: [], usage };
  while (argv.length) {
    const a = argv.shift();
    if (["-u", "-B", "-E", "-I", "-s", "-S"].includes(a)) continue;
    if (extra(a, argv, usage)) continue;
    if (a === "-c") {
      if (!argv.length) usage("-c needs an argument");
      args.code = argv.shift();
      args.rest = argv.splice(0);
      break;
    }
    if (a === "-V" || a === "--version") {
      args.code = version;
      break;
    }
    if (a.startsWith("-") && a !== "-") usage(`unknown option ${a}`);
    args.file = a;
    args.rest = argv.splice(0);
    break;
  }
  return args;
}

// The program's text: -c's code, stdin (no file or `-`), or the file. Exits 2 if the file cannot
// be read.
export function readSource(name, { code, file }) {
  if (code !== null) return code;
  if (file === null || file === "-") {
    const chunks = [];
    const buf = Buffer.alloc(65536);
    for (;;) {
      const n = readBlocking(buf);
      if (n === 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    return Buffer.concat(chunks).toString("utf8");
  }
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    process.stderr.write(`${name}: can't open file '${file}': ${e.message}\n`);
    process.exit(2);
  }
}
