"""KaTeX run with Node: the same parser course sites use, one process for a whole build.

The KaTeX vendored for the HTML pages (``derivgen/render/katex/katex.min.js``)
is loaded by a small script (``katex_check.js``) in one Node process, started
the first time a formula is checked and kept until derivgen exits; formulas
go to it as JSON data on stdin (never as code) and their verdicts come back
as JSON lines.  Without Node (``node`` or ``nodejs`` on the PATH, or the
program named by ``DERIVGEN_NODE``; ``DERIVGEN_NODE=none`` turns it off)
:func:`parse_formulas` returns None and the caller falls back to its own
checks; :func:`fallback_note` then says so in one line.

Also here, read from KaTeX's script and derivgen's preamble rather than
copied: the commands KaTeX knows (:func:`known_commands`, for the fallback)
and the macros derivgen's LaTeX preamble defines (:func:`preamble_macros`,
handed to KaTeX so that they are accepted).
"""

from __future__ import annotations

import atexit
import json
import os
import re
import select
import shutil
import subprocess
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent
KATEX_JS = _PACKAGE / "render" / "katex" / "katex.min.js"
"""The KaTeX the HTML pages carry, and the one formulas are checked with."""
PREAMBLE = _PACKAGE / "templates" / "_preamble.tex.j2"
"""derivgen's LaTeX preamble: the macros it defines are accepted in statements."""
SCRIPT = Path(__file__).with_name("katex_check.js")
TIMEOUT = 30.0
"""Seconds to wait for Node's answer to one batch before giving up on Node."""


@dataclass(frozen=True)
class Verdict:
    """KaTeX's objection to one formula."""

    message: str
    """KaTeX's own words (``Undefined control sequence: \\foo``)."""
    position: int | None
    """Where in the formula (code points from 0), when KaTeX says."""


# --- what KaTeX and the preamble define --------------------------------------------------------


@lru_cache(maxsize=1)
def known_commands() -> frozenset[str]:
    """Every control word KaTeX's script names (``\\frac``, ``\\boldsymbol``, ...), without the backslash."""
    try:
        js = KATEX_JS.read_text(encoding="utf-8")
    except OSError:
        return frozenset()
    return frozenset(re.findall(r'"\\\\([A-Za-z]+)"', js)) | {name for name, _ in _preamble_definitions()}


_NEWCOMMAND = re.compile(r"\\(?:newcommand|renewcommand|DeclareRobustCommand)"
                         r"\{?\\([A-Za-z]+)\}?(?:\[(\d)\])?")


def _preamble_definitions() -> list[tuple[str, int]]:
    try:
        text = PREAMBLE.read_text(encoding="utf-8")
    except OSError:
        return []
    return [(m.group(1), int(m.group(2) or 0)) for m in _NEWCOMMAND.finditer(text)]


def preamble_macros() -> dict[str, str]:
    """derivgen's preamble macros as KaTeX ``macros``: each takes its arguments and shows them."""
    return {f"\\{name}": "".join(f"{{#{i}}}" for i in range(1, n + 1)) or "{}"
            for name, n in _preamble_definitions()}


# --- Node ---------------------------------------------------------------------------------------


def node_program() -> str | None:
    """The Node executable to run, or None (not installed, or ``DERIVGEN_NODE=none``)."""
    chosen = os.environ.get("DERIVGEN_NODE")
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "none") else shutil.which(chosen)
    return shutil.which("node") or shutil.which("nodejs")


class _Node:
    """One Node process with KaTeX loaded; a batch of formulas in, their verdicts out."""

    def __init__(self, program: str) -> None:
        self.pid = os.getpid()
        self.process = subprocess.Popen(
            [program, str(SCRIPT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, encoding="utf-8")
        try:
            ready = self.ask({"katex": str(KATEX_JS), "macros": preamble_macros()})
            if "ready" not in ready:
                raise OSError(f"KaTeX did not load: {ready.get('failure', 'no answer')}")
        except (OSError, ValueError):
            self.process.kill()  # not Node after all, or not answering: it goes, derivgen falls back
            self.process.wait()
            raise

    def ask(self, request: dict[str, object]) -> dict[str, object]:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        stdin.write(json.dumps(request) + "\n")
        stdin.flush()
        if not select.select([stdout], [], [], TIMEOUT)[0]:
            raise OSError(f"Node gave no answer within {TIMEOUT:g} s")
        line = stdout.readline()
        if not line:
            raise OSError("Node ended unexpectedly")
        answer = json.loads(line)
        if not isinstance(answer, dict):
            raise OSError("Node answered something unexpected")
        return answer

    def close(self) -> None:
        if self.pid != os.getpid():
            return  # a forked child: the process is its parent's
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()


class _State:
    """The process of this Python process (a forked child starts its own), and why there is none."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.node: _Node | None = None
        self.unavailable: str | None = None
        self.fell_back = False


_state = _State()


def _node() -> _Node | None:
    if _state.node is not None and _state.node.pid == os.getpid():
        return _state.node
    if _state.unavailable is not None:
        return None
    program = node_program()
    if program is None:
        off = os.environ.get("DERIVGEN_NODE", "x").strip().lower() in ("", "none")
        _state.unavailable = "Node.js turned off by DERIVGEN_NODE" if off else "Node.js not found"
        return None
    if not KATEX_JS.is_file():
        _state.unavailable = f"KaTeX missing ({KATEX_JS})"
        return None
    try:
        _state.node = _Node(program)
    except (OSError, ValueError) as e:
        _state.unavailable = f"Node could not run KaTeX ({e})"
        return None
    atexit.register(_state.node.close)
    return _state.node


def parse_formulas(formulas: list[tuple[str, bool]]) -> list[Verdict | None] | None:
    """KaTeX's verdict on each ``(tex, display)``: None where it parses; None overall without Node."""
    if not formulas:
        return []
    with _state.lock:
        node = _node()
        if node is None:
            _state.fell_back = True
            return None
        try:
            answer = node.ask({"formulas": [{"tex": t, "display": d} for t, d in formulas]})
            results = answer["results"]
            assert isinstance(results, list) and len(results) == len(formulas)
        except (OSError, ValueError, KeyError, AssertionError) as e:
            node.close()
            _state.node, _state.unavailable, _state.fell_back = None, f"Node stopped ({e})", True
            return None
    return [None if r is None else Verdict(str(r.get("message", "")), _int(r.get("position")))
            for r in results]


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def fallback_note() -> str | None:
    """One line when some formula was checked without KaTeX in this process, else None."""
    if not _state.fell_back:
        return None
    why = _state.unavailable or "Node.js not found"
    return (f"derivgen: warning: statement math checked without KaTeX ({why}): braces, $, \\left/\\right "
            "and & are checked, macros only against KaTeX's list; install Node.js (apt-get install nodejs) "
            "for the full check")
