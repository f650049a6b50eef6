"""Vevox, the lecture's polling tool: read its poll-results report and match its polls to bank questions.

UNVERIFIED LAYOUT. Vevox publishes no description of its export. The layout read here is the one that
third-party code working with Vevox suggests (see README): an xlsx with an "Attendance" sheet and a
"Polling Results" sheet holding one row per participant, the columns First Name, Last Name, Total
answers correct, then one column per poll whose header is the poll's text and whose cells hold the
participant's answer (the text of the chosen option); "Not Polled" marks a poll the participant was not
asked. The reader is deliberately tolerant where that description is vague: the header row may follow
title rows, further participant columns (e-mail, id) may stand before the polls, and a cell may list
several chosen options separated by ";" or line breaks.

Polls are matched to bank questions by text, ignoring case, whitespace, punctuation and math markup
($...$, $$...$$, \\(...\\), Unicode sub/superscripts); a poll whose text matches nothing closely
enough is listed as unmatched, with the closest question and how close it came.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter

from autograder.intake.inputs import InputError
from autograder.intake.tables import Workbook, is_xlsx
from autograder.terminal import excerpt
from quizzes import mathtext
from quizzes.item_analysis import ResponseMatrix
from quizzes.model import Question, Quiz

POLLING_SHEET = "Polling Results"
ATTENDANCE_SHEET = "Attendance"
NOT_POLLED = "not polled"
PARTICIPANT_COLUMNS = ("first name", "last name", "total answers correct", "email", "email address",
                       "participant", "participant id", "user id", "name")
HEADER_SEARCH_ROWS = 20
# A poll text that is not an exact match (after normalisation) must be this similar to one question.
MIN_SIMILARITY = 0.9
_NUMBERING = re.compile(r"^\s*(?:q(?:uestion)?\s*)?\d+\s*[.:)]\s+", re.I)
_ANSWER_SEPARATORS = re.compile(r"\s*(?:;|\n|\|)\s*")


class VevoxError(ValueError):
    """The Vevox report cannot be read; the message names the file, the sheet and the cell."""


@dataclass(frozen=True)
class PollMatch:
    column: str  # spreadsheet column letter
    poll_text: str
    question_id: str | None  # None: unmatched
    similarity: float  # 1.0 for a match after normalisation
    closest_id: str | None = None  # for an unmatched poll: the nearest question

    @property
    def matched(self) -> bool:
        return self.question_id is not None

    def __str__(self) -> str:
        if self.matched:
            how = "" if self.similarity == 1.0 else f" (approximate, similarity {self.similarity:.2f})"
            return f"column {self.column} {excerpt(self.poll_text, 80)} -> {self.question_id}{how}"
        closest = (f"; closest question {self.closest_id!r} at similarity {self.similarity:.2f} "
                   f"(needs {MIN_SIMILARITY})" if self.closest_id else "")
        return f"column {self.column} {excerpt(self.poll_text, 80)}: no bank question matches{closest}"

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "poll_text": self.poll_text, "question_id": self.question_id,
                "similarity": round(self.similarity, 4), "closest_id": self.closest_id}


@dataclass(frozen=True)
class VevoxResults:
    matrix: ResponseMatrix  # matched and polled questions only
    polls: tuple[PollMatch, ...]  # every poll column, in file order
    not_polled: tuple[str, ...]  # matched question ids whose column holds no answer at all


# --- text matching ------------------------------------------------------------------------------

def text_key(text: str) -> str:
    """Case, whitespace, punctuation and math markup removed: what two spellings of one text share."""
    text = re.sub(r"\\\((.+?)\\\)", r"$\1$", text.replace("$$", "$"), flags=re.S)
    plain = mathtext.to_plain(text)
    plain = unicodedata.normalize("NFKC", plain).casefold()
    return "".join(ch for ch in plain if ch.isalnum())


def _question_keys(question: Question) -> list[str]:
    return [text_key(t) for t in (question.text, question.short_text) if t]


def match_poll(poll_text: str, quiz: Quiz) -> tuple[str | None, float, str | None]:
    """(question id or None, similarity, closest id) for one poll's text."""
    candidates = {text_key(poll_text), text_key(_NUMBERING.sub("", poll_text))} - {""}
    if not candidates:
        return None, 0.0, None
    best_id, best = None, 0.0
    for question in quiz.questions:
        for key in _question_keys(question):
            if key in candidates:
                return question.id, 1.0, question.id
            ratio = max(difflib.SequenceMatcher(None, c, key).ratio() for c in candidates)
            if ratio > best:
                best_id, best = question.id, ratio
    return (best_id if best >= MIN_SIMILARITY else None), best, best_id


def _option_lookup(question: Question) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for option in question.options:
        for text in (option.text, option.short):
            if text:
                lookup.setdefault(text_key(text), option.key)
    return lookup


# --- reading ------------------------------------------------------------------------------------

def polling_sheet(names: list[str]) -> str | None:
    return next((n for n in names if n.casefold() == POLLING_SHEET.casefold()), None)


def is_vevox_report(path: Path) -> bool:
    """True for an xlsx workbook with a "Polling Results" sheet (a damaged file is not one: the votes
    reader says what is wrong with it)."""
    path = Path(path)
    if not is_xlsx(path):
        return False
    try:
        with Workbook(path) as workbook:
            return polling_sheet(workbook.sheet_names) is not None
    except InputError:
        return False


def _cell_text(value: str) -> str:
    return value.strip()


def _header_row(rows: list[list[str]], where: str) -> int:
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = {cell.casefold() for cell in row}
        if "first name" in names and "last name" in names:
            return index
    raise VevoxError(f"{where}: no header row with 'First Name' and 'Last Name' in the first "
                     f"{HEADER_SEARCH_ROWS} rows; is this Vevox's polling-results export?")


def _parse_answer(raw: str, question: Question, lookup: dict[str, str], where: str) -> frozenset[str] | None:
    if raw == "" or raw.casefold() == NOT_POLLED:
        return None
    key = lookup.get(text_key(raw))
    if key is not None:
        return frozenset({key})
    parts = [p for p in _ANSWER_SEPARATORS.split(raw) if p]
    keys = [lookup.get(text_key(p)) for p in parts]
    if len(parts) > 1 and all(keys):
        return frozenset(k for k in keys if k is not None)
    options = "; ".join(f"{o.key}) {o.text}" for o in question.options)
    raise VevoxError(f"{where}: answer {excerpt(raw)} is none of the options of question {question.id!r} "
                     f"({options})")


def read_vevox(path: Path, quiz: Quiz) -> VevoxResults:
    """Per-participant answers to the polls that match a question of ``quiz``."""
    path = Path(path)
    try:
        with Workbook(path) as workbook:
            sheet_name = polling_sheet(workbook.sheet_names)
            if sheet_name is None:
                raise VevoxError(f"{path}: no sheet {POLLING_SHEET!r} (sheets: "
                                 f"{excerpt(', '.join(workbook.sheet_names), 200)})")
            rows = [[_cell_text(v) for v in row] for row in workbook.table(sheet_name).rows]
    except InputError as exc:
        raise VevoxError(str(exc)) from None
    where = f"{path}: sheet {excerpt(sheet_name, 40)}"
    header_index = _header_row(rows, where)
    header = rows[header_index]
    names = [cell.casefold() for cell in header]
    last_fixed = max(i for i, name in enumerate(names) if name in PARTICIPANT_COLUMNS)
    poll_columns = [i for i in range(last_fixed + 1, len(header)) if header[i]]
    if not poll_columns:
        raise VevoxError(f"{where}: the header row {header_index + 1} has no poll columns after "
                         f"{header[last_fixed]!r}")
    # (row number in the sheet, cells) of every non-empty participant row
    body = [(number, row) for number, row in enumerate(rows[header_index + 1:], start=header_index + 2) if any(row)]
    first, last = names.index("first name"), names.index("last name")
    participants = tuple(
        " ".join(p for p in (row[first] if first < len(row) else "", row[last] if last < len(row) else "") if p)
        or f"participant in row {number}" for number, row in body)

    polls: list[PollMatch] = []
    answers: dict[str, tuple[frozenset[str] | None, ...]] = {}
    not_polled: list[str] = []
    used: dict[str, str] = {}     # question id -> the column letter matched to it
    for column in poll_columns:
        letter = get_column_letter(column + 1)
        question_id, similarity, closest = match_poll(header[column], quiz)
        polls.append(PollMatch(letter, header[column], question_id, similarity,
                               None if question_id else closest))
        if question_id is None:
            continue
        if question_id in used:
            raise VevoxError(f"{where}: columns {used[question_id]} and {letter} both match question "
                             f"{question_id!r}; keep one of them (or rename the other poll)")
        used[question_id] = letter
        question, lookup = quiz.question(question_id), _option_lookup(quiz.question(question_id))
        parsed = tuple(_parse_answer(row[column] if column < len(row) else "", question, lookup,
                                     f"{where}, cell {letter}{number}")
                       for number, row in body)
        if all(answer is None for answer in parsed):
            not_polled.append(question_id)
            continue
        answers[question_id] = parsed
    return VevoxResults(ResponseMatrix(participants, answers), tuple(polls), tuple(not_polled))
