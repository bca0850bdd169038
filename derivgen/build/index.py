"""The build's table of contents: ``out/index.json`` for programs, ``out/index.md`` for people.

Both list every sheet with its problems and their output files, then the
failures.  They describe the build (its sheets, outputs and report) rather
than any one problem, so they are made here and not in :mod:`derivgen.render`.
"""

from __future__ import annotations

import json

from derivgen.build.config import Config
from derivgen.build.gather import Sheet
from derivgen.build.report import BuildReport
from derivgen.build.write import outputs_of
from derivgen.render.escape import code_span, link_target, one_line
from derivgen.render.mdmath import user_markdown


def index_files(sheets: list[Sheet], report: BuildReport, config: Config) -> dict[str, bytes]:
    """``index.json`` and ``index.md`` by name."""
    return {"index.json": index_json(sheets, report).encode("utf-8"),
            "index.md": index_md(sheets, report, config).encode("utf-8")}


def index_json(sheets: list[Sheet], report: BuildReport) -> str:
    """``out/index.json``: sheets with their problems and files, and the failures."""
    data = {
        "sheets": [{
            "name": s.name, "title": s.title,
            "problems": [{"id": i.problem.id, "title": i.problem.title, "number": i.number,
                          "file": i.display, "outputs": outputs_of(i)}
                         for i in s.good if i.problem is not None],
        } for s in sheets],
        "failures": [{"file": f.file, "id": f.id, "errors": f.errors} for f in report.failures],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _md_text(text: str) -> str:
    """A user string on one line of Markdown (a heading, a link's text): see :mod:`derivgen.render.escape`."""
    return user_markdown(one_line(text), lambda tex: tex)


def index_md(sheets: list[Sheet], report: BuildReport, config: Config) -> str:
    """``out/index.md``: the same, for people."""
    lines = [f"# {_md_text(config.title or 'Problems')}", ""]
    for s in sheets:
        lines += [f"## {_md_text(s.title)}", ""]
        for i in s.good:
            assert i.problem is not None
            link = outputs_of(i).get("md")
            name = _md_text(i.problem.title)
            title = f"[{name}]({link_target(link)})" if link else name
            lines.append(f"- {_md_text(str(i.number))} {title} ({code_span(i.problem.id)})")
        lines.append("")
    if report.failures:
        lines += ["## Failures", ""]
        for f in report.failures:
            lines.append(f"- {code_span(f.file)}")
            lines += [f"    - {code_span(e)}" for e in f.errors]
        lines.append("")
    return "\n".join(lines)
