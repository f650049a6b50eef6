"""Independent readers for every export format, used to prove that exports parse back to the bank.

They are written from each consumer's documented behaviour, not from the exporters' code:
the GIFT reader follows Moodle's importer (question/format/gift/format.php: placeholders for
escaped characters, first "{" to first "}", "####" general feedback, "~" splitting, "%n%" weights).
pygiftparser is also used where it works; it mis-reads answers containing an escaped "}" (its answer
regex stops at "\\}"), so it cannot be the only GIFT check.
"""
from __future__ import annotations

import csv
import html
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html
from lxml import etree
from openpyxl import load_workbook


@dataclass
class ParsedQuestion:
    id: str | None
    text: str
    options: list[tuple[str, bool]]
    explanations: list[str] = field(default_factory=list)
    general: str = ""
    weights: list[float] = field(default_factory=list)


def lms_html_to_bank(markup: str) -> str:
    """HTML with \\( \\) math (Moodle, Canvas) back to bank text with $ $ math."""
    text = html.unescape(markup)
    return re.sub(r"\\\((.+?)\\\)", lambda m: "$" + m.group(1) + "$", text, flags=re.S)


# --- GIFT, after Moodle's importer ---------------------------------------------------------------

_PLACEHOLDERS = {"\\:": "&&058;", "\\#": "&&035;", "\\=": "&&061;", "\\{": "&&123;", "\\}": "&&125;",
                 "\\~": "&&126;", "\\n": "&&010"}
_CHARACTERS = {"&&058;": ":", "&&035;": "#", "&&061;": "=", "&&123;": "{", "&&125;": "}", "&&126;": "~",
               "&&010": "\n"}
_WEIGHT = re.compile(r"^%(-*)([0-9]{1,2})\.?([0-9]*)%")


def _escaped_pre(text: str) -> str:
    text = text.replace("\\\\", "&&092;")
    for escaped, placeholder in _PLACEHOLDERS.items():
        text = text.replace(escaped, placeholder)
    return text.replace("&&092;", "\\")


def _escaped_post(text: str) -> str:
    for placeholder, character in _CHARACTERS.items():
        text = text.replace(placeholder, character)
    return text


_FORMAT_NAMES = ("html", "moodle", "plain", "markdown")


def _text_with_format(text: str) -> str:
    """parse_text_with_format: a leading [name] is a format marker only if Moodle knows the name."""
    text = text.strip()
    if text.startswith("[") and "]" in text and text[1:text.index("]")] in _FORMAT_NAMES:
        text = text[text.index("]") + 1:]
    return _escaped_post(text).strip()


def read_gift(text: str) -> list[ParsedQuestion]:
    blocks, current = [], []
    for line in text.splitlines():
        if line.strip() == "":
            if current:
                blocks.append(current)
            current = []
        else:
            current.append(line)
    if current:
        blocks.append(current)
    questions = []
    for lines in blocks:
        body = "\n".join(" " if line.strip().startswith("//") else line.strip() for line in lines).strip()
        if not body:
            continue
        body = _escaped_pre(body)
        if body.startswith("$CATEGORY:"):
            continue
        name = None
        if body.startswith("::"):
            end = body.index("::", 2)
            name, body = _escaped_post(body[2:end]), body[end + 2:].strip()
        start, finish = body.find("{"), body.find("}")
        if start < 0 or finish < 0:
            raise ValueError(f"GIFT: question {name!r} has unbalanced braces")
        if body[finish + 1:].strip():
            raise ValueError(f"GIFT: question {name!r} has text after its answers: {body[finish + 1:]!r}")
        answers = body[start + 1:finish].strip()
        question_text = body[:start]
        general = ""
        if "####" in answers:
            split = answers.rindex("####")
            general, answers = answers[split + 4:], answers[:split].strip()
        if "~" not in answers:
            raise ValueError(f"GIFT: question {name!r} is not multiple choice (no ~ in its answers)")
        parts = [p.strip() for p in answers.replace("=", "~=").split("~")]
        if parts and parts[0] == "":
            parts = parts[1:]
        parsed = ParsedQuestion(name, html_to_bank(_text_with_format(question_text)), [],
                                general=html_to_bank(_text_with_format(general)))
        for part in parts:
            if part.startswith("="):
                weight, part = 100.0, part[1:]
            elif (match := _WEIGHT.match(part)):
                magnitude = float(f"{match.group(2)}.{match.group(3) or 0}")
                weight = -magnitude if match.group(1) else magnitude
                part = part[match.end():]
            else:
                weight = 0.0
            answer, _, feedback = part.partition("#")
            parsed.options.append((html_to_bank(_text_with_format(answer)), weight > 0))
            parsed.explanations.append(html_to_bank(_text_with_format(feedback)))
            parsed.weights.append(weight)
        questions.append(parsed)
    return questions


def html_to_bank(markup: str) -> str:
    return lms_html_to_bank(markup)


# --- Moodle XML --------------------------------------------------------------------------------

def _strip_paragraph(markup: str) -> str:
    markup = re.sub(r"<p><img [^>]*></p>", "", markup)
    match = re.fullmatch(r"<p>(.*)</p>", markup, flags=re.S)
    return match.group(1) if match else markup


def read_moodle_xml(path: Path) -> list[ParsedQuestion]:
    root = etree.parse(str(path)).getroot()
    questions = []
    for node in root.findall("question[@type='multichoice']"):
        parsed = ParsedQuestion(
            node.findtext("name/text"), lms_html_to_bank(_strip_paragraph(node.findtext("questiontext/text"))), [],
            general=lms_html_to_bank(node.findtext("generalfeedback/text") or ""))
        for answer in node.findall("answer"):
            weight = float(answer.get("fraction"))
            parsed.options.append((lms_html_to_bank(answer.findtext("text")), weight > 0))
            parsed.explanations.append(lms_html_to_bank(answer.findtext("feedback/text") or ""))
            parsed.weights.append(weight)
        questions.append(parsed)
    return questions


# --- Canvas QTI --------------------------------------------------------------------------------

QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"


def qti_assessment(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.endswith(".xml") and "/" in n
                 and not n.endswith("assessment_meta.xml")]
        return etree.fromstring(archive.read(names[0]))


def read_qti(path: Path) -> list[ParsedQuestion]:
    root = qti_assessment(path)
    questions = []
    for item in root.iter(f"{QTI}item"):
        text = item.find(f"{QTI}presentation/{QTI}material/{QTI}mattext").text
        labels = item.findall(f".//{QTI}response_label")
        correct: set[str] = set()
        for condition in item.iter(f"{QTI}respcondition"):
            setvar = condition.find(f"{QTI}setvar")
            if setvar is None or setvar.text.strip() != "100":
                continue
            for equal in condition.iter(f"{QTI}varequal"):
                if equal.getparent().tag != f"{QTI}not":
                    correct.add(equal.text.strip())
        feedback = {fb.get("ident"): _strip_paragraph(fb.find(f".//{QTI}mattext").text or "")
                    for fb in item.findall(f"{QTI}itemfeedback")}
        parsed = ParsedQuestion(item.get("title"), lms_html_to_bank(_strip_paragraph(text)), [],
                                general=lms_html_to_bank(feedback.get("general_fb", "")))
        for label in labels:
            ident = label.get("ident")
            parsed.options.append((lms_html_to_bank(label.find(f".//{QTI}mattext").text), ident in correct))
            parsed.explanations.append(lms_html_to_bank(feedback.get(f"{ident}_fb", "")))
        questions.append(parsed)
    return questions


# --- Kahoot --------------------------------------------------------------------------------------

KAHOOT_QUESTION_HEADER = "Question - max 120 characters"


def read_kahoot(path: Path) -> list[ParsedQuestion]:
    sheet = load_workbook(path).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header_index = next(i for i, row in enumerate(rows) if KAHOOT_QUESTION_HEADER in row)
    header = rows[header_index]
    q_col = header.index(KAHOOT_QUESTION_HEADER)
    answer_cols = [header.index(f"Answer {n} - max 75 characters") for n in range(1, 5)]
    correct_col = header.index("Correct answer(s) - choose at least one")
    questions = []
    for row in rows[header_index + 1:]:
        if row[q_col] in (None, ""):
            continue
        answers = [row[c] for c in answer_cols if row[c] not in (None, "")]
        correct = {int(n) for n in str(row[correct_col]).split(",")}
        questions.append(ParsedQuestion(None, row[q_col], [(str(a), i + 1 in correct) for i, a in enumerate(answers)]))
    return questions


# --- Particify -----------------------------------------------------------------------------------

def read_particify(path: Path) -> list[ParsedQuestion]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    questions = []
    for row in rows:
        # Particify renders Markdown: the export escapes it, the reader takes the escapes off again.
        options = row["options"].split("\n")
        correct = set(row["correctOptions"].split("\n"))
        questions.append(ParsedQuestion(None, markdown_unescape(row["body"]),
                                        [(markdown_unescape(o), o in correct) for o in options]))
    return questions


# --- Vevox (unverified format: polls.json in a zip) -------------------------------------------------------

def vevox_to_bank(text: str) -> str:
    return re.sub(r"\$\$(.+?)\$\$", lambda m: "$" + m.group(1) + "$", text, flags=re.S)


def read_vevox_zip(path: Path) -> list[ParsedQuestion]:
    import json

    with zipfile.ZipFile(path) as archive:
        if archive.namelist() != ["polls.json"]:
            raise ValueError(f"Vevox zip holds {archive.namelist()}, expected only polls.json")
        polls = json.loads(archive.read("polls.json"))
    questions = []
    for poll in polls:
        if poll["@type"] != "MultipleChoiceQuestion":
            raise ValueError(f"unexpected @type {poll['@type']!r}")
        correct = sum(c["isCorrectAnswer"] for c in poll["choices"])
        if not 1 == poll["minNumberSelections"] <= poll["maxNumberSelections"] == correct:
            raise ValueError(f"selection limits {poll['minNumberSelections']}..{poll['maxNumberSelections']} "
                             f"do not fit {correct} correct choice(s)")
        questions.append(ParsedQuestion(None, vevox_to_bank(poll["text"]),
                                        [(vevox_to_bank(c["text"]), c["isCorrectAnswer"]) for c in poll["choices"]],
                                        general=vevox_to_bank(poll["correctAnswerExplanation"])))
    return questions


# --- HTML deck and handout -------------------------------------------------------------------------

def _text_with_math(element) -> str:
    """Element text with every MathML span replaced by $<its data-tex>$."""
    clone = lxml.html.fromstring(lxml.html.tostring(element, encoding="unicode"))
    for span in clone.xpath(".//span[@class='math']"):
        tail = span.tail
        replacement = lxml.html.fromstring("<span></span>")
        replacement.text = "$" + span.get("data-tex") + "$"
        replacement.tail = tail
        span.getparent().replace(span, replacement)
    return clone.text_content()


def read_deck(path: Path) -> list[ParsedQuestion]:
    document = lxml.html.parse(str(path)).getroot()
    questions = []
    for slide in document.xpath("//section[contains(@class, 'question')]"):
        parsed = ParsedQuestion(slide.get("data-question-id"),
                                _text_with_math(slide.xpath(".//*[@class='question-text']")[0]), [])
        for item in slide.xpath(".//li[contains(@class, 'option')]"):
            parsed.options.append((_text_with_math(item.xpath(".//*[@class='option-text']")[0]),
                                   item.get("data-correct") == "true"))
            parsed.explanations.append(_text_with_math(item.xpath(".//*[@class='explanation']")[0]))
        questions.append(parsed)
    return questions


def read_handout(path: Path) -> list[ParsedQuestion]:
    document = lxml.html.parse(str(path)).getroot()
    keys = {row.get("data-question-id"): row.xpath(".//td[@class='key']")[0].text_content().split(", ")
            for row in document.xpath("//section[@class='answer-key']//tr[@data-question-id]")}
    questions = []
    for block in document.xpath("//div[@class='question']"):
        qid = block.get("data-question-id")
        parsed = ParsedQuestion(qid, _text_with_math(block.xpath(".//*[@class='question-text']")[0]), [])
        for item in block.xpath(".//ol[@class='options']/li"):
            parsed.options.append((_text_with_math(item.xpath(".//*[@class='option-text']")[0]),
                                   item.get("data-key") in keys[qid]))
        questions.append(parsed)
    return questions


# --- Markdown ------------------------------------------------------------------------------------------

_MD_OPTION = re.compile(r"^- \[(?P<mark>[ x])\] \*\*(?P<key>[A-H])\.\*\* (?P<text>.*)$")


def markdown_unescape(text: str) -> str:
    pieces = re.split(r"(?<!\\)(\$.+?(?<!\\)\$)", text)
    return "".join(p if p.startswith("$") and p.endswith("$") and len(p) > 1
                   else re.sub(r"\\(.)", r"\1", p) for p in pieces)


def read_markdown(path: Path) -> list[ParsedQuestion]:
    questions: list[ParsedQuestion] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        match = re.fullmatch(r"<!-- id: (\S+) -->", line)
        if match:
            # Layout: id comment, section line, blank, question text.
            questions.append(ParsedQuestion(match.group(1), markdown_unescape(lines[index + 3]), []))
            continue
        option = _MD_OPTION.match(line)
        if option and questions:
            questions[-1].options.append((markdown_unescape(option.group("text")), option.group("mark") == "x"))
    return questions
