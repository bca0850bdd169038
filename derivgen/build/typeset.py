"""All typesetting: LaTeX documents to PDFs with latexmk, in parallel, with TeX's warnings.

:func:`typeset_all` is what ``build`` and ``exam`` call: each document is
typeset in its own folder inside one scratch folder in the output folder,
within :data:`TEX_TIMEOUT` seconds, and comes back as the PDF's bytes, one
warning per overfull box (charged to the problem whose LaTeX holds it) or
TeX's error naming the ``.tex`` as the user sees it.

Underneath, :func:`compile_pdf` compiles one file in a fresh temporary
directory next to the target, with TeX told it may read and write only there
(``openin_any=p``, ``openout_any=p``, ``shell_escape=f``).  The finished PDF
is renamed into place, so an interrupted build never leaves a truncated PDF
behind; the auxiliary files go with the temporary directory.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from derivgen.build.progress import Progress, Silent
from derivgen.errors import DerivgenError, RenderError

INSTALL_HINT = (
    "install TeX Live (Debian/Ubuntu: apt-get install texlive-latex-extra latexmk; "
    "macOS: MacTeX; Windows: MiKTeX)"
)

#: Lines of the TeX log shown after an error line.
CONTEXT_LINES = 4
#: Seconds TeX may take for one document.
TEX_TIMEOUT = 120.0


# --- documents, typeset in parallel ----------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """One LaTeX document to typeset."""

    name: str
    """The file's stem: ``handout``, ``solutions``, ``paper-A`` ..."""
    tex: bytes
    """The LaTeX source."""
    shown: str
    """The ``.tex`` as the user sees it in the output folder; TeX's messages name it."""
    problems: tuple[str, ...]
    """The files shown for problems 1, 2, ... of the document, to charge overfull boxes to."""


@dataclass
class Typeset:
    """One document's PDF (None when TeX failed), its warnings and TeX's error."""

    pdf: bytes | None
    warnings: list[str] = field(default_factory=list)
    """``FILE: warning: overfull line (...) in the handout PDF``, in the log's order."""
    errors: list[str] = field(default_factory=list)
    """TeX's error lines, naming :attr:`Document.shown`; empty when the PDF was made."""


def pdf_skipped(tex_available: Callable[[], str | None]) -> str | None:
    """The note to show when no PDF can be typeset (``PDF skipped: ...``), else None."""
    reason = tex_available()
    return f"PDF skipped: {reason}" if reason else None


def typeset_all(docs: Sequence[Document], compile_pdf: Callable[[Path, float], Path], out: Path,
                jobs: int | None = None, progress: Progress | None = None) -> list[Typeset]:
    """Every document typeset with ``compile_pdf`` in a scratch folder inside ``out``, in parallel.

    The results are in the documents' order.  A TeX error spoils only its own document.
    """
    progress = progress or Silent()
    progress.start("pdf", len(docs))
    out.mkdir(parents=True, exist_ok=True)
    results: list[Typeset | None] = [None] * len(docs)
    with tempfile.TemporaryDirectory(prefix=f".derivgen-tex-{os.getpid()}-", dir=out) as scratch, \
            ThreadPoolExecutor(max_workers=max(1, jobs or os.cpu_count() or 1)) as pool:
        futures = {pool.submit(_typeset_one, Path(scratch) / f"{n}", doc, compile_pdf): n
                   for n, doc in enumerate(docs)}
        for future in as_completed(futures):
            doc = docs[futures[future]]
            try:
                results[futures[future]] = future.result()
            except DerivgenError as e:
                lines = [_unscratch(line, scratch, f"{doc.name}.tex", doc.shown)
                         for line in str(e).splitlines()]
                results[futures[future]] = Typeset(None, errors=lines)
            progress.advance()
    progress.finish()
    return [r for r in results if r is not None]


def _typeset_one(folder: Path, doc: Document, compile_pdf: Callable[[Path, float], Path]) -> Typeset:
    """The PDF's bytes and the warnings of TeX's log (none when the stage kept no log)."""
    folder.mkdir()
    tex_path = folder / f"{doc.name}.tex"
    tex_path.write_bytes(doc.tex)
    pdf = Path(compile_pdf(tex_path, TEX_TIMEOUT)).read_bytes()
    log_path = tex_path.with_suffix(".log")
    log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
    return Typeset(pdf, typeset_warnings(log, doc.tex, list(doc.problems), doc.shown, f"the {doc.name} PDF"))


def _unscratch(line: str, scratch: str, tex_name: str, shown: str) -> str:
    """A TeX message with the scratch copy's path replaced by the path of the .tex in out/."""
    line = re.sub(re.escape(scratch) + r"/\d+/" + re.escape(tex_name), shown, line)
    return re.sub(r"^(\./)?" + re.escape(tex_name) + ":", shown + ":", line)


def typeset_warnings(log: str, tex: bytes, problems: list[str], document: str, what: str) -> list[str]:
    """One ``FILE: warning: overfull line (...) in WHAT`` per overfull box of the log, FILE the problem's."""
    if not log:
        return []
    return overfull_warnings(log, tex.decode("utf-8", errors="replace"), problems, document, what)


# --- one document: latexmk in a sandbox ------------------------------------------------------------


def tex_available() -> str | None:
    """None when latexmk and pdflatex are on PATH, else a one-line reason."""
    for tool in ("latexmk", "pdflatex"):
        if shutil.which(tool) is None:
            return f"no PDF: {tool} not found; {INSTALL_HINT}"
    return None


def latexmk_command(tex_name: str) -> list[str]:
    """The latexmk invocation: pdflatex, no shell escape, stop at the first error."""
    return [
        "latexmk", "-norc", "-pdf", "-interaction=nonstopmode", "-halt-on-error",
        "-no-shell-escape", "-file-line-error", "-silent",
        ("-pdflatex=pdflatex -no-shell-escape -interaction=nonstopmode "
         "-halt-on-error -file-line-error %O %S"),
        tex_name,
    ]


def sandbox_env() -> dict[str, str]:
    """The environment for TeX: reads and writes confined to the build directory."""
    env = dict(os.environ)
    env.update(openin_any="p", openout_any="p", shell_escape="f")
    env.pop("TEXMFOUTPUT", None)
    env.pop("TEXINPUTS", None)  # no extra input folders from the caller's shell
    # A fixed timestamp makes the PDF's dates and /ID reproducible: same input, same bytes.
    env.setdefault("SOURCE_DATE_EPOCH", "0")
    return env


def compile_pdf(tex_path: Path, timeout: float = 60, keep_log: bool = False) -> Path:
    """Compile ``tex_path`` to the PDF beside it (same stem); returns the PDF's path.

    With ``keep_log`` TeX's log is kept beside it too (``.log``, for :func:`overfull_boxes`).
    Raises :class:`RenderError` with the TeX error and its context on failure,
    and when TeX takes longer than ``timeout`` seconds.
    """
    tex_path = Path(tex_path)
    tex = tex_path.read_text(encoding="utf-8")
    log = tex_path.with_suffix(".log") if keep_log else None
    return _typeset(tex, tex_path.with_suffix(".pdf"), timeout, shown=tex_path, keep_log=log)


def tex_to_pdf(tex: str, pdf_path: Path, timeout: float = 60) -> Path:
    """Typeset LaTeX source straight to ``pdf_path`` (no ``.tex`` left beside it)."""
    pdf_path = Path(pdf_path)
    return _typeset(tex, pdf_path, timeout, shown=pdf_path.with_suffix(".tex"))


def _typeset(tex: str, target: Path, timeout: float, shown: Path, keep_log: Path | None = None) -> Path:
    """Compile in a fresh directory beside ``target``, then rename the PDF (and the log) into place."""
    reason = tex_available()
    if reason:
        raise RenderError(reason)
    with tempfile.TemporaryDirectory(prefix=".tex-", dir=target.parent) as tmp:
        work = Path(tmp)
        name = target.with_suffix(".tex").name
        (work / name).write_text(tex, encoding="utf-8")
        _run_latexmk(work, name, timeout, shown)
        if keep_log is not None and (work / name).with_suffix(".log").exists():
            os.replace((work / name).with_suffix(".log"), keep_log)
        os.replace(work / target.name, target)
    return target


def _run_latexmk(work: Path, tex_name: str, timeout: float, shown: Path) -> None:
    returncode, output = _run_with_time_limit(latexmk_command(tex_name), work, timeout, shown)
    built = work / Path(tex_name).with_suffix(".pdf").name
    if returncode != 0 or not built.exists():
        log = work / Path(tex_name).with_suffix(".log").name
        text = log.read_text(errors="replace") if log.exists() else output
        raise RenderError(f"{shown}: TeX failed\n" + tex_error_excerpt(text, tex_name))


def _run_with_time_limit(cmd: list[str], cwd: Path, timeout: float, shown: Path) -> tuple[int, str]:
    """Run in its own process group, so a stuck pdflatex dies with latexmk at the deadline."""
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=sandbox_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, errors="replace", start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as e:
        _kill_group(proc)
        raise RenderError(f"{shown}: TeX did not finish within {timeout:g} s") from e
    except BaseException:  # Ctrl-C: leave no TeX behind
        _kill_group(proc)
        raise
    return proc.returncode, output


def _kill_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


_ERROR_LINE = re.compile(r"^(?:!|\S+?:\d+: )")


def tex_error_excerpt(log: str, tex_name: str) -> str:
    """The first error of a TeX log with a few lines of context, file:line where known."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if _ERROR_LINE.match(line) and not line.startswith("!  ==>"):
            excerpt = _until_blank(lines[i:i + 1 + CONTEXT_LINES])
            return "\n".join(_with_source_line(excerpt, lines[i:], tex_name))
    tail = [ln for ln in lines if ln.strip()][-CONTEXT_LINES:]
    return "\n".join(tail) or "(TeX wrote no log)"


def _until_blank(lines: list[str]) -> list[str]:
    """The lines up to the first blank one or TeX's memory statistics."""
    out: list[str] = []
    for line in lines:
        if not line.strip() or line.startswith("Here is how much"):
            break
        out.append(line)
    return out


def _with_source_line(excerpt: list[str], rest: list[str], tex_name: str) -> list[str]:
    """Add ``file:line`` from an ``l.NN`` marker when the error line lacks one."""
    if excerpt and re.match(r"^\S+?:\d+: ", excerpt[0]):
        return excerpt
    for line in rest[:30]:
        m = re.match(r"^l\.(\d+) ", line)
        if m:
            return [f"{tex_name}:{m.group(1)}: " + excerpt[0].lstrip("! ")] + excerpt[1:]
    return excerpt


# --- overfull boxes ------------------------------------------------------------------------

#: Overfull lines up to this many points are not worth a warning (TeX's own \hfuzz is 0.1pt).
OVERFULL_FUZZ_PT = 1.0

#: A page a few points too full only eats into the bottom margin: warned about from this many points.
OVERFULL_PAGE_FUZZ_PT = 5.0

#: The comment a template writes before the LaTeX of the N-th problem (1-based) of a document.
PROBLEM_MARKER = "%% derivgen-problem "

_OVERFULL = re.compile(
    r"^Overfull \\([hv])box \((\d+(?:\.\d+)?)pt too (?:wide|high)\)"
    r"(?:.*?at lines? (\d+))?")


@dataclass(frozen=True)
class Overfull:
    """One overfull box of a TeX log: how far it sticks out and where its source starts."""

    kind: str
    """``h`` (a line too wide) or ``v`` (a page or box too high)."""
    points: float
    line: int | None
    """The line of the ``.tex`` the box comes from; None when TeX does not say (page output)."""

    def describe(self) -> str:
        if self.kind == "h":
            return f"overfull line ({self.points:.1f}pt too wide)"
        return f"overfull page ({self.points:.1f}pt too high)"


def overfull_boxes(log: str, fuzz: float = OVERFULL_FUZZ_PT,
                   page_fuzz: float = OVERFULL_PAGE_FUZZ_PT) -> list[Overfull]:
    """The overfull boxes a TeX log reports: lines more than ``fuzz`` points too wide,
    pages (and other vertical boxes) more than ``page_fuzz`` points too high."""
    found: list[Overfull] = []
    for line in log.splitlines():
        m = _OVERFULL.match(line)
        if m and float(m.group(2)) > (fuzz if m.group(1) == "h" else page_fuzz):
            found.append(Overfull(m.group(1), float(m.group(2)), int(m.group(3)) if m.group(3) else None))
    return found


def problem_at_line(tex: str, line: int | None) -> int | None:
    """The 1-based number of the problem whose LaTeX holds ``line`` (after its marker), else None."""
    if line is None:
        return None
    current = None
    for text in tex.splitlines()[:line]:
        if text.startswith(PROBLEM_MARKER):
            current = int(text[len(PROBLEM_MARKER):].split()[0])
    return current


def overfull_warnings(log: str, tex: str, problems: Sequence[str], document: str, what: str) -> list[str]:
    """``FILE: warning: overfull line (133.4pt too wide) in the solutions PDF``, one per box.

    ``problems`` are the files shown for problems 1, 2, ... of the document (in its order);
    a box outside every problem (title, header, page output) is charged to ``document``.
    """
    lines = []
    for box in overfull_boxes(log):
        n = problem_at_line(tex, box.line)
        where = problems[n - 1] if n is not None and 0 < n <= len(problems) else document
        lines.append(f"{where}: warning: {box.describe()} in {what}")
    return lines
