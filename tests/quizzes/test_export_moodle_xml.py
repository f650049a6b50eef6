"""Moodle XML has no published XSD and Moodle's importer reports nothing, so its structure is checked here."""
from __future__ import annotations

import base64

import pytest
from lxml import etree

from quizzes.export import export_quiz
from quizzes.export.base import cdata
from quizzes.export.weights import MOODLE_GRADES, moodle_grade

REQUIRED = ("name/text", "questiontext/text", "generalfeedback/text", "defaultgrade", "penalty", "hidden",
            "single", "shuffleanswers", "answernumbering")


@pytest.fixture
def moodle_root(all_quiz, tmp_path):
    return etree.parse(str(export_quiz(all_quiz, "moodle-xml", tmp_path / "q.xml").path)).getroot()


def test_structure_is_what_moodle_imports(moodle_root, all_quiz):
    assert moodle_root.tag == "quiz"
    assert moodle_root[0].get("type") == "category"
    assert moodle_root[0].findtext("category/text") == "$course$/top/learnathon/all"
    questions = moodle_root.findall("question[@type='multichoice']")
    assert [q.findtext("name/text") for q in questions] == [q.id for q in all_quiz.questions]
    for node, question in zip(questions, all_quiz.questions):
        for path in REQUIRED:
            assert node.find(path) is not None, (question.id, path)
        assert node.find("questiontext").get("format") == "html"
        assert node.findtext("single") == ("false" if question.multiple_correct else "true")
        assert node.findtext("shuffleanswers") in ("true", "false", "0", "1")
        assert node.findtext("answernumbering") in ("abc", "ABCD", "123", "iii", "IIII", "none")
        fractions = [float(a.get("fraction")) for a in node.findall("answer")]
        assert all(f"{abs(f):g}" in {f"{float(g):g}" for g in MOODLE_GRADES} or f == 0 for f in fractions)
        assert sum(f for f in fractions if f > 0) == pytest.approx(100, abs=0.01)
        assert [f > 0 for f in fractions] == [o.correct for o in question.options]


def test_figure_travels_as_a_plugin_file(moodle_root):
    [node] = moodle_root.xpath("question[name/text='rising-learning-curve']")
    embedded = node.find("questiontext/file")
    assert embedded.get("encoding") == "base64"
    assert base64.b64decode(embedded.text).decode("utf-8").startswith("<svg")
    assert f'src="@@PLUGINFILE@@/{embedded.get("name")}"' in node.findtext("questiontext/text")


def test_entities_and_cdata_survive(nasty_quiz, tmp_path):
    root = etree.parse(str(export_quiz(nasty_quiz, "moodle-xml", tmp_path / "n.xml").path)).getroot()
    text = root.find("question[@type='multichoice']").findtext("questiontext/text")
    assert "&amp; &lt; &gt; ]]&gt;" in text and "\\(" not in text
    assert str(cdata("a ]]> b")) == "<![CDATA[a ]]]]><![CDATA[> b]]>"
    assert etree.fromstring(f"<t>{cdata('a ]]> b')}</t>").text == "a ]]> b"


def test_moodle_grade_refuses_values_moodle_would_reject():
    assert moodle_grade(100 / 3) == "33.33333" and moodle_grade(-50) == "-50"
    with pytest.raises(ValueError, match="not a grade Moodle accepts"):
        moodle_grade(100 / 7.5)
