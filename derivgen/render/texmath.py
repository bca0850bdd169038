"""Math from user text, with only whitelisted TeX control sequences let through.

:func:`sanitize_math` reads the body of a ``$...$`` span token by token.  A
control word or symbol in :data:`MATH_COMMANDS` is copied; ``\\begin``/``\\end``
only for the environments in :data:`MATH_ENVIRONMENTS`, properly nested;
``\\text`` and friends get their argument escaped as plain text; anything else
is printed as visible text together with the brace groups that follow it.
Braces are balanced, ``&`` and ``\\\\`` are kept only inside an environment, and
``#``, ``%`` and runs of ``^`` are neutralised, so the output can never define,
read, write or expand anything the whitelist does not name.
"""

from __future__ import annotations

import re
import unicodedata

from derivgen.render.texchars import escape_plain, script_run, unicode_math

_GREEK = (
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi "
    "pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta "
    "Lambda Xi Pi Sigma Upsilon Phi Psi Omega"
)
_SYMBOLS = (
    "top intercal cdot cdots ldots dots vdots ddots times otimes odot oplus circ in notin ni "
    "subset subseteq supset supseteq to mapsto rightarrow leftarrow Rightarrow Leftarrow "
    "leftrightarrow Leftrightarrow iff implies impliedby leq le geq ge neq ne approx sim simeq "
    "equiv propto coloneqq eqqcolon infty partial nabla sum prod int lim max min sup inf arg "
    "exp log ln sin cos tan tanh sinh cosh det dim ker quad qquad frac dfrac tfrac sqrt binom "
    "mathbf boldsymbol bm mathbb mathcal mathrm mathit mathsf mathtt operatorname left right "
    "big Big bigg Bigg bigl bigr Bigl Bigr langle rangle lVert rVert lvert rvert Vert vert mid "
    "hat bar tilde vec dot ddot widehat widetilde overline underline underbrace overbrace "
    "underset overset stackrel displaystyle textstyle scriptstyle limits nolimits perp forall "
    "mathrel mathbin mathop mathord exists emptyset varnothing setminus cup cap ell star ast dagger "
    "prime pm mp div colon "
    "lfloor rfloor lceil rceil not neg land lor wedge vee bot triangleq boxed phantom "
    "backslash lbrace rbrace cdotp ldotp square checkmark"
)
#: Control words allowed in user math.
MATH_COMMANDS = frozenset((_GREEK + " " + _SYMBOLS).split())
#: Control symbols (backslash + one non-letter) allowed in user math.
MATH_SYMBOLS = frozenset(", ; : ! { } | % # & _ $".split() + [" "])
#: Environments allowed in user math (no column specs, so nothing to smuggle in).
MATH_ENVIRONMENTS = frozenset(
    "matrix bmatrix pmatrix vmatrix Vmatrix Bmatrix smallmatrix aligned gathered cases".split()
)
#: Commands whose argument is text: it is escaped as plain text.
TEXT_COMMANDS = frozenset("text textrm textit textbf mbox".split())
_DELIMITERS = set("()[]./|") | {r"\{", r"\}", r"\|", r"\langle", r"\rangle", r"\lVert", r"\rVert",
                                r"\lvert", r"\rvert", r"\Vert", r"\vert", r"\lfloor", r"\rfloor",
                                r"\lceil", r"\rceil", r"\lbrace", r"\rbrace"}
_CONTROL = re.compile(r"\\([A-Za-z]+|.)", re.S)


def sanitize_math(body: str) -> str:
    """The math ``body`` with only whitelisted commands, balanced groups and environments."""
    return _MathSanitizer(body).run()


class _MathSanitizer:
    def __init__(self, body: str) -> None:
        self.s = re.sub(r"\s*\n\s*", " ", unicodedata.normalize("NFC", body))
        self.i = 0
        self.out: list[str] = []
        self.stack: list[str] = []  # "{" or an environment name

    def run(self) -> str:
        while self.i < len(self.s):
            self.step()
        for opened in reversed(self.stack):
            self.out.append("}" if opened == "{" else rf"\end{{{opened}}}")
        return no_double_script(_no_double_caret("".join(self.out)))

    def step(self) -> None:
        c = self.s[self.i]
        if c == "\\":
            self.control()
        elif c in "{}":
            self.brace(c)
        elif (script := script_run(self.s, self.i)) is not None:
            self.out.append(script[0])  # Xᵀ -> X^{\top}, X⁻¹ -> X^{-1}
            self.i = script[1]
        else:
            self.out.append(self.char(c))
            self.i += 1

    def char(self, c: str) -> str:
        if c in "#%":
            return "\\" + c
        if c == "&":
            return "&" if self.in_env() else r"\&"
        if c == "^" and "^" in (self.s[self.i - 1:self.i], self.s[self.i + 1:self.i + 2]):
            return r"\text{\textasciicircum{}}"
        if c == "$":
            return r"\$"
        if " " <= c <= "~":
            return c
        cmd = unicode_math(c)
        if cmd is None:
            return r"\text{" + escape_plain(c) + "}"
        following = self.s[self.i + 1:self.i + 2]
        return cmd + (" " if cmd[-1:].isalpha() and (following.isalpha() or following.isdigit()) else "")

    def brace(self, c: str) -> None:
        self.i += 1
        if c == "{":
            self.stack.append("{")
            self.out.append("{")
        elif self.stack and self.stack[-1] == "{":
            self.stack.pop()
            self.out.append("}")
        else:
            self.out.append(r"\}")

    def in_env(self) -> bool:
        return any(o != "{" for o in self.stack)

    def control(self) -> None:
        m = _CONTROL.match(self.s, self.i)
        if m is None:  # a lone backslash at the end
            self.i += 1
            self.out.append(r"\backslash ")
            return
        name = m.group(1)
        self.i = m.end()
        if name in ("begin", "end"):
            self.environment(name)
        elif name in TEXT_COMMANDS:
            self.text_command(name)
        elif name == "\\":
            self.out.append(r"\\" if self.in_env() else r"\quad ")
        elif name == "hline" and self.in_env():  # a rule under a table's heading (method: backprop)
            self.out.append(r"\hline ")
        elif name in ("left", "right"):
            self.out.append("\\" + name + self.delimiter())
        elif name in MATH_COMMANDS or name in MATH_SYMBOLS:
            self.out.append("\\" + name + self.separator(name))
        else:
            self.visible("\\" + name)

    def separator(self, name: str) -> str:
        """A space after a control word only where a letter follows it."""
        return " " if name[-1:].isalpha() and self.s[self.i:self.i + 1].isalpha() else ""

    def delimiter(self) -> str:
        rest = self.s[self.i:].lstrip()
        skipped = len(self.s) - self.i - len(rest)
        for d in sorted(_DELIMITERS, key=len, reverse=True):
            if rest.startswith(d) and not (d[1:].isalpha() and rest[len(d):len(d) + 1].isalpha()):
                self.i += skipped + len(d)
                return d + self.separator(d[1:])
        return "."

    def group(self) -> str | None:
        """The raw text of a brace group right at the cursor, consumed; None if none."""
        if not self.s.startswith("{", self.i):
            return None
        depth, j = 0, self.i
        while j < len(self.s):
            ch = self.s[j]
            if ch == "\\":
                j += 2
                continue
            depth += (ch == "{") - (ch == "}")
            if depth == 0:
                text = self.s[self.i + 1:j]
                self.i = j + 1
                return text
            j += 1
        return None

    def environment(self, which: str) -> None:
        start = self.i
        name = self.group()
        if name is None or name not in MATH_ENVIRONMENTS:
            self.i = start
            self.visible("\\" + which)
        elif which == "begin":
            self.stack.append(name)
            self.out.append(rf"\begin{{{name}}}")
        elif self.stack and self.stack[-1] == name:
            self.stack.pop()
            self.out.append(rf"\end{{{name}}}")
        else:
            self.visible(rf"\end{{{name}}}", groups=False)

    def text_command(self, name: str) -> None:
        arg = self.group()
        if arg is None:
            self.visible("\\" + name)
        else:
            self.out.append(rf"\{name}{{" + escape_text_argument(arg) + "}")

    def visible(self, shown: str, groups: bool = True) -> None:
        """A command that is not allowed: shown as text, with its brace arguments."""
        while groups and self.s[self.i:self.i + 1].isdigit():  # \write18
            shown += self.s[self.i]
            self.i += 1
        while groups:
            start = self.i
            arg = self.group()
            if arg is None:
                self.i = start
                break
            shown += "{" + arg + "}"
        self.out.append(r"\text{" + escape_plain(shown) + "}")


#: Escapes allowed inside ``\\text{...}``: they show one character each.
_TEXT_ESCAPE = re.compile(
    r"\\(?:[{}$&#_%]|(?:textbackslash|textasciicircum|textasciitilde|textbar|textless|textgreater)"
    r"(?:\{\}|(?![A-Za-z])))"
)


def escape_text_argument(arg: str) -> str:
    """The argument of ``\\text``: character escapes kept, everything else shown as itself."""
    out, pos = [], 0
    for m in _TEXT_ESCAPE.finditer(arg):
        out.append(escape_plain(arg[pos:m.start()]) + m.group(0))
        pos = m.end()
    return "".join(out) + escape_plain(arg[pos:])


def _no_double_caret(tex: str) -> str:
    """Never let TeX see ``^^`` (it would read the next characters as a character code)."""
    while "^^" in tex:
        tex = tex.replace("^^", "^{}^")
    return tex


def no_double_script(tex: str) -> str:
    """Never two superscripts (or two subscripts) on one nucleus: TeX stops at them.

    ``X^{a}^{b}``, ``x^{2}'`` and ``x' ^{2}`` are "Double superscript" errors
    that lose the whole document; an empty nucleus ``{}`` is put before the
    second script, so it prints right after the first.  The printers never
    write such a thing on purpose; this is the net under user math.
    """
    out: list[str] = []
    _scripts(tex, 0, out, top=True)
    return "".join(out)


def _scripts(s: str, i: int, out: list[str], top: bool) -> int:
    """Copy ``s`` from ``i`` to the end of the current group, fixing scripts; the index after it."""
    seen: set[str] = set()
    while i < len(s):
        c = s[i]
        if c == "}" and not top:
            return i
        if c in "^_'":
            mark = "^" if c == "'" else c
            if mark in seen and not (c == "'" and out and out[-1] == "'"):
                out.append("{}")
                seen = set()
            seen.add(mark)
            out.append(c)
            i += 1
            if c != "'":
                i = _script_argument(s, i, out)
        elif c == "{":
            out.append("{")
            i = _scripts(s, i + 1, out, top=False)
            if i < len(s):
                out.append("}")
                i += 1
            seen = set()
        elif c == "\\":
            m = _CONTROL.match(s, i)
            word = m.group(0) if m else "\\"
            out.append(word)
            i += len(word)
            if word not in (r"\limits", r"\nolimits", r"\displaylimits"):
                seen = set()
        else:
            out.append(c)
            i += 1
            if not c.isspace():
                seen = set()
    return i


def _script_argument(s: str, i: int, out: list[str]) -> int:
    """Copy the argument of ``^`` or ``_`` (a group, a control sequence or one character)."""
    while i < len(s) and s[i] == " ":
        out.append(" ")
        i += 1
    if i >= len(s):
        return i
    if s[i] == "{":
        out.append("{")
        i = _scripts(s, i + 1, out, top=False)
        if i < len(s):
            out.append("}")
            i += 1
        return i
    if s[i] == "\\":
        m = _CONTROL.match(s, i)
        word = m.group(0) if m else "\\"
        out.append(word)
        return i + len(word)
    out.append(s[i])
    return i + 1
