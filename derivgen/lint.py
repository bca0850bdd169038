"""A lint over the files ``derivgen build`` wrote: defects a reader would see.

``lint_outputs(out_dir, problem_files)`` reads a finished build (see
docs/output-layout.md) and the problem files it came from, and returns one
:class:`Finding` per defect.  The checks (their names are ``Finding.check``):

``question-mark``
    a ``?`` in a ``.tex``, the text of a PDF (pdftotext), a Markdown page, an
    HTML sheet or a JSON file that the problem's YAML did not have (derivgen
    once replaced characters it could not typeset by ``?``).  A ``?`` counts as
    the source's when the source has a ``?`` with the same letters and digits
    right next to it.
``signed-underbrace``
    an ``\\underbrace`` whose body starts with ``-`` or ``+``: a signed factor
    under a brace must be wrapped in parentheses, ``\\underbrace{\\left(-A\\right)}``.
``overfull-box``
    an ``Overfull \\hbox`` more than :data:`OVERFULL_LIMIT_PT` wide in the log of
    a sheet's PDF (the lint typesets each sheet's ``.tex`` itself, because
    derivgen keeps no logs).
``tex-error``
    any TeX error in those logs (``Double superscript``, ``Undefined control
    sequence``, ...).
``repeated-sentence``
    a sentence of prose (math replaced by one placeholder) written more than
    :data:`MAX_REPEATS` times in one problem's worked solution (its Markdown).
``find-symbol``
    a ``Find $...$`` line naming a symbol (of or wrt of a derivative) that the
    statement's math does not introduce.
``missing-statement``
    the problem's statement absent from its Markdown page, its ``tex/<id>.tex``,
    the sheet's ``handout.tex``, ``solutions.tex`` and HTML, or its JSON (the
    JSON is checked once any JSON of the build carries ``"statement"``, or
    always with ``json_statement_required=True``).  The statement's words (TeX
    commands, markup and punctuation dropped) must appear in that order.
``missing-output`` / ``build-failure``
    a problem without one of its output files (for a format the build wrote at
    all), or listed among the failures of ``index.json``.

By hand: ``python -m derivgen.lint OUT_DIR PROBLEMS_DIR`` prints
``FILE: check: message`` per finding and exits 1 if there is any.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

#: Overfull boxes at most this wide (pt) are tolerated.
OVERFULL_LIMIT_PT = 10.0
#: A sentence may appear this many times in one solution, not more.
MAX_REPEATS = 3
#: Seconds allowed to typeset one sheet.
TEX_TIMEOUT = 180

CHECKS = (
    "question-mark", "signed-underbrace", "overfull-box", "tex-error", "repeated-sentence",
    "find-symbol", "missing-statement", "missing-output", "build-failure",
)


@dataclass(frozen=True)
class Finding:
    """One defect: the output file, the problem (None: the whole file), the check, what is wrong."""

    file: Path
    problem: str | None
    check: str
    message: str

    def __str__(self) -> str:
        where = f" [{self.problem}]" if self.problem and self.problem not in self.file.name else ""
        return f"{self.file}: {self.check}: {self.message}{where}"


@dataclass
class _Problem:
    file: Path
    id: str
    yaml_text: str
    statement: str
    sheet: str | None = None
    number: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class _Sheet:
    name: str
    problems: list[_Problem] = field(default_factory=list)


# --- entry point ----------------------------------------------------------------------------------


def lint_outputs(
    out_dir: Path,
    problem_files: list[Path],
    *,
    typeset: bool | None = None,
    json_statement_required: bool = False,
) -> list[Finding]:
    """Every finding of every check over the build in ``out_dir`` of ``problem_files``.

    ``typeset``: typeset the sheets' ``.tex`` to read TeX's logs (overfull boxes,
    errors); by default whenever latexmk and pdflatex are installed.
    """
    out_dir = Path(out_dir)
    if typeset is None:
        typeset = shutil.which("latexmk") is not None and shutil.which("pdflatex") is not None
    problems = [_read_problem(Path(p)) for p in problem_files]
    config_texts = _config_texts([Path(p) for p in problem_files])
    findings: list[Finding] = []
    sheets = _place(out_dir, problems, findings)
    built = _formats_built(out_dir)
    json_strict = json_statement_required or _any_json_has_statement(out_dir, problems)

    for p in problems:
        if p.sheet is None:
            continue
        findings += _lint_problem_files(out_dir, p, built, json_strict)
    for sheet in sheets.values():
        findings += _lint_sheet(out_dir, sheet, config_texts, built, typeset)
    return findings


# --- where things are -----------------------------------------------------------------------------


def _read_problem(path: Path) -> _Problem:
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None
    data = data if isinstance(data, dict) else {}
    pid = data.get("id")
    statement = data.get("statement")
    return _Problem(
        file=path,
        id=str(pid) if pid is not None else path.stem,
        yaml_text=text,
        statement=statement if isinstance(statement, str) else "",
    )


def _config_texts(problem_files: list[Path]) -> list[str]:
    """The text of every ``derivgen.yaml`` above the problem files (sheet titles, course, ...)."""
    seen: dict[Path, str] = {}
    for p in problem_files:
        for parent in list(p.resolve().parents)[:4]:
            cfg = parent / "derivgen.yaml"
            if cfg not in seen and cfg.is_file():
                seen[cfg] = cfg.read_text(encoding="utf-8", errors="replace")
    return list(seen.values())


def _place(out_dir: Path, problems: list[_Problem], findings: list[Finding]) -> dict[str, _Sheet]:
    """Each problem's sheet, number and outputs, from ``index.json`` (else the folder layout)."""
    by_id = {p.id: p for p in problems}
    sheets: dict[str, _Sheet] = {}
    index_path = out_dir / "index.json"
    index = None
    if index_path.is_file():
        try:
            index = json.loads(index_path.read_text(encoding="utf-8"))
        except ValueError:
            index = None
    if isinstance(index, dict):
        for s in index.get("sheets", []):
            sheet = sheets.setdefault(s["name"], _Sheet(s["name"]))
            for entry in s.get("problems", []):
                p = by_id.get(entry.get("id"))
                if p is None or p.sheet is not None:
                    continue
                p.sheet, p.number = s["name"], str(entry.get("number", ""))
                p.outputs = dict(entry.get("outputs", {}))
                sheet.problems.append(p)
        for failure in index.get("failures", []):
            p = by_id.get(failure.get("id"))
            if p is not None:
                errors = "; ".join(failure.get("errors", []))[:300]
                findings.append(Finding(index_path, p.id, "build-failure", f"the problem failed to build: {errors}"))
    for p in problems:  # not in index.json: look for its Markdown page
        if p.sheet is not None:
            continue
        pages = sorted(out_dir.glob(f"**/md/{p.id}.md"))
        if not pages:
            if not any(f.check == "build-failure" and f.problem == p.id for f in findings):
                findings.append(Finding(out_dir, p.id, "missing-output", f"no output for {p.file}"))
            continue
        p.sheet = pages[0].parent.parent.relative_to(out_dir).as_posix()
        sheets.setdefault(p.sheet, _Sheet(p.sheet)).problems.append(p)
    for sheet in sheets.values():
        if not index:
            sheet.problems.sort(key=lambda q: q.file.name)
    return sheets


def _formats_built(out_dir: Path) -> set[str]:
    """The formats this build wrote at all (a lint of an md-only build asks for no PDF)."""
    built = set()
    patterns = {"md": "*/md/*.md", "tex": "*/tex/*.tex", "json": "json/*.json", "html": "*/*.html",
                "pdf": "*/*.pdf", "sheet-tex": "*/handout.tex"}
    for fmt, pattern in patterns.items():
        if next(out_dir.glob(pattern), None) is not None:
            built.add(fmt)
    return built


def _any_json_has_statement(out_dir: Path, problems: list[_Problem]) -> bool:
    for p in problems:
        data = _load_json(out_dir / "json" / f"{p.id}.json")
        if isinstance(data, dict) and "statement" in data:
            return True
    return False


def _load_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# --- one problem's own files ---------------------------------------------------------------------


def _lint_problem_files(out_dir: Path, p: _Problem, built: set[str], json_strict: bool) -> list[Finding]:
    findings: list[Finding] = []
    sources = [p.yaml_text]
    rel = {
        "md": p.outputs.get("md", f"{p.sheet}/md/{p.id}.md"),
        "tex": p.outputs.get("tex", f"{p.sheet}/tex/{p.id}.tex"),
        "json": p.outputs.get("json", f"json/{p.id}.json"),
    }
    for fmt, r in rel.items():
        path = out_dir / r
        if not path.is_file():
            if fmt in built or fmt in p.outputs:
                findings.append(Finding(path, p.id, "missing-output", f"no {fmt} output for {p.file}"))
                if p.statement.strip() and (fmt != "json" or json_strict):
                    findings.append(Finding(path, p.id, "missing-statement",
                                            f"the statement is missing: there is no {fmt} file"))
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if fmt == "md":
            findings += _question_marks(path, p.id, text, sources, "Markdown")
            findings += _signed_underbraces(path, p.id, text)
            findings += _repeated_sentences(path, p.id, text)
            findings += _find_symbols(path, p.id, text, p.statement)
            findings += _statement_in(path, p.id, text, p.statement, "Markdown page")
        elif fmt == "tex":
            findings += _question_marks(path, p.id, text, sources, "TeX")
            findings += _signed_underbraces(path, p.id, text)
            findings += _statement_in(path, p.id, text, p.statement, "LaTeX document")
        else:
            findings += _lint_json(path, p, text, json_strict)
    return findings


def _lint_json(path: Path, p: _Problem, text: str, strict: bool) -> list[Finding]:
    try:
        data = json.loads(text)
    except ValueError as e:
        return [Finding(path, p.id, "missing-output", f"not valid JSON: {e}")]
    strings = "\n".join(_json_strings(data))
    findings = _question_marks(path, p.id, strings, [p.yaml_text], "JSON string")
    findings += _signed_underbraces(path, p.id, strings)
    if isinstance(data, dict) and isinstance(data.get("statement"), str):
        # The JSON carries the statement as written, Unicode and all.
        findings += _statement_in(path, p.id, data["statement"], p.statement, "JSON", as_written=True)
    elif strict and p.statement.strip():
        findings.append(Finding(path, p.id, "missing-statement", 'the JSON has no "statement"'))
    return findings


def _json_strings(data: object) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for v in data.values():
            yield from _json_strings(v)
    elif isinstance(data, list):
        for v in data:
            yield from _json_strings(v)


# --- a sheet's files ------------------------------------------------------------------------------


def _lint_sheet(
    out_dir: Path, sheet: _Sheet, config_texts: list[str], built: set[str], typeset: bool
) -> list[Finding]:
    findings: list[Finding] = []
    folder = out_dir / sheet.name
    all_sources = [p.yaml_text for p in sheet.problems] + config_texts
    for name in ("handout.tex", "solutions.tex"):
        path = folder / name
        if not path.is_file():
            if "sheet-tex" in built:
                findings.append(Finding(path, None, "missing-output", f"no {name} for the sheet {sheet.name}"))
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        chunks = _split_at(text, r"\\dgexampleheading\{", sheet.problems)
        for p, chunk, first_line in chunks:
            sources = [p.yaml_text] + config_texts if p else all_sources
            findings += _question_marks(path, p.id if p else None, chunk, sources, "TeX", first_line)
            findings += _signed_underbraces(path, p.id if p else None, chunk)
        for p in sheet.problems:
            own = next((c for q, c, _ in chunks if q is p), "")
            findings += _statement_in(path, p.id, own, p.statement, f"sheet's {name} (its example)")
        if typeset:
            findings += _lint_log(path, text, chunks)
        pdf = path.with_suffix(".pdf")
        if pdf.is_file():
            findings += _lint_pdf_text(pdf, sheet, config_texts)
        elif "pdf" in built:
            findings.append(Finding(pdf, None, "missing-output", f"no {pdf.name} for the sheet {sheet.name}"))
    findings += _lint_html(folder / f"{Path(sheet.name).name}.html", sheet, config_texts, built)
    return findings


def _split_at(text: str, heading: str, problems: list[_Problem]) -> list[tuple[_Problem | None, str, int]]:
    """The text before the first heading (problem None), then one chunk per problem in order.

    Each chunk comes with the number of the line it starts on (1-based).
    """
    starts = [m.start() for m in re.finditer(heading, text)]
    chunks: list[tuple[_Problem | None, str, int]] = []
    bounds = [0] + starts + [len(text)]
    for k in range(len(bounds) - 1):
        p = None if k == 0 else (problems[k - 1] if k - 1 < len(problems) else None)
        a, b = bounds[k], bounds[k + 1]
        chunks.append((p, text[a:b], text.count("\n", 0, a) + 1))
    return chunks


def _problem_at_line(chunks: list[tuple[_Problem | None, str, int]], line: int) -> _Problem | None:
    owner = None
    for p, _, start in chunks:
        if start <= line:
            owner = p
    return owner


def _lint_html(path: Path, sheet: _Sheet, config_texts: list[str], built: set[str]) -> list[Finding]:
    if not path.is_file():
        if "html" in built:
            return [Finding(path, None, "missing-output", f"no HTML page for the sheet {sheet.name}")]
        return []
    raw = path.read_text(encoding="utf-8", errors="replace")
    raw = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", raw)
    raw = re.sub(r"(?s)<!--.*?-->", " ", raw)
    findings: list[Finding] = []
    chunks = _split_at(raw, r'<section class="problem"', sheet.problems)
    all_sources = [p.yaml_text for p in sheet.problems] + config_texts
    for p, chunk, first_line in chunks:
        text = html.unescape(re.sub(r"<[^>]*>", " ", chunk))
        pid = p.id if p else None
        sources = [p.yaml_text] + config_texts if p else all_sources
        findings += _question_marks(path, pid, text, sources, "HTML", first_line)
        findings += _signed_underbraces(path, pid, text)
        if p is not None:
            statement = re.search(r'(?s)<div class="statement">(.*?)</div>', chunk)
            own = html.unescape(re.sub(r"<[^>]*>", " ", statement.group(1))) if statement else text
            findings += _statement_in(path, pid, own, p.statement, "sheet's HTML page")
    for p in sheet.problems[len(chunks) - 1:]:
        if p.statement.strip():
            findings.append(Finding(path, p.id, "missing-statement",
                                    "the statement is missing from the sheet's HTML page: no section for it"))
    return findings


def _lint_pdf_text(pdf: Path, sheet: _Sheet, config_texts: list[str]) -> list[Finding]:
    if shutil.which("pdftotext") is None:
        return []
    run = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                         errors="replace", timeout=60)
    if run.returncode != 0:
        return [Finding(pdf, None, "missing-output", f"pdftotext cannot read it: {run.stderr.strip()[:200]}")]
    text = run.stdout
    findings: list[Finding] = []
    starts = []
    for p in sheet.problems:
        m = re.search(r"[^\W\d_]+\s+" + re.escape(p.number or "\0") + r"\s*\(", text)  # "Problem 3.1 (", any label
        if m:
            starts.append((m.start(), p))
    starts.sort(key=lambda t: t[0])
    bounds = [(0, None)] + starts + [(len(text), None)]
    all_sources = [p.yaml_text for p in sheet.problems] + config_texts
    for (a, p), (b, _) in zip(bounds, bounds[1:]):
        sources = [p.yaml_text] + config_texts if p else all_sources
        findings += _question_marks(pdf, p.id if p else None, text[a:b], sources, "PDF text",
                                    text.count("\n", 0, a) + 1)
    return findings


# --- check 1: question marks ----------------------------------------------------------------------


_NEAR_BEFORE = re.compile(r"[A-Za-z0-9]{0,3}$")
_NEAR_AFTER = re.compile(r"[A-Za-z0-9]{0,3}")


def _question_marks(path: Path, pid: str | None, text: str, sources: list[str],
                    what: str = "text", first_line: int = 1) -> list[Finding]:
    """One finding per line holding a ``?`` that none of ``sources`` has in the same place.

    ``first_line``: the number, in ``path``, of the first line of ``text``.
    """
    unexplained: dict[int, int] = {}
    for m in re.finditer(r"\?", text):
        i = m.start()
        before = _NEAR_BEFORE.search(text[max(0, i - 3):i]).group(0)
        after = _NEAR_AFTER.match(text, i + 1).group(0)
        if not any(before + "?" + after in s for s in sources):
            start = text.rfind("\n", 0, i) + 1
            unexplained[start] = unexplained.get(start, 0) + 1
    findings = []
    for start, n in unexplained.items():
        end = text.find("\n", start)
        line = text[start:end if end >= 0 else len(text)].strip()
        if len(line) > 110:
            q = line.index("?")
            line = ("..." if q > 50 else "") + line[max(0, q - 50):q + 55] + ("..." if q + 55 < len(line) else "")
        number = first_line + text.count("\n", 0, start)
        what_ = "a '?'" if n == 1 else f"{n} '?'"
        findings.append(Finding(path, pid, "question-mark",
                                f"{what_} that the problem's source does not have, {what} line {number}: {line}"))
    return findings


# --- check 2: signed factors under a brace --------------------------------------------------------


_SPACING = re.compile(r"\s+|\\[,;:! ]|\\(?:quad|qquad|mkern\d*mu|thinspace)\b")


def _signed_underbraces(path: Path, pid: str | None, text: str) -> list[Finding]:
    findings = []
    for m in re.finditer(r"\\underbrace\s*\{", text):
        i = m.end()
        while True:  # skip spaces, spacing commands and opening braces of groups
            s = _SPACING.match(text, i)
            if s and s.end() > i:
                i = s.end()
            elif text.startswith("{", i):
                i += 1
            else:
                break
        if i < len(text) and text[i] in "+-":
            body, _ = _group(text, m.end() - 1)
            shown = body if len(body) <= 60 else body[:57] + "..."
            findings.append(Finding(path, pid, "signed-underbrace",
                                    f"a signed factor first under a brace, not in parentheses: "
                                    f"\\underbrace{{{shown}}}"))
    return findings


def _group(text: str, i: int) -> tuple[str, int]:
    """The contents of the brace group opening at ``text[i] == '{'``, and the index after it."""
    depth = 0
    j = i
    while j < len(text):
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return text[i + 1:j], j + 1
        j += 1
    return text[i + 1:], len(text)


# --- checks 3 and 7: TeX's log --------------------------------------------------------------------


_OVERFULL = re.compile(r"^Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\) (.*)$", re.M)
_LINE_ERROR = re.compile(r"^(?:\./)?[^\s:]+\.tex:(\d+): (.*)$", re.M)
_BANG_ERROR = re.compile(r"^! (.*)$", re.M)


def typeset_log(tex_path: Path, timeout: float = TEX_TIMEOUT) -> str:
    """TeX's log of ``tex_path``, typeset in a temporary folder (no shell escape)."""
    from derivgen.build.typeset import sandbox_env

    env = sandbox_env()
    env["max_print_line"] = "100000"  # one log line per message: no wrapping at 79 columns
    with tempfile.TemporaryDirectory(prefix="derivgen-lint-") as tmp:
        work = Path(tmp)
        shutil.copyfile(tex_path, work / tex_path.name)
        cmd = ["latexmk", "-norc", "-pdf", "-interaction=nonstopmode", "-no-shell-escape",
               "-file-line-error", "-silent",
               "-pdflatex=pdflatex -no-shell-escape -interaction=nonstopmode -file-line-error %O %S",
               tex_path.name]
        try:
            subprocess.run(cmd, cwd=work, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout, start_new_session=True)
        except subprocess.TimeoutExpired:
            return f"! derivgen lint: TeX did not finish within {timeout:g} s\n"
        log = work / tex_path.with_suffix(".log").name
        return log.read_text(encoding="utf-8", errors="replace") if log.exists() else "! TeX wrote no log\n"


def _lint_log(path: Path, tex: str, chunks: list[tuple[_Problem | None, str, int]]) -> list[Finding]:
    return log_findings(path, typeset_log(path), tex, chunks)


def log_findings(path: Path, log: str, tex: str = "",
                 chunks: list[tuple[_Problem | None, str, int]] | None = None) -> list[Finding]:
    """The overfull boxes and errors of a TeX log of ``path``'s source ``tex``."""
    chunks = chunks or []
    tex_lines = tex.splitlines()
    findings = []

    def owner(line: int | None) -> str | None:
        p = _problem_at_line(chunks, line) if line else None
        return p.id if p else None

    def source_line(line: int | None) -> str:
        if line and 0 < line <= len(tex_lines):
            s = tex_lines[line - 1].strip()
            return ": " + (s if len(s) <= 90 else s[:87] + "...")
        return ""

    for m in _OVERFULL.finditer(log):
        width = float(m.group(1))
        if width <= OVERFULL_LIMIT_PT:
            continue
        where = m.group(2).strip()
        n = re.search(r"lines? (\d+)", where)
        line = int(n.group(1)) if n else None
        findings.append(Finding(path, owner(line), "overfull-box",
                                f"Overfull \\hbox ({width:g}pt too wide, more than {OVERFULL_LIMIT_PT:g}pt) "
                                f"{where}{source_line(line)}"))
    seen = set()
    for m in _LINE_ERROR.finditer(log):
        line, msg = int(m.group(1)), m.group(2).strip()
        seen.add(msg)
        findings.append(Finding(path, owner(line), "tex-error",
                                f"TeX error at line {line}: {msg}{source_line(line)}"))
    for m in _BANG_ERROR.finditer(log):
        msg = m.group(1).strip()
        if msg in seen or msg.startswith("==>"):
            continue
        findings.append(Finding(path, None, "tex-error", f"TeX error: {msg}"))
    return findings


# --- check 4: repeated sentences ------------------------------------------------------------------


def _repeated_sentences(path: Path, pid: str | None, md: str) -> list[Finding]:
    parts = re.split(r"(?m)^##\s+Solution\s*$", md, maxsplit=1)
    if len(parts) < 2:
        return []
    counts = Counter(solution_sentences(parts[1]))
    return [
        Finding(path, pid, "repeated-sentence",
                f"a sentence is written {n} times in one solution (at most {MAX_REPEATS}): '{s}'")
        for s, n in counts.items() if n > MAX_REPEATS
    ]


def solution_sentences(md: str) -> list[str]:
    """The prose sentences of Markdown, math replaced by ``$`` and normalised (lower case, spaces)."""
    text = re.sub(r"(?s)\$\$.*?\$\$", "\n\n", md)
    text = re.sub(r"(?s)\\\[.*?\\\]", "\n\n", text)
    text = re.sub(r"(?s)\$[^$]+\$|\\\(.*?\\\)", " $ ", text)
    text = re.sub(r"(?m)^\s*(?:[-*+]|\d+[.)])\s+", "", text)
    text = re.sub(r"[*_`#>]", " ", text)
    sentences = []
    for paragraph in re.split(r"\n\s*\n", text):
        flat = " ".join(paragraph.split())
        for s in re.split(r"(?<=[.!?:;])\s+", flat):
            s = s.strip().lower()
            if len(re.findall(r"[a-z]{2,}", s)) >= 3:  # prose, not a lone formula or label
                sentences.append(s)
    return sentences


# --- check 5: the symbols of "Find" lines ---------------------------------------------------------


_FONT = re.compile(r"\\(?:boldsymbol|mathbf|bm|mathit|mathbfit|vec|mathsf|bf)\s*")
_DROP = re.compile(r"\\(?:mathbb|mathrm|text|textrm|operatorname|mathcal|mathfrak|mathop)\s*")
_SYMBOL = re.compile(r"(\\[A-Za-z]+|[A-Za-z])(?:_([A-Za-z0-9]+))?")
_NOT_SYMBOLS = {
    r"\left", r"\right", r"\frac", r"\partial", r"\mathrm", r"\top", r"\in", r"\cdot", r"\times",
    r"\ldots", r"\dots", r"\cdots", r"\quad", r"\big", r"\Big",
}


def _unwrap(s: str, pattern: re.Pattern[str], keep: bool) -> str:
    """``\\cmd{x}`` -> ``x`` (keep) or nothing, for the commands ``pattern`` matches."""
    out = []
    i = 0
    while i < len(s):
        m = pattern.match(s, i)
        if m:
            j = m.end()
            if j < len(s) and s[j] == "{":
                inner, k = _group(s, j)
                out.append(" " + _unwrap(inner, pattern, keep) + " " if keep else " ")
                i = k
                continue
            if j < len(s):  # \boldsymbol x
                tok = re.match(r"\\[A-Za-z]+|.", s[j:])
                out.append(" " + tok.group(0) + " " if keep else " ")
                i = j + len(tok.group(0))
                continue
        out.append(s[i])
        i += 1
    return "".join(out)


def symbols(latex: str) -> set[str]:
    """The symbols of LaTeX math: ``x``, ``\\theta``, ``b_2`` (fonts dropped, subscripts kept)."""
    s = _unwrap(_unwrap(latex, _DROP, keep=False), _FONT, keep=True)
    s = re.sub(r"\s*_\s*", "_", s)
    s = re.sub(r"_\{\s*([A-Za-z0-9]+)\s*\}", r"_\1", s)
    found = set()
    for m in _SYMBOL.finditer(s):
        base, sub = m.group(1), m.group(2)
        if base in _NOT_SYMBOLS:
            continue
        found.add(base + ("_" + sub if sub else ""))
    return found


def _math_of(text: str) -> list[str]:
    """The math of Markdown/LaTeX text: ``$$...$$``, ``$...$``, ``\\(...\\)``, ``\\[...\\]``."""
    return [next(g for g in m.groups() if g is not None) for m in re.finditer(
        r"(?s)\$\$(.+?)\$\$|\$([^$]+)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", text)]


def find_line_symbols(line: str) -> list[str]:
    """The symbols differentiated and differentiated by in a ``Find $...$`` line."""
    names: list[str] = []
    for math in _math_of(line):
        for m in re.finditer(r"\\frac\s*\{", math):
            num, k = _group(math, m.end() - 1)
            if k >= len(math) or math[k] != "{":
                continue
            den, _ = _group(math, k)
            for part in (num, den):
                p = re.sub(r"^\s*(?:\\mathrm\s*\{\s*d\s*\}|\\partial\b|\\mathrm\s*d\b|d(?![A-Za-z]))\s*", "",
                           part)
                p = re.sub(r"^\^\{?\d+\}?", "", p).strip()  # d^2 f
                if p.startswith("(") and p.endswith(")"):
                    p = p[1:-1]
                for piece in _split_top_commas(p):
                    names += sorted(symbols(piece))
    return list(dict.fromkeys(names))


def _split_top_commas(s: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for c in s:
        if c in "{(":
            depth += 1
        elif c in "})":
            depth -= 1
        if c == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += c
    parts.append(cur)
    return [p for p in parts if p.strip()]


def _find_symbols(path: Path, pid: str | None, md: str, statement: str) -> list[Finding]:
    """``statement``: the YAML's; the page's own statement (between its title and its first
    ``Find`` line) counts too, so a statement derivgen writes for the problem is honoured."""
    head = re.split(r"(?m)^(?:Find |##\s)", md, maxsplit=1)[0]
    title = re.search(r"(?m)^# .*$", head)
    page_statement = head[title.end():] if title else ""
    known = set()
    for math in _math_of(statement) + _math_of(page_statement):
        known |= symbols(math)
    findings = []
    for line in md.splitlines():
        if not line.startswith("Find "):
            continue
        # A component x_2 of an introduced vector x counts as introduced.
        missing = [s for s in find_line_symbols(line)
                   if s not in known and not (re.fullmatch(r".+_\d+", s) and s.rsplit("_", 1)[0] in known)]
        if missing:
            findings.append(Finding(path, pid, "find-symbol",
                                    f"'{line.strip()}' names {', '.join(missing)}, which the statement's math "
                                    f"does not introduce (its symbols: {', '.join(sorted(known)) or 'none'})"))
    return findings


# --- check 6: the statement in every format -------------------------------------------------------


def words(text: str) -> list[str]:
    """The words of text with TeX commands, markup and punctuation dropped (ASCII letters, digits).

    ``\\ensuremath{...}`` is what a non-ASCII character of the source became in LaTeX (ℝ is
    ``\\ensuremath{\\mathbb{R}}``); the source's character makes no word, so neither does it.
    """
    text = re.sub(r"\\ensuremath\{(?:[^{}]|\{[^{}]*\})*\}", " ", text)
    return re.findall(r"[A-Za-z0-9]+", re.sub(r"\\[A-Za-z]+", " ", text))


_SCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉", "01234567890123456789")


def _source_words(statement: str) -> list[str]:
    """The statement's words as LaTeX writes them: inside ``$...$`` a superscript digit (A⁻¹) is a
    digit of its own (``A^{-1}``); outside math it becomes ``\\ensuremath{...}``, which makes no word."""
    pieces = re.split(r"(\$[^$]*\$)", statement)
    return words("".join(" " + p.translate(_SCRIPT_DIGITS).replace("⁻", " ") if p.startswith("$")
                         else p for p in pieces))


def _statement_in(path: Path, pid: str | None, text: str, statement: str, where: str,
                  as_written: bool = False) -> list[Finding]:
    want = words(statement) if as_written else _source_words(statement)
    if not want:
        return []
    have = words(text)
    got = _longest_run(want, have)
    if got == len(want):
        return []
    if got == 0:
        detail = "none of it is there"
    else:
        detail = f"it stops matching after {' '.join(want[max(0, got - 6):got])!r}, before {want[got]!r}"
    return [Finding(path, pid, "missing-statement", f"the statement is missing from the {where}: {detail}")]


def _longest_run(want: list[str], have: list[str]) -> int:
    """The longest prefix of ``want`` found as a contiguous run in ``have``."""
    best = 0
    first = want[0]
    for i, w in enumerate(have):
        if w != first:
            continue
        n = 0
        while n < len(want) and i + n < len(have) and have[i + n] == want[n]:
            n += 1
        best = max(best, n)
        if best == len(want):
            break
    return best


# --- command line ---------------------------------------------------------------------------------


def problem_files_in(root: Path) -> list[Path]:
    """The problem files under ``root`` (every ``.yaml``/``.yml`` but ``derivgen.yaml``)."""
    files = [p for ext in ("*.yaml", "*.yml") for p in root.rglob(ext) if p.name != "derivgen.yaml"]
    return sorted(p for p in files if not any(part.startswith(".") for part in p.relative_to(root).parts))


def main(argv: Iterable[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] in ("-h", "--help"):
        print("usage: python -m derivgen.lint OUT_DIR PROBLEMS_DIR", file=sys.stderr)
        return 2
    out_dir, root = Path(args[0]), Path(args[1])
    if not out_dir.is_dir() or not root.exists():
        print(f"no such folder: {out_dir if not out_dir.is_dir() else root}", file=sys.stderr)
        return 2
    files = problem_files_in(root) if root.is_dir() else [root]
    findings = lint_outputs(out_dir, files)
    for f in findings:
        print(f)
    print(f"{len(findings)} finding(s) in {out_dir}{os.sep}", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
