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

from derivgen.lint.checks import (
           find_line_symbols,
           log_findings,
           solution_sentences,
           symbols,
           typeset_log,
           words,
)
from derivgen.lint.findings import CHECKS, MAX_REPEATS, OVERFULL_LIMIT_PT, Finding
from derivgen.lint.outputs import lint_outputs, main, problem_files_in

__all__ = [
    "CHECKS", "MAX_REPEATS", "OVERFULL_LIMIT_PT", "Finding", "find_line_symbols", "lint_outputs",
    "log_findings", "main", "problem_files_in", "solution_sentences", "symbols", "typeset_log", "words",
]
