"""Random hostile inputs for `collect` and `quiz results` (hypothesis strategies) and the properties they must keep.

A download (``Download``) is plain data: the platform, and the members a hostile student (or a damaged
archive) put between Ada, whose upload comes first, and Zed, whose upload comes last. What a student
controls is drawn wildly: their name on the platform (Moodle's full name, Canvas's sortable name), the
file name and the bytes they upload; the ids the platform writes are their own. Damaged archives add
members with arbitrary names, symbolic links and repeated names. ``collect_survives`` runs `learnathon
collect` on it and returns the violated properties: a traceback, Ada or Zed not placed with their exact
bytes, a raw control character on the terminal, a formula cell in the mapping file, a name that does not
read back.

A results file (``ResultsFile``) is a vote table or a Vevox report with hostile cells (between an honest
participant first and last), or the bytes of an honest workbook with random damage. ``results_survive``
reads it as `quiz results` does and returns the violated properties: an exception other than the one
clear ``ResultsError`` line, a raw control character in that line, or honest participants not counted.
"""
from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

from archives import Entry, canvas_name, moodle_folder, write_zip
from fuzz import PATHS, _replace, json_values
from hostile_inputs import ESCAPES, FORMULAS, POISON_JSON, RAW_CONTROL, honest_xlsx, rewrite_parts
from hw_course import ASSIGNMENT, part
from hypothesis import strategies as st

HONEST_IDS = {"moodle": (8675301, 8675399), "canvas": (8675301, 8675399)}     # Ada, Zed: ids no draw reaches
HONEST_PART = part("one", "def relu(z):\n    return z  # honest\n")
HONEST_JSON = json.loads(HONEST_PART)


# --- collect ----------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Member:
    person: str          # the student's name on the platform (or, for "raw", the whole member name)
    own_id: int
    file: str
    content: tuple       # (kind, *details)
    kind: str = "upload"   # "upload", "raw", "symlink", "repeat"


@dataclasses.dataclass(frozen=True)
class Download:
    platform: str
    members: tuple[Member, ...]


_odd = st.sampled_from(ESCAPES + FORMULAS + ["..", "/", "\\", "_", "__2__", "_LATE", "anon_", ",", " ", "\u00a0",
                                             "_8675301_", "0", "ipynb", ".ipynb", "\x00", "\udcff"])
_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30)
names = st.lists(st.one_of(_text, _odd), min_size=0, max_size=5).map("".join)
contents = st.one_of(
    st.tuples(st.just("honest")),
    st.tuples(st.just("poison"), st.sampled_from(sorted(POISON_JSON))),
    st.tuples(st.just("retype"), st.sampled_from(PATHS), json_values),
    st.tuples(st.just("truncated"), st.floats(0.0, 1.0, allow_subnormal=False)),
    st.tuples(st.just("bytes"), st.binary(max_size=400)),
    st.tuples(st.just("part_two")),
)
members = st.builds(Member, person=names, own_id=st.integers(1, 99_999), file=names, content=contents,
                    kind=st.sampled_from(["upload", "upload", "upload", "raw", "symlink", "repeat"]))
downloads = st.builds(Download, platform=st.sampled_from(["moodle", "canvas"]),
                      members=st.lists(members, min_size=1, max_size=8).map(tuple))


def content_bytes(content: tuple) -> bytes:
    kind = content[0]
    if kind == "honest":
        return HONEST_PART
    if kind == "poison":
        return POISON_JSON[content[1]]
    if kind == "retype":
        return json.dumps(_replace(HONEST_JSON, content[1], content[2])).encode()
    if kind == "truncated":
        return HONEST_PART[: int(len(HONEST_PART) * content[1])]
    if kind == "part_two":
        return part("two")
    return content[1]


def member_name(platform: str, person: str, own_id: int, file: str) -> str:
    if platform == "moodle":
        # Moodle writes underscores in a full name as spaces; a folder separator cannot be in a name.
        return f"{moodle_folder(person.replace('_', ' ').replace('/', ' '), own_id)}/{file.replace('/', ' ') or 'x'}"
    return canvas_name(person, own_id, 10_000 + own_id, file or "x")


def honest_members(platform: str) -> tuple[Entry, Entry, dict[str, str]]:
    ada, zed = HONEST_IDS[platform]
    if platform == "moodle":
        first, last = (Entry(f"{moodle_folder('Ada Alpha', ada)}/part_one.ipynb", HONEST_PART),
                       Entry(f"{moodle_folder('Zed Zulu', zed)}/part_one.ipynb", HONEST_PART))
        return first, last, {"ada": f"ada-alpha-{ada}", "zed": f"zed-zulu-{zed}"}
    first, last = (Entry(canvas_name("Alpha, Ada", ada, 1, "part_one.ipynb"), HONEST_PART),
                   Entry(canvas_name("Zulu, Zed", zed, 99_999_999, "part_one.ipynb"), HONEST_PART))
    return first, last, {"ada": f"alphaada-{ada}", "zed": f"zuluzed-{zed}"}


def entries(download: Download) -> list[Entry]:
    first, last, _ = honest_members(download.platform)
    out = [first]
    for m in download.members:
        data = content_bytes(m.content)
        name = m.person if m.kind == "raw" else member_name(download.platform, m.person, m.own_id, m.file)
        name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace") or "x"
        if m.kind == "repeat" and out:
            name = out[-1].name
        out.append(Entry(name, data, symlink=m.kind == "symlink"))
    return [*out, last]


def reset(course: Path) -> None:
    for name in ("submitted", "collected", ".learnathon"):
        shutil.rmtree(course / name, ignore_errors=True)
    for mapping in course.glob("*_students.csv"):
        mapping.unlink()


def collect_survives(course: Path, download: Download, work: Path) -> list[str]:
    """Collect ``download`` into ``course`` (reset first); the properties it violated."""
    from click.testing import CliRunner

    from autograder.cli import main
    from autograder.csvfiles import FORMULA_START, NUMBER, read_cell
    from autograder.intake.tables import read_csv_file
    from autograder.platforms import roster

    reset(course)
    archive = write_zip(work / "download.zip", entries(download))
    result = CliRunner().invoke(main, ["collect", ASSIGNMENT, "--from", download.platform, str(archive),
                                       "--course", str(course)])
    failures = []
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return [f"traceback: {type(result.exception).__name__}: {str(result.exception)[:300]}"]
    if result.exit_code != 0:
        return [f"exit {result.exit_code}: {result.output[-300:]}"]
    _, _, honest = honest_members(download.platform)
    for who, student in honest.items():
        placed = course / "submitted" / student / ASSIGNMENT / "part_one.ipynb"
        if not placed.is_file() or placed.read_bytes() != HONEST_PART:
            failures.append(f"{who} ({student}) not placed with the bytes uploaded")
    raw = RAW_CONTROL.search(result.output)
    if raw:
        around = result.output[max(0, raw.start() - 60):raw.end() + 60]
        failures.append(f"raw {raw.group()!r} on the terminal: {around!r}")
    mapping = course / f"{download.platform}_students.csv"
    table = read_csv_file(mapping).rows
    for row in table:
        for cell in row:
            if cell.lstrip(" \u00a0")[:1] in FORMULA_START and not NUMBER.fullmatch(cell):
                failures.append(f"formula cell {cell!r} in the mapping file")
    names = {e.platform_id: e.name for e in roster.read(mapping, download.platform).values()}
    written = {row[1]: read_cell(row[3] if len(row) > 3 else "").strip() for row in table[1:] if len(row) > 1}
    if names != written:
        failures.append("the mapping file's names do not read back")
    return failures


# --- quiz results ------------------------------------------------------------------------------------------

VOTE_HEADER = ["question_id", "option", "option_text", "votes"]


@dataclasses.dataclass(frozen=True)
class ResultsFile:
    kind: str            # "votes-csv", "votes-xlsx", "vevox", "damaged"
    cells: tuple         # hostile cells (or damage: (position, bytes) pairs)
    hostile_answers: bool = False


cell_text = st.one_of(_text, _odd, st.sampled_from(["", "1", "-1", "1e999", "nan", "A", "sigmoid-binary", "=1+1",
                                                    "Not Polled", "B;C", "9" * 400]))
results_files = st.one_of(
    st.builds(ResultsFile, kind=st.sampled_from(["votes-csv", "votes-xlsx"]),
              cells=st.lists(st.lists(cell_text, max_size=6).map(tuple), max_size=8).map(tuple)),
    st.builds(ResultsFile, kind=st.just("vevox"), cells=st.lists(cell_text, min_size=1, max_size=8).map(tuple),
              hostile_answers=st.booleans()),
    st.builds(ResultsFile, kind=st.just("damaged"),
              cells=st.lists(st.tuples(st.floats(0.0, 1.0, allow_subnormal=False), st.binary(max_size=40)),
                             min_size=1, max_size=4).map(tuple)),
    st.builds(ResultsFile, kind=st.just("damaged-xml"),
              cells=st.lists(st.sampled_from([b"<!DOCTYPE x>", b'<row r="99999999">', b"<c r=\"ZZZZ1\"/>",
                                              b'<c t="s"><v>77</v></c>', b"</sheetData>", b"<", b"&amp;", b"\x00",
                                              b'<c r="A1" t="d"><v>x</v></c>', b'<c t="n"><v>1e999</v></c>']),
                             min_size=1, max_size=4).map(tuple)),
)

_HONEST_WORKBOOK: dict[str, bytes] = {}


def honest_workbook() -> bytes:
    if "votes" not in _HONEST_WORKBOOK:
        _HONEST_WORKBOOK["votes"] = honest_xlsx([VOTE_HEADER, ["sigmoid-binary", "B", "", 3]])
    return _HONEST_WORKBOOK["votes"]


def write_results_file(case: ResultsFile, quiz, folder: Path) -> tuple[Path, int]:
    """The file, and how many honest participants it holds (0 where the file is not per participant)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from vevox_fixture import write_vevox_report

    if case.kind == "votes-csv":
        text = "\r\n".join(",".join('"' + c.replace('"', '""') + '"' for c in row)
                           for row in [VOTE_HEADER, ["sigmoid-binary", "B", "", "3"], *case.cells])
        path = folder / "votes.csv"
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
        return path, 0
    if case.kind == "votes-xlsx":
        clean = [[ILLEGAL_CHARACTERS_RE.sub("", c.encode("utf-8", "replace").decode()) for c in row]
                 for row in case.cells]
        path = folder / "votes.xlsx"
        path.write_bytes(honest_xlsx([VOTE_HEADER, ["sigmoid-binary", "B", "", 3], *clean]))
        return path, 0
    if case.kind == "vevox":
        question = quiz.question("sigmoid-binary")
        right = next(o.text for o in question.options if o.correct)
        hostile = [ILLEGAL_CHARACTERS_RE.sub("", c.encode("utf-8", "replace").decode()) for c in case.cells]
        answers = [right, *(hostile if case.hostile_answers else [right] * len(hostile)), right]
        people = [("Ada", "Alpha"), *[(c, c) for c in hostile], ("Zed", "Zulu")]
        path = write_vevox_report(folder / "vevox.xlsx", people, [(question.text, answers)])
        return path, 0 if case.hostile_answers else len(people)
    data = honest_workbook()
    if case.kind == "damaged":
        for position, insert in case.cells:
            at = int(position * len(data))
            data = data[:at] + insert + data[at + len(insert):]
    else:
        def damage(name: str, part_data: bytes) -> bytes:
            if not name.startswith("xl/worksheets/"):
                return part_data
            for snippet in case.cells:
                part_data = part_data.replace(b"<sheetData>", b"<sheetData>" + snippet, 1)
            return part_data
        data = rewrite_parts(data, damage)
    path = folder / "damaged.xlsx"
    path.write_bytes(data)
    return path, 0


def results_survive(case: ResultsFile, quiz, folder: Path) -> list[str]:
    """Read ``case`` as `quiz results` does (every reader, no charts); the properties it violated."""
    from quizzes.results import ResultsError, read_polled

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    path, honest = write_results_file(case, quiz, folder)
    try:
        polled = read_polled(path, quiz)
    except ResultsError as exc:
        message = str(exc)
        failures = []
        if RAW_CONTROL.search(message) or "\n" in message:
            failures.append(f"the error is not one escaped line: {message[:200]!r}")
        if not message.startswith(str(path)):
            failures.append(f"the error does not name the file: {message[:200]!r}")
        if honest:
            failures.append(f"an honest Vevox report was refused: {message[:200]}")
        return failures
    except Exception as exc:  # noqa: BLE001 - the failure this looks for
        return [f"traceback: {type(exc).__name__}: {str(exc)[:300]}"]
    if honest:
        votes = {v.question_id: v for v in polled.votes}
        counted = votes["sigmoid-binary"].responses if "sigmoid-binary" in votes else 0
        if polled.participants != honest or counted != honest:
            return [f"honest participants not all counted: {polled.participants} of {honest}"]
    return []

