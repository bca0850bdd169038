"""A QTI 2.1 content package (``qti.zip``): one ``assessmentItem`` per question, a test per version.

The package holds ``imsmanifest.xml`` (IMS Content Packaging 1.1, one
``imsqti_item_xmlv2p1`` resource per item and one ``imsqti_test_xmlv2p1`` per
version), ``items/<name>.xml`` and ``tests/version-<V>.xml``.  A numeric
question is a ``textEntryInteraction`` of base type float, scored by
``equal`` with ``toleranceMode="absolute"``; a multiple-choice question is a
``choiceInteraction`` with ``maxChoices="1"`` scored by the ``match_correct``
template.  The solution is ``modalFeedback``.  Text is XHTML with TeX
between ``\\( … \\)``.  Everything is built with :mod:`xml.etree.ElementTree`.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence

from derivgen.exam.lmshtml import lms_html, option_html
from derivgen.exam.questions import Question

QTI = "http://www.imsglobal.org/xsd/imsqti_v2p1"
CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
QTI_XSD = "http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd"
CP_XSD = "http://www.imsglobal.org/xsd/imscp_v1p1.xsd"
MATCH_CORRECT = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"
#: A fixed time stamp for the zip's entries: the same exam gives the same bytes.
ZIP_TIME = (2000, 1, 1, 0, 0, 0)



def _q(tag: str) -> str:
    """An element's name; the namespace is declared once on the root (:func:`_root`)."""
    return tag


def _root(tag: str, namespace: str, schema: str, attrs: dict[str, str]) -> ET.Element:
    """A document's root with its default namespace and schema location declared as attributes."""
    return ET.Element(tag, {"xmlns": namespace, "xmlns:xsi": XSI,
                            "xsi:schemaLocation": f"{namespace} {schema}", **attrs})


def item_identifier(q: Question) -> str:
    """An XML identifier (NCName) for the question: ``item-A-2b-numeric``."""
    return "item-" + q.name


def assessment_item(q: Question) -> bytes:
    """One question as a QTI 2.1 ``assessmentItem`` document."""
    version = f"Version {q.version}, " if q.version else ""
    item = _root("assessmentItem", QTI, QTI_XSD, {
        "identifier": item_identifier(q),
        "title": f"{version}{q.title}" + (f", part ({q.part})" if q.part else "") + f", {q.kind}",
        "adaptive": "false", "timeDependent": "false"})
    if q.kind == "numeric":
        _numeric_declarations(item, q)
    else:
        _choice_declarations(item, q)
    _outcomes(item, q)
    body = ET.SubElement(item, _q("itemBody"))
    _xhtml(body, lms_html(q.statement))
    if q.kind == "numeric":
        _numeric_body(body, q)
        _numeric_processing(item, q)
    else:
        _choice_body(body, q)
        ET.SubElement(item, _q("responseProcessing"), template=MATCH_CORRECT)
    feedback = ET.SubElement(item, _q("modalFeedback"), outcomeIdentifier="FEEDBACK",
                             identifier="SOLUTION", showHide="show", title="Solution")
    _xhtml(feedback, lms_html(q.solution))
    return _document(item)


def _numeric_declarations(item: ET.Element, q: Question) -> None:
    response = ET.SubElement(item, _q("responseDeclaration"), identifier="RESPONSE",
                             cardinality="single", baseType="float")
    correct = ET.SubElement(response, _q("correctResponse"))
    ET.SubElement(correct, _q("value")).text = f"{q.answer:.6g}"


def _choice_declarations(item: ET.Element, q: Question) -> None:
    response = ET.SubElement(item, _q("responseDeclaration"), identifier="RESPONSE",
                             cardinality="single", baseType="identifier")
    correct = ET.SubElement(response, _q("correctResponse"))
    right = next(i for i, o in enumerate(q.options) if o.correct)
    ET.SubElement(correct, _q("value")).text = _choice_id(right)


def _outcomes(item: ET.Element, q: Question) -> None:
    score = ET.SubElement(item, _q("outcomeDeclaration"), identifier="SCORE", cardinality="single",
                          baseType="float", normalMaximum=f"{q.points:g}")
    default = ET.SubElement(score, _q("defaultValue"))
    ET.SubElement(default, _q("value")).text = "0"
    maximum = ET.SubElement(item, _q("outcomeDeclaration"), identifier="MAXSCORE", cardinality="single",
                            baseType="float")
    default = ET.SubElement(maximum, _q("defaultValue"))
    ET.SubElement(default, _q("value")).text = f"{q.points:g}"
    ET.SubElement(item, _q("outcomeDeclaration"), identifier="FEEDBACK", cardinality="single",
                  baseType="identifier")


def _numeric_body(body: ET.Element, q: Question) -> None:
    _xhtml(body, lms_html(q.prompt))
    p = ET.SubElement(body, _q("p"))
    p.text = "Your answer: "
    ET.SubElement(p, _q("textEntryInteraction"), responseIdentifier="RESPONSE", expectedLength="12")


def _numeric_processing(item: ET.Element, q: Question) -> None:
    """SCORE is the points when the answer is within the tolerance; the solution is shown either way."""
    processing = ET.SubElement(item, _q("responseProcessing"))
    condition = ET.SubElement(processing, _q("responseCondition"))
    when = ET.SubElement(condition, _q("responseIf"))
    equal = ET.SubElement(when, _q("equal"), toleranceMode="absolute",
                          tolerance=f"{q.tolerance:g} {q.tolerance:g}")
    ET.SubElement(equal, _q("variable"), identifier="RESPONSE")
    ET.SubElement(equal, _q("correct"), identifier="RESPONSE")
    _set(when, "SCORE", "float", f"{q.points:g}")
    otherwise = ET.SubElement(condition, _q("responseElse"))
    _set(otherwise, "SCORE", "float", "0")
    shown = ET.SubElement(processing, _q("setOutcomeValue"), identifier="FEEDBACK")
    ET.SubElement(shown, _q("baseValue"), baseType="identifier").text = "SOLUTION"


def _set(parent: ET.Element, outcome: str, base_type: str, value: str) -> None:
    el = ET.SubElement(parent, _q("setOutcomeValue"), identifier=outcome)
    ET.SubElement(el, _q("baseValue"), baseType=base_type).text = value


def _choice_body(body: ET.Element, q: Question) -> None:
    interaction = ET.SubElement(body, _q("choiceInteraction"), responseIdentifier="RESPONSE",
                                shuffle="false", maxChoices="1")
    prompt = ET.SubElement(interaction, _q("prompt"))
    prompt.text = _inline_text(lms_html(q.prompt))
    for i, option in enumerate(q.options):
        ET.SubElement(interaction, _q("simpleChoice"), identifier=_choice_id(i)).text = \
            _inline_text(option_html(option))


def _choice_id(i: int) -> str:
    return f"choice{i + 1}"


def _xhtml(parent: ET.Element, html: str) -> None:
    """Block HTML as XHTML elements in the QTI namespace (markdown-it writes well-formed XHTML)."""
    wrapper = ET.fromstring(f"<div>{html}</div>")
    for child in wrapper:
        parent.append(_in_qti(child))


def _in_qti(el: ET.Element) -> ET.Element:
    """XHTML elements as QTI's (the same names, in the document's default namespace)."""
    return el


def _inline_text(html: str) -> str:
    """HTML reduced to its text (a prompt and a choice hold text with TeX, no markup)."""
    return "".join(ET.fromstring(f"<div>{html}</div>").itertext())


def _document(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


# --- the test per version and the manifest -------------------------------------------------------


def assessment_test(exam_title: str, version: str, questions: Sequence[Question]) -> bytes:
    """The version's questions in order, as one ``assessmentTest`` (a test part, a section)."""
    ident = f"test-{version or 'exam'}"
    test = _root("assessmentTest", QTI, QTI_XSD, {
        "identifier": ident, "title": exam_title + (f", version {version}" if version else "")})
    part = ET.SubElement(test, _q("testPart"), identifier="part1", navigationMode="nonlinear",
                         submissionMode="simultaneous")
    section = ET.SubElement(part, _q("assessmentSection"), identifier="section1", title="Questions",
                            visible="true")
    for q in questions:
        ET.SubElement(section, _q("assessmentItemRef"), identifier=item_identifier(q),
                      href=f"../items/{q.name}.xml")
    return _document(test)


def manifest(exam_title: str, questions: Sequence[Question]) -> bytes:
    """``imsmanifest.xml``: every item and every version's test as a resource."""
    root = _root("manifest", CP, CP_XSD, {"identifier": "derivgen-exam"})
    meta = ET.SubElement(root, "metadata")
    ET.SubElement(meta, "schema").text = "QTIv2.1 Package"
    ET.SubElement(meta, "schemaversion").text = "1.0.0"
    ET.SubElement(root, "organizations")
    resources = ET.SubElement(root, "resources")
    for version in dict.fromkeys(q.version for q in questions):
        href = f"tests/version-{version or 'exam'}.xml"
        res = ET.SubElement(resources, "resource", identifier=f"test-{version or 'exam'}",
                            type="imsqti_test_xmlv2p1", href=href)
        ET.SubElement(res, "file", href=href)
        for q in questions:
            if q.version == version:
                ET.SubElement(res, "dependency", identifierref=item_identifier(q))
    for q in questions:
        href = f"items/{q.name}.xml"
        res = ET.SubElement(resources, "resource", identifier=item_identifier(q),
                            type="imsqti_item_xmlv2p1", href=href)
        ET.SubElement(res, "file", href=href)
    return _document(root)


def qti_package(exam_title: str, questions: Sequence[Question]) -> bytes:
    """The zip: manifest, items, tests; fixed time stamps, so the same exam gives the same bytes."""
    files = {"imsmanifest.xml": manifest(exam_title, questions)}
    for version in dict.fromkeys(q.version for q in questions):
        mine = [q for q in questions if q.version == version]
        files[f"tests/version-{version or 'exam'}.xml"] = assessment_test(exam_title, version, mine)
    for q in questions:
        files[f"items/{q.name}.xml"] = assessment_item(q)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(zipfile.ZipInfo(name, ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
