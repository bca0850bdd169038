// derivgen's statement-math check: parse formulas with KaTeX, as a course site would.
// Reads one JSON request a line on stdin: {"katex": PATH, "macros": {...}} once, then
// {"formulas": [{"tex": "...", "display": false}, ...]}; answers each with one JSON line
// {"results": [null | {"message": "...", "position": N | null, "length": N | null}]}.
// The formulas are data: they are only ever handed to katex.renderToString.
"use strict";
const readline = require("readline");

let katex = null;
let macros = {};
const lenient = new Set(["unknownSymbol", "unicodeTextInMathMode", "symbolNotInFont"]);

function codePoints(s, units) {
  // KaTeX counts UTF-16 code units; Python counts code points.
  return Array.from(s.slice(0, units)).length;
}

function check(f) {
  try {
    katex.renderToString(String(f.tex), {
      displayMode: Boolean(f.display), throwOnError: true, maxExpand: 1000, trust: false,
      macros: Object.assign({}, macros),
      // derivgen writes Unicode math (‖, é) as TeX before any renderer sees it
      strict: (code) => (lenient.has(code) ? "ignore" : "error"),
    });
    return null;
  } catch (e) {
    const position = typeof e.position === "number" ? codePoints(String(f.tex), e.position) : null;
    const length = typeof e.length === "number" ? e.length : null;
    return { message: String(e.rawMessage || e.message || e), position, length };
  }
}

const lines = readline.createInterface({ input: process.stdin, terminal: false });
lines.on("line", (line) => {
  let out;
  try {
    const request = JSON.parse(line);
    if (request.katex !== undefined) {
      katex = require(request.katex);
      macros = request.macros || {};
      out = { ready: katex.version };
    } else {
      out = { results: request.formulas.map(check) };
    }
  } catch (e) {
    out = { failure: String(e && e.message ? e.message : e) };
  }
  process.stdout.write(JSON.stringify(out) + "\n");
});
