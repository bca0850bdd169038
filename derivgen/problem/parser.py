"""derivgen's own parser for the expression language of problem files.

A problem file is data: its formulas are read by this tokenizer and a
precedence-climbing parser, never by ``eval`` or by SymPy.  Precedence is
Python's, loosest first::

    + -          left-associative
    * / @        left-associative
    - + (unary)  so -x**2 is -(x**2)
    ** ^         right-associative; the exponent may carry a sign: 2**-1
    x[i]  x.T  f(a, b)   postfix

Every node carries ``offset``, the 0-based character where it starts, and
every error is an :class:`ExpressionError` at the offending character.  The
nesting limit is enforced while tokenizing and while recursing, so hostile
input ends in a clear error instead of a ``RecursionError``.
"""

from __future__ import annotations

import keyword
import math
import re
from dataclasses import dataclass

from derivgen.errors import ExpressionError
from derivgen.limits import MAX_EXPRESSION_CHARS, MAX_NESTING_DEPTH
from derivgen.problem.expr import BinOp, Call, Expr, Index, ListLit, Name, Neg, Num, Transpose, depth

_TOKEN = re.compile(
    r"(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*|==|[-+*/^@()\[\],.=:])"
)
_WORD_START = re.compile(r"[A-Za-z_]")
_OPENERS = {"(": ")", "[": "]"}
_OPERAND_END = ("num", "name", ")", "]")
_KEYWORD_HINTS = {
    "for": " (no comprehensions: write each entry out)",
    "if": " (no conditional expressions)",
    "lambda": " (define a function instead: f(x): ...)",
}


@dataclass(frozen=True)
class Token:
    """One token of an expression."""

    kind: str
    """``num``, ``name``, ``end``, or the operator or bracket itself (``**``, ``(``)."""
    text: str
    """The characters as written."""
    offset: int
    """0-based position in the text."""


def nested_too_deeply(offset: int) -> ExpressionError:
    return ExpressionError(f"expression nested too deeply (more than {MAX_NESTING_DEPTH} levels)", offset)


# --- tokens -------------------------------------------------------------------


def tokenize(text: str, start: int = 0) -> list[Token]:
    """The tokens of ``text``; offsets count from ``start``."""
    tokens: list[Token] = []
    level = _Level()
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        tok = _next_token(text, pos, start)
        level.track(tok, tokens[-1] if tokens else None)
        tokens.append(tok)
        pos += len(tok.text)
    tokens.append(Token("end", "", start + len(text)))
    return tokens


def _next_token(text: str, pos: int, start: int) -> Token:
    m = _TOKEN.match(text, pos)
    if m is None:
        raise _bad_character(text[pos], start + pos)
    kind = m.lastgroup or "op"
    value = m.group()
    offset = start + pos
    if kind == "num" and _WORD_START.match(text, m.end()):
        word = re.match(r"[A-Za-z0-9_]+", text[m.end():])
        raise ExpressionError(f"write {value}*{word.group() if word else ''} for a product", offset)
    if kind == "name":
        _check_name(value, offset)
    if value in ("=", "==", ":"):
        raise ExpressionError(f"'{value}' is not part of the expression language", offset)
    return Token(kind if kind != "op" else value, value, offset)


def _bad_character(c: str, offset: int) -> ExpressionError:
    if c in "'\"`":
        return ExpressionError("strings are not part of the expression language", offset)
    if c == "\\":
        return ExpressionError("unexpected character '\\' (write the expression language, not LaTeX)", offset)
    if c.isalpha():
        return ExpressionError(
            f"unexpected character '{c}' (names use the letters A-Z and a-z, digits and '_')", offset
        )
    shown = c if c.isprintable() else f"U+{ord(c):04X}"
    return ExpressionError(f"unexpected character '{shown}'", offset)


def _check_name(name: str, offset: int) -> None:
    if keyword.iskeyword(name):
        hint = _KEYWORD_HINTS.get(name, "")
        raise ExpressionError(f"'{name}' is not part of the expression language{hint}", offset)
    if name.startswith("__"):
        raise ExpressionError(f"'{name}' is not a valid name (names may not start with '__')", offset)


class _Level:
    """Bracket depth plus the current run of signs, checked as tokens arrive."""

    def __init__(self) -> None:
        self.brackets = 0
        self.signs = 0

    def track(self, tok: Token, prev: Token | None) -> None:
        if tok.kind in _OPENERS:
            self.brackets += 1
        elif tok.kind in (")", "]"):
            self.brackets = max(0, self.brackets - 1)
        is_sign = tok.kind in ("-", "+") and (prev is None or prev.kind not in _OPERAND_END)
        self.signs = self.signs + 1 if is_sign else 0
        if self.brackets + self.signs > MAX_NESTING_DEPTH:
            raise nested_too_deeply(tok.offset)


# --- the parser ---------------------------------------------------------------


def parse_expression(text: str, start: int = 0) -> Expr:
    """Parse one expression; node offsets count from ``start`` (0 unless the text is part of a larger one)."""
    tokens = tokenize(text, start)
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(
            f"expression too long ({len(text)} characters; the limit is {MAX_EXPRESSION_CHARS})", start
        )
    if tokens[0].kind == "end":
        raise ExpressionError("empty expression", start)
    parser = _Parser(text, tokens, start)
    tree = parser.expression()
    parser.expect_end()
    if depth(tree) > MAX_NESTING_DEPTH:
        raise nested_too_deeply(start)
    return tree


class _Parser:
    """Recursive descent over the binary levels, precedence climbing within each."""

    def __init__(self, text: str, tokens: list[Token], start: int) -> None:
        self.text = text
        self.tokens = tokens
        self.start = start
        self.pos = 0
        self.level = 0

    # --- token helpers ---

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def take(self) -> Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def unexpected(self, tok: Token) -> ExpressionError:
        prev = self.tokens[self.pos - 1] if self.pos > 0 else None
        if tok.kind in ("num", "name", "(") and prev is not None and prev.kind in _OPERAND_END:
            right = tok.text if tok.kind != "(" else "(...)"
            return ExpressionError(f"write {self.operand_before()}*{right} for a product", tok.offset)
        if tok.kind == "end":
            return ExpressionError("unexpected end of expression", tok.offset)
        return ExpressionError(f"unexpected '{tok.text}'", tok.offset)

    def operand_before(self) -> str:
        """The operand just before the current token, for the implicit-product hint."""
        prev = self.tokens[self.pos - 1]
        after_dot = self.pos > 1 and self.tokens[self.pos - 2].kind == "."
        if prev.kind in ("num", "name") and not after_dot:
            return prev.text
        return "(...)" if prev.kind == ")" else "..."

    def expect_end(self) -> None:
        tok = self.peek()
        if tok.kind != "end":
            raise self.unexpected(tok)

    def close(self, opener: Token) -> None:
        tok = self.peek()
        if tok.kind == _OPENERS[opener.kind]:
            self.take()
            return
        if tok.kind == "end":
            raise ExpressionError(f"'{opener.text}' is never closed", opener.offset)
        raise self.unexpected(tok)

    def enter(self, offset: int) -> None:
        self.level += 1
        if self.level > MAX_NESTING_DEPTH:
            raise nested_too_deeply(offset)

    # --- grammar ---

    def expression(self) -> Expr:
        left = self.term()
        while self.peek().kind in ("+", "-"):
            op = self.take().kind
            left = BinOp(op, left, self.term(), offset=_offset(left))
        return left

    def term(self) -> Expr:
        left = self.unary()
        while self.peek().kind in ("*", "/", "@"):
            op = self.take().kind
            left = BinOp(op, left, self.unary(), offset=_offset(left))
        return left

    def unary(self) -> Expr:
        tok = self.peek()
        if tok.kind not in ("-", "+"):
            return self.power()
        self.take()
        self.enter(tok.offset)
        arg = self.unary()
        self.level -= 1
        if tok.kind == "+":
            return arg
        if isinstance(arg, Num):
            return Num(-arg.value, offset=tok.offset)  # a negative number literal
        return Neg(arg, offset=tok.offset)

    def power(self) -> Expr:
        base = self.postfix()
        if self.peek().kind not in ("**", "^"):
            return base
        tok = self.take()
        self.enter(tok.offset)
        exponent = self.unary()
        self.level -= 1
        return BinOp("^", base, exponent, offset=_offset(base))

    def postfix(self) -> Expr:
        node = self.atom()
        while True:
            kind = self.peek().kind
            if kind == "(" and isinstance(node, Name):
                node = self.call(node)
            elif kind == "[":
                node = self.index(node)
            elif kind == ".":
                node = self.transpose(node)
            else:
                return node

    def atom(self) -> Expr:
        tok = self.take()
        if tok.kind == "num":
            value = _number(tok.text)
            if isinstance(value, float) and not math.isfinite(value):
                raise ExpressionError(
                    f"the number {tok.text} is too large to compute with (at most about 1.8e308); "
                    "scale the problem, or give the constant a name in 'given'", tok.offset)
            return Num(value, offset=tok.offset)
        if tok.kind == "name":
            return Name(tok.text, offset=tok.offset)
        if tok.kind == "(":
            self.enter(tok.offset)
            inner = self.expression()
            self.close(tok)
            self.level -= 1
            return inner
        if tok.kind == "[":
            return self.list_literal(tok)
        self.pos -= 1
        raise self.unexpected(tok)

    def call(self, func: Name) -> Expr:
        opener = self.take()
        self.enter(opener.offset)
        args = self.items(opener)
        self.level -= 1
        return Call(func.id, args, offset=func.offset)

    def list_literal(self, opener: Token) -> Expr:
        self.enter(opener.offset)
        items = self.items(opener)
        self.level -= 1
        return ListLit(items, offset=opener.offset)

    def items(self, opener: Token) -> tuple[Expr, ...]:
        """Comma-separated expressions up to the bracket that closes ``opener``."""
        out: list[Expr] = []
        if self.peek().kind != _OPENERS[opener.kind]:
            out.append(self.expression())
            while self.peek().kind == ",":
                self.take()
                out.append(self.expression())
        self.close(opener)
        return tuple(out)

    def index(self, base: Expr) -> Expr:
        opener = self.take()
        indices = [self.one_index(opener)]
        while self.peek().kind == ",":
            self.take()
            indices.append(self.one_index(opener))
        self.close(opener)
        if 0 in indices:
            end = self.tokens[self.pos - 1].offset + 1
            written = self.text[_offset(base) - self.start : end - self.start]
            raise ExpressionError(f"indices count from 1, so {written} does not exist", opener.offset)
        return Index(base, tuple(indices), offset=_offset(base))

    def one_index(self, opener: Token) -> int:
        tok = self.take()
        if tok.kind == "num" and tok.text.isdigit():
            return int(tok.text)
        if tok.kind in ("]", "end"):
            raise ExpressionError("an index is missing: write x[1] or A[1, 2]", tok.offset)
        raise ExpressionError(
            "an index must be a whole number from 1 up, such as x[2] or A[1, 2]", tok.offset
        )

    def transpose(self, node: Expr) -> Expr:
        dot = self.take()
        attr = self.peek()
        if attr.kind != "name" or attr.text != "T":
            raise ExpressionError("only .T (transpose) may follow a '.'", dot.offset)
        self.take()
        return Transpose(node, offset=_offset(node))


def _offset(e: Expr) -> int:
    return getattr(e, "offset", 0)


def _number(text: str) -> int | float:
    if any(c in text for c in ".eE"):
        return float(text)
    return int(text)


# --- find entries ---------------------------------------------------------------

_FIND_FORM = "write a derivative as d<of>/d<wrt>, e.g. dL/dtheta, df/dx[2] or df/d(s, t)"
_OF = re.compile(r"\s*d([A-Za-z_][A-Za-z0-9_]*)\s*")
_WRT = re.compile(r"\s*d")
_OF_ENTRY = re.compile(r"\s*d([A-Za-z_][A-Za-z0-9_]*)\[([0-9,\s]*)\]\s*")


def parse_find(text: str) -> tuple[str, tuple[Expr, ...]]:
    """``dL/dtheta`` -> ``("L", (Name("theta"),))``; also ``df/dx[2]`` and ``df/d(s, t)``."""
    slash = text.find("/")
    of = _OF.fullmatch(text, 0, slash) if slash >= 0 else None
    entry = _OF_ENTRY.fullmatch(text, 0, slash) if slash >= 0 and of is None else None
    if entry is not None:  # dF[1, 2]/dX: one entry of a result is a define of its own
        name, idx = entry.group(1), [i for i in re.split(r"[,\s]+", entry.group(2)) if i]
        own = f"{name}_{''.join(idx)}"
        by = text[slash + 1:].strip().removeprefix("d").strip()
        written = f"{name}[{', '.join(idx)}]"
        raise ExpressionError(f"to differentiate one entry of {name}, define it ({own}: {written}) "
                              f"and ask for d{own}/d{by}", entry.start(2) - 1)
    wrt = _WRT.match(text, slash + 1) if slash >= 0 else None
    if of is None or wrt is None or not text[wrt.end():].strip():
        raise ExpressionError(_FIND_FORM, 0)
    rest = wrt.end()
    if text[rest:].lstrip().startswith("("):  # d(s, t): read as a call of 'd'
        return of.group(1), _wrt_tuple(parse_expression(text[rest - 1 :], start=rest - 1))
    return of.group(1), (_wrt_one(parse_expression(text[rest:], start=rest)),)


def _wrt_tuple(e: Expr) -> tuple[Expr, ...]:
    if not isinstance(e, Call) or not e.args:
        raise ExpressionError(_FIND_FORM, _offset(e))
    for a in e.args:
        _wrt_one(a)
    return e.args


def _wrt_one(e: Expr) -> Expr:
    if not _is_variable(e):
        raise ExpressionError("differentiate by a variable or a component, such as x or x[2]", _offset(e))
    return e


def _is_variable(e: Expr) -> bool:
    return isinstance(e, Name) or (isinstance(e, Index) and isinstance(e.base, Name))
