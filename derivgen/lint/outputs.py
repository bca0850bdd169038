"""Where a build's outputs are, and which check reads which file (see :mod:`derivgen.lint`)."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from itertools import pairwise
from pathlib import Path

import yaml

from derivgen.lint.checks import (
    find_symbols,
    lint_log,
    question_marks,
    repeated_sentences,
    signed_underbraces,
    statement_in,
)
from derivgen.lint.findings import BuiltProblem, BuiltSheet, Finding, split_at

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


def _read_problem(path: Path) -> BuiltProblem:
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None
    data = data if isinstance(data, dict) else {}
    pid = data.get("id")
    statement = data.get("statement")
    return BuiltProblem(
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


def _place(out_dir: Path, problems: list[BuiltProblem], findings: list[Finding]) -> dict[str, BuiltSheet]:
    """Each problem's sheet, number and outputs, from ``index.json`` (else the folder layout)."""
    by_id = {p.id: p for p in problems}
    sheets: dict[str, BuiltSheet] = {}
    index_path = out_dir / "index.json"
    index = None
    if index_path.is_file():
        try:
            index = json.loads(index_path.read_text(encoding="utf-8"))
        except ValueError:
            index = None
    if isinstance(index, dict):
        for s in index.get("sheets", []):
            sheet = sheets.setdefault(s["name"], BuiltSheet(s["name"]))
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
                findings.append(
                    Finding(index_path, p.id, "build-failure", f"the problem failed to build: {errors}"))
    for p in problems:  # not in index.json: look for its Markdown page
        if p.sheet is not None:
            continue
        pages = sorted(out_dir.glob(f"**/md/{p.id}.md"))
        if not pages:
            if not any(f.check == "build-failure" and f.problem == p.id for f in findings):
                findings.append(Finding(out_dir, p.id, "missing-output", f"no output for {p.file}"))
            continue
        p.sheet = pages[0].parent.parent.relative_to(out_dir).as_posix()
        sheets.setdefault(p.sheet, BuiltSheet(p.sheet)).problems.append(p)
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


def _any_json_has_statement(out_dir: Path, problems: list[BuiltProblem]) -> bool:
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


def _lint_problem_files(out_dir: Path, p: BuiltProblem, built: set[str], json_strict: bool) -> list[Finding]:
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
            findings += question_marks(path, p.id, text, sources, "Markdown")
            findings += signed_underbraces(path, p.id, text)
            findings += repeated_sentences(path, p.id, text)
            findings += find_symbols(path, p.id, text, p.statement)
            findings += statement_in(path, p.id, text, p.statement, "Markdown page")
        elif fmt == "tex":
            findings += question_marks(path, p.id, text, sources, "TeX")
            findings += signed_underbraces(path, p.id, text)
            findings += statement_in(path, p.id, text, p.statement, "LaTeX document")
        else:
            findings += _lint_json(path, p, text, json_strict)
    return findings


def _lint_json(path: Path, p: BuiltProblem, text: str, strict: bool) -> list[Finding]:
    try:
        data = json.loads(text)
    except ValueError as e:
        return [Finding(path, p.id, "missing-output", f"not valid JSON: {e}")]
    strings = "\n".join(_json_strings(data))
    findings = question_marks(path, p.id, strings, [p.yaml_text], "JSON string")
    findings += signed_underbraces(path, p.id, strings)
    if isinstance(data, dict) and isinstance(data.get("statement"), str):
        # The JSON carries the statement as written, Unicode and all.
        findings += statement_in(path, p.id, data["statement"], p.statement, "JSON", as_written=True)
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
    out_dir: Path, sheet: BuiltSheet, config_texts: list[str], built: set[str], typeset: bool
) -> list[Finding]:
    findings: list[Finding] = []
    folder = out_dir / sheet.name
    all_sources = [p.yaml_text for p in sheet.problems] + config_texts
    for name in ("handout.tex", "solutions.tex"):
        path = folder / name
        if not path.is_file():
            if "sheet-tex" in built:
                findings.append(
                    Finding(path, None, "missing-output", f"no {name} for the sheet {sheet.name}"))
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        chunks = split_at(text, r"\\dgexampleheading\{", sheet.problems)
        for p, chunk, first_line in chunks:
            sources = [p.yaml_text] + config_texts if p else all_sources
            findings += question_marks(path, p.id if p else None, chunk, sources, "TeX", first_line)
            findings += signed_underbraces(path, p.id if p else None, chunk)
        for p in sheet.problems:
            own = next((c for q, c, _ in chunks if q is p), "")
            findings += statement_in(path, p.id, own, p.statement, f"sheet's {name} (its example)")
        if typeset:
            findings += lint_log(path, text, chunks)
        pdf = path.with_suffix(".pdf")
        if pdf.is_file():
            findings += _lint_pdf_text(pdf, sheet, config_texts)
        elif "pdf" in built:
            findings.append(Finding(pdf, None, "missing-output", f"no {pdf.name} for the sheet {sheet.name}"))
    findings += _lint_html(folder / f"{Path(sheet.name).name}.html", sheet, config_texts, built)
    return findings


def _lint_html(path: Path, sheet: BuiltSheet, config_texts: list[str], built: set[str]) -> list[Finding]:
    if not path.is_file():
        if "html" in built:
            return [Finding(path, None, "missing-output", f"no HTML page for the sheet {sheet.name}")]
        return []
    raw = path.read_text(encoding="utf-8", errors="replace")
    raw = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", raw)
    raw = re.sub(r"(?s)<!--.*?-->", " ", raw)
    findings: list[Finding] = []
    chunks = split_at(raw, r'<section class="problem"', sheet.problems)
    all_sources = [p.yaml_text for p in sheet.problems] + config_texts
    for p, chunk, first_line in chunks:
        text = html.unescape(re.sub(r"<[^>]*>", " ", chunk))
        pid = p.id if p else None
        sources = [p.yaml_text] + config_texts if p else all_sources
        findings += question_marks(path, pid, text, sources, "HTML", first_line)
        findings += signed_underbraces(path, pid, text)
        if p is not None:
            statement = re.search(r'(?s)<div class="statement">(.*?)</div>', chunk)
            own = html.unescape(re.sub(r"<[^>]*>", " ", statement.group(1))) if statement else text
            findings += statement_in(path, pid, own, p.statement, "sheet's HTML page")
    for p in sheet.problems[len(chunks) - 1:]:
        if p.statement.strip():
            findings.append(Finding(path, p.id, "missing-statement",
                                    "the statement is missing from the sheet's HTML page: no section for it"))
    return findings


def _lint_pdf_text(pdf: Path, sheet: BuiltSheet, config_texts: list[str]) -> list[Finding]:
    if shutil.which("pdftotext") is None:
        return []
    run = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                         errors="replace", timeout=60)
    if run.returncode != 0:
        return [Finding(pdf, None, "missing-output", f"pdftotext cannot read it: {run.stderr.strip()[:200]}")]
    text = run.stdout
    findings: list[Finding] = []
    starts: list[tuple[int, BuiltProblem | None]] = []
    for problem in sheet.problems:
        # "Problem 3.1 (", whatever the label
        m = re.search(r"[^\W\d_]+\s+" + re.escape(problem.number or "\0") + r"\s*\(", text)
        if m:
            starts.append((m.start(), problem))
    starts.sort(key=lambda t: t[0])
    bounds = [(0, None)] + starts + [(len(text), None)]
    all_sources = [p.yaml_text for p in sheet.problems] + config_texts
    for (a, p), (b, _) in pairwise(bounds):
        sources = [p.yaml_text] + config_texts if p else all_sources
        findings += question_marks(pdf, p.id if p else None, text[a:b], sources, "PDF text",
                                    text.count("\n", 0, a) + 1)
    return findings


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
