"""Canvas QTI 1.2 zip: the layout Canvas (and text2qti, the reference) uses, XML that parses, and
scoring that marks the right options. No IMS QTI 1.2 XSD is available offline (no PyPI package ships
ims_qtiasiv1p2p1.xsd), so the schema is not validated; the structure is checked against text2qti's."""
from __future__ import annotations

import re
import zipfile

import pytest
from lxml import etree

from quizzes.export import export_quiz

IMSCP = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"
CANVAS = "{http://canvas.instructure.com/xsd/cccv1p0}"
QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"


def layout(names: list[str]) -> list[str]:
    """File layout with the assessment identifier abstracted away."""
    ident = next(n.split("/")[0] for n in names if n.endswith("/assessment_meta.xml"))
    return sorted(n.replace(ident, "<id>") for n in names)


@pytest.fixture(scope="module")
def text2qti_zip(tmp_path_factory):
    from text2qti.config import Config
    from text2qti.qti import QTI as Text2QTI
    from text2qti.quiz import Quiz as Text2Quiz
    source = "Quiz title: reference\n\n1.  Single?\na)  no\n*b) yes\n\n2.  Several?\n[*] one\n[ ] two\n[*] three\n"
    config = Config()
    config.load()
    quiz = Text2Quiz(source, config=config, source_name="reference.md")
    path = tmp_path_factory.mktemp("t2q") / "reference.zip"
    Text2QTI(quiz).save(path)
    return path


@pytest.fixture(scope="module")
def our_zip(tmp_path_factory):
    from quizzes.catalog import get_quiz
    return export_quiz(get_quiz("all", 3), "qti", tmp_path_factory.mktemp("qti") / "all.zip").path


def test_zip_layout_matches_text2qti(our_zip, text2qti_zip):
    with zipfile.ZipFile(our_zip) as ours, zipfile.ZipFile(text2qti_zip) as reference:
        assert layout(ours.namelist()) == layout(reference.namelist()) == [
            "<id>/<id>.xml", "<id>/assessment_meta.xml", "imsmanifest.xml", "non_cc_assessments/"]
        for name in ours.namelist():
            if name.endswith(".xml"):
                etree.fromstring(ours.read(name))  # raises if not well-formed


def test_manifest_resources_point_at_files_in_the_zip(our_zip):
    with zipfile.ZipFile(our_zip) as archive:
        manifest = etree.fromstring(archive.read("imsmanifest.xml"))
        names = set(archive.namelist())
    assert manifest.tag == f"{IMSCP}manifest"
    assert manifest.findtext(f"{IMSCP}metadata/{IMSCP}schema") == "IMS Content"
    assert manifest.findtext(f"{IMSCP}metadata/{IMSCP}schemaversion") == "1.1.3"
    resources = {r.get("identifier"): r for r in manifest.iter(f"{IMSCP}resource")}
    [assessment] = [r for r in resources.values() if r.get("type") == "imsqti_xmlv1p2"]
    assert assessment.find(f"{IMSCP}file").get("href") in names
    dependency = resources[assessment.find(f"{IMSCP}dependency").get("identifierref")]
    assert dependency.get("type") == "associatedcontent/imscc_xmlv1p1/learning-application-resource"
    assert dependency.get("href").endswith("/assessment_meta.xml") and dependency.get("href") in names


def test_meta_and_items(our_zip):
    with zipfile.ZipFile(our_zip) as archive:
        meta_name = next(n for n in archive.namelist() if n.endswith("assessment_meta.xml"))
        meta = etree.fromstring(archive.read(meta_name))
        items_name = meta_name.replace("assessment_meta.xml", meta_name.split("/")[0] + ".xml")
        root = etree.fromstring(archive.read(items_name))
    assert meta.tag == f"{CANVAS}quiz"
    items = list(root.iter(f"{QTI}item"))
    assert float(meta.findtext(f"{CANVAS}points_possible")) == len(items) == 29
    for item in items:
        fields = {f.findtext(f"{QTI}fieldlabel"): f.findtext(f"{QTI}fieldentry")
                  for f in item.iter(f"{QTI}qtimetadatafield")}
        response = item.find(f".//{QTI}response_lid")
        multiple = fields["question_type"] == "multiple_answers_question"
        assert response.get("rcardinality") == ("Multiple" if multiple else "Single")
        labels = [label.get("ident") for label in response.iter(f"{QTI}response_label")]
        assert fields["original_answer_ids"].split(",") == labels
        feedback_ids = {fb.get("ident") for fb in item.findall(f"{QTI}itemfeedback")}
        for display in item.iter(f"{QTI}displayfeedback"):
            assert display.get("linkrefid") in feedback_ids
        scoring = [c for c in item.iter(f"{QTI}respcondition") if c.find(f"{QTI}setvar") is not None]
        assert len(scoring) == 1 and scoring[0].findtext(f"{QTI}setvar") == "100"
        if multiple:
            assert scoring[0].find(f"{QTI}conditionvar/{QTI}and") is not None


def test_identifiers_are_stable(all_quiz, tmp_path):
    first = export_quiz(all_quiz, "qti", tmp_path / "a.zip").path.read_bytes()
    second = export_quiz(all_quiz, "qti", tmp_path / "b.zip").path.read_bytes()
    assert first == second
    assert re.fullmatch(r"g[0-9a-f]{32}/", zipfile.ZipFile(tmp_path / "a.zip").namelist()[1].split("/")[0] + "/")


def test_every_html_text_is_more_than_one_text_node_so_canvas_files_it_as_html(our_zip, nasty_quiz, tmp_path):
    """Canvas's QTI import (Qti::AssessmentItemConverter#detect_html) treats an html text as HTML only if,
    parsed, it is more than a container of a single text node; otherwise it keeps the raw text, and
    ``a -&gt; b`` reaches the students as typed (issue 23). Question text and feedback come wrapped in <p>."""
    from lxml import html as lxml_html

    nasty = export_quiz(nasty_quiz, "qti", tmp_path / "nasty.zip").path
    for path in (our_zip, nasty):
        with zipfile.ZipFile(path) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".xml") and "/" in n and "meta" not in n)
            root = etree.fromstring(archive.read(name))
        texts = [m.text for m in root.iter(f"{QTI}mattext") if m.getparent().getparent().tag != f"{QTI}response_label"]
        assert len(texts) >= 2 * len(root.findall(f'.//{QTI}item'))     # question text and feedback
        for text in texts:
            fragment = lxml_html.fragment_fromstring(text, create_parent="div")
            assert len(fragment) >= 1 and not (fragment.text or "").strip(), text
        assert any("&gt;" in text for text in texts)      # the nasty bank's ">" is in there, escaped once
