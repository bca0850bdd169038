"""Jinja environments: the user's template folder first, then the built-in ``templates/``.

Every environment is strict (an undefined name is an error, not an empty
string).  LaTeX templates use delimiters that do not clash with TeX:
``((* block *))``, ``((( variable )))`` and ``((= comment =))``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import jinja2

#: The templates shipped with derivgen (``derivgen/templates`` links to the top-level ``templates/``).
BUILTIN_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

Kind = Literal["md", "html", "tex"]


def template_dirs(user_dir: Path | None) -> list[Path]:
    """Where templates are looked up, in order."""
    dirs = [Path(user_dir)] if user_dir is not None else []
    return dirs + [BUILTIN_TEMPLATES]


def make_env(kind: Kind, user_dir: Path | None = None) -> jinja2.Environment:
    """A strict environment for one output kind; callers may register filters on it."""
    loader = jinja2.FileSystemLoader([str(d) for d in template_dirs(user_dir)])
    if kind == "tex":
        return jinja2.Environment(
            block_start_string="((*", block_end_string="*))",
            variable_start_string="(((", variable_end_string=")))",
            comment_start_string="((=", comment_end_string="=))",
            autoescape=False,
            loader=loader, undefined=jinja2.StrictUndefined,
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        )
    if kind in ("html", "md"):
        return jinja2.Environment(
            autoescape=kind == "html",
            loader=loader, undefined=jinja2.StrictUndefined,
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        )
    raise ValueError(f"unknown template kind {kind!r}")
