"""Moodle XML (``moodle.xml``): every version's questions, for Moodle's question bank import.

One ``category`` per version (``$course$/<exam>/Version A``), so a quiz can draw
one random question per slot from a version, or one version per student.  A
``numerical`` question has one answer at fraction 100 with its ``<tolerance>``;
a ``multichoice`` question is single-answer with exactly one answer at fraction
100 and the others at 0, each with the feedback that names the mistake.  Text
is HTML with TeX between ``\\( … \\)`` for Moodle's MathJax filter.  Built with
:mod:`xml.etree.ElementTree` (every string is escaped by the library).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from derivgen.exam.lmshtml import lms_html, option_html
from derivgen.exam.questions import Question

#: Moodle's question types for derivgen's kinds.
MOODLE_TYPE = {"numeric": "numerical", "choice": "multichoice", "error": "multichoice"}


def moodle_xml(exam_title: str, questions: Sequence[Question]) -> bytes:
    """The quiz as Moodle XML, UTF-8 with an XML declaration."""
    quiz = ET.Element("quiz")
    for version in dict.fromkeys(q.version for q in questions):
        _category(quiz, exam_title, version)
        for q in questions:
            if q.version == version:
                quiz.append(question_element(q))
    ET.indent(quiz)
    return ET.tostring(quiz, encoding="utf-8", xml_declaration=True) + b"\n"


def _category(quiz: ET.Element, exam_title: str, version: str) -> None:
    path = f"$course$/top/{_plain(exam_title)}" + (f"/Version {version}" if version else "")
    q = ET.SubElement(quiz, "question", type="category")
    _text(ET.SubElement(q, "category"), path)


def question_element(q: Question) -> ET.Element:
    """One ``<question>``: name, text, grade, general feedback and its answers."""
    el = ET.Element("question", type=MOODLE_TYPE[q.kind])
    version = f"Version {q.version}, " if q.version else ""
    _text(ET.SubElement(el, "name"), f"{version}{q.title} ({q.number}{q.part}, {q.kind})")
    _html(el, "questiontext", lms_html(q.statement + "\n\n" + q.prompt))
    _html(el, "generalfeedback", lms_html(q.solution))
    ET.SubElement(el, "defaultgrade").text = f"{q.points:g}"
    ET.SubElement(el, "penalty").text = "0"
    ET.SubElement(el, "hidden").text = "0"
    if q.kind == "numeric":
        _numerical(el, q)
    else:
        _multichoice(el, q)
    return el


def _numerical(el: ET.Element, q: Question) -> None:
    answer = ET.SubElement(el, "answer", fraction="100", format="moodle_auto_format")
    _text(answer, f"{q.answer:.6g}")
    ET.SubElement(answer, "tolerance").text = f"{q.tolerance:g}"
    _html(answer, "feedback", "<p>Right.</p>")
    units = ET.SubElement(el, "unitgradingtype")
    units.text = "0"
    ET.SubElement(el, "showunits").text = "3"  # no units asked for


def _multichoice(el: ET.Element, q: Question) -> None:
    ET.SubElement(el, "single").text = "true"
    ET.SubElement(el, "shuffleanswers").text = "true"
    ET.SubElement(el, "answernumbering").text = "abc"
    for option in q.options:
        answer = ET.SubElement(el, "answer", fraction="100" if option.correct else "0", format="html")
        _text(answer, option_html(option))
        _html(answer, "feedback", lms_html(option.feedback))
    _html(el, "correctfeedback", "<p>Right.</p>")
    _html(el, "incorrectfeedback", "<p>Not this one: see the feedback on your choice.</p>")
    _html(el, "partiallycorrectfeedback", "")


def _html(parent: ET.Element, tag: str, html: str) -> None:
    _text(ET.SubElement(parent, tag, format="html"), html)


def _text(parent: ET.Element, text: str) -> None:
    ET.SubElement(parent, "text").text = text


def _plain(text: str) -> str:
    """A category name: one line, no ``/`` (Moodle's path separator)."""
    return " ".join(text.replace("/", "-").split())
