"""The lint's checks, one function per defect a reader would see (see :mod:`derivgen.lint`)."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

from derivgen.lint.findings import (
    MAX_REPEATS,
    OVERFULL_LIMIT_PT,
    TEX_TIMEOUT,
    BuiltProblem,
    Finding,
    problem_at_line,
)

# --- check 1: question marks ----------------------------------------------------------------------


_NEAR_BEFORE = re.compile(r"[A-Za-z0-9]{0,3}$")
_NEAR_AFTER = re.compile(r"[A-Za-z0-9]{0,3}")


def question_marks(path: Path, pid: str | None, text: str, sources: list[str],
                    what: str = "text", first_line: int = 1) -> list[Finding]:
    """One finding per line holding a ``?`` that none of ``sources`` has in the same place.

    ``first_line``: the number, in ``path``, of the first line of ``text``.
    """
    unexplained: dict[int, int] = {}
    for m in re.finditer(r"\?", text):
        i = m.start()
        before = _near(_NEAR_BEFORE.search(text[max(0, i - 3):i]))
        after = _near(_NEAR_AFTER.match(text, i + 1))
        if not any(before + "?" + after in s for s in sources):
            start = text.rfind("\n", 0, i) + 1
            unexplained[start] = unexplained.get(start, 0) + 1
    findings = []
    for start, n in unexplained.items():
        end = text.find("\n", start)
        line = text[start:end if end >= 0 else len(text)].strip()
        if len(line) > 110:
            q = line.index("?")
            before, after = ("..." if q > 50 else ""), ("..." if q + 55 < len(line) else "")
            line = before + line[max(0, q - 50):q + 55] + after
        number = first_line + text.count("\n", 0, start)
        what_ = "a '?'" if n == 1 else f"{n} '?'"
        findings.append(Finding(
            path, pid, "question-mark",
            f"{what_} that the problem's source does not have, {what} line {number}: {line}"))
    return findings


# --- check 2: signed factors under a brace --------------------------------------------------------


_SPACING = re.compile(r"\s+|\\[,;:! ]|\\(?:quad|qquad|mkern\d*mu|thinspace)\b")


def signed_underbraces(path: Path, pid: str | None, text: str) -> list[Finding]:
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
            body, _ = group(text, m.end() - 1)
            shown = body if len(body) <= 60 else body[:57] + "..."
            findings.append(Finding(path, pid, "signed-underbrace",
                                    f"a signed factor first under a brace, not in parentheses: "
                                    f"\\underbrace{{{shown}}}"))
    return findings


def group(text: str, i: int) -> tuple[str, int]:
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


def lint_log(path: Path, tex: str, chunks: list[tuple[BuiltProblem | None, str, int]]) -> list[Finding]:
    return log_findings(path, typeset_log(path), tex, chunks)


def log_findings(path: Path, log: str, tex: str = "",
                 chunks: list[tuple[BuiltProblem | None, str, int]] | None = None) -> list[Finding]:
    """The overfull boxes and errors of a TeX log of ``path``'s source ``tex``."""
    chunks = chunks or []
    tex_lines = tex.splitlines()
    findings = []

    def owner(line: int | None) -> str | None:
        p = problem_at_line(chunks, line) if line else None
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


def repeated_sentences(path: Path, pid: str | None, md: str) -> list[Finding]:
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


def _near(m: re.Match[str] | None) -> str:
    """The letters next to a ``?`` (the patterns match zero letters too, so never None in practice)."""
    return m.group(0) if m else ""


def _unwrap(s: str, pattern: re.Pattern[str], keep: bool) -> str:
    """``\\cmd{x}`` -> ``x`` (keep) or nothing, for the commands ``pattern`` matches."""
    out = []
    i = 0
    while i < len(s):
        m = pattern.match(s, i)
        if m:
            j = m.end()
            if j < len(s) and s[j] == "{":
                inner, k = group(s, j)
                out.append(" " + _unwrap(inner, pattern, keep) + " " if keep else " ")
                i = k
                continue
            if j < len(s):  # \boldsymbol x
                command = re.match(r"\\[A-Za-z]+", s[j:])
                tok = command.group(0) if command else s[j]
                out.append(" " + tok + " " if keep else " ")
                i = j + len(tok)
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


def math_of(text: str) -> list[str]:
    """The math of Markdown/LaTeX text: ``$$...$$``, ``$...$``, ``\\(...\\)``, ``\\[...\\]``."""
    return [next(g for g in m.groups() if g is not None) for m in re.finditer(
        r"(?s)\$\$(.+?)\$\$|\$([^$]+)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", text)]


def find_line_symbols(line: str) -> list[str]:
    """The symbols differentiated and differentiated by in a ``Find $...$`` line."""
    names: list[str] = []
    for math in math_of(line):
        for m in re.finditer(r"\\frac\s*\{", math):
            num, k = group(math, m.end() - 1)
            if k >= len(math) or math[k] != "{":
                continue
            den, _ = group(math, k)
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


def find_symbols(path: Path, pid: str | None, md: str, statement: str) -> list[Finding]:
    """``statement``: the YAML's; the page's own statement (between its title and its first
    ``Find`` line) counts too, so a statement derivgen writes for the problem is honoured."""
    head = re.split(r"(?m)^(?:Find |##\s)", md, maxsplit=1)[0]
    title = re.search(r"(?m)^# .*$", head)
    page_statement = head[title.end():] if title else ""
    known = set()
    for math in math_of(statement) + math_of(page_statement):
        known |= symbols(math)
    findings = []
    for line in md.splitlines():
        if not line.startswith("Find "):
            continue
        # A component x_2 of an introduced vector x counts as introduced.
        missing = [s for s in find_line_symbols(line)
                   if s not in known and not (re.fullmatch(r".+_\d+", s) and s.rsplit("_", 1)[0] in known)]
        if missing:
            findings.append(Finding(
                path, pid, "find-symbol",
                f"'{line.strip()}' names {', '.join(missing)}, which the statement's math "
                f"does not introduce (its symbols: {', '.join(sorted(known)) or 'none'})"))
    return findings


# --- check 6: the statement in every format -------------------------------------------------------


def words(text: str) -> list[str]:
    """The words of text with TeX commands, markup and punctuation dropped (ASCII letters, digits).

    ``\\ensuremath{...}`` is what a non-ASCII character of the source became in LaTeX (ℝ is
    ``\\ensuremath{\\mathbb{R}}``); the source's character makes no word, so neither does it.
    An HTML entity (the Markdown writes ``{`` as ``&#123;``) counts as the character it stands for.
    """
    text = re.sub(r"\\ensuremath\{(?:[^{}]|\{[^{}]*\})*\}", " ", text)
    text = re.sub(r"&#?\w+;", lambda m: html.unescape(m.group(0)), text)  # &#123; is the page's "{"
    return re.findall(r"[A-Za-z0-9]+", re.sub(r"\\[A-Za-z]+", " ", text))


_SCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉", "01234567890123456789")


def _source_words(statement: str) -> list[str]:
    """The statement's words as LaTeX writes them: inside ``$...$`` a superscript digit (A⁻¹) is a
    digit of its own (``A^{-1}``); outside math it becomes ``\\ensuremath{...}``, which makes no word."""
    pieces = re.split(r"(\$[^$]*\$)", statement)
    return words("".join(" " + p.translate(_SCRIPT_DIGITS).replace("⁻", " ") if p.startswith("$")
                         else p for p in pieces))


def statement_in(path: Path, pid: str | None, text: str, statement: str, where: str,
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
