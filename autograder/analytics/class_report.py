"""What the class got wrong: the class report's figures, computed from the class record (``store``).

Pure functions over stored submissions; charts and files are ``report_files``'s business. Each
student counts once, with their latest graded submission; earlier ones are reruns (same files
graded again) or resubmissions (changed files). Per assignment:

* score distribution and per-test pass rates;
* named mistakes (``testing.Mistake`` ids) with how many students made them, and who;
* failures that matched no named mistake, grouped by similarity of their normalised messages
  (TF-IDF on character n-grams, average-linkage clustering on cosine distance, scikit-learn), so
  an instructor sees a mistake the catalogue lacks;
* per-concept mastery: the share of (student, test) checks of a concept that passed, and the share
  of students who passed every test of it;
* incidents (missing or unreadable notebooks, hung or crashed cells, timed-out calls) and attempts;
* the latest integrity review (``learnathon integrity``): similar submissions and flags, as stored.
"""
from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import re
import statistics
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from autograder.concepts import load_concepts

from ..grading import tags
from .integrity.records import KINDS, Review
from .store import INCIDENT_KINDS, SubmissionRow, TestRow

# Two unmatched failure messages at cosine distance below this (TF-IDF of character 3-5-grams, after
# normalisation) are one group: "x has shape (7, 1)" and "x has shape (3, 1)" normalise to the same text,
# "relu(z): 4 of 20 values differ" and "relu_grad(z): 9 of 20 values differ" are close but not equal.
CLUSTER_DISTANCE = 0.45
# Notebook-level incidents whose tests all fail for that reason only: their failures are not mistakes.
NOT_RUN = ("missing", "unreadable")


@dataclasses.dataclass(frozen=True)
class StudentScore:
    student: str
    score: float
    max_score: float
    attempts: int
    resubmissions: int     # graded again with changed files
    reruns: int            # graded again with the same files (--force, or a grader update)

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0


@dataclasses.dataclass(frozen=True)
class TestStat:
    notebook: str
    name: str
    max_points: float
    students: int
    passed: int
    mean_points: float
    concepts: tuple[str, ...]
    named_failures: int      # failures that recognised a named mistake
    other_failures: int

    __test__ = False

    @property
    def pass_rate(self) -> float:
        return self.passed / self.students if self.students else 0.0


@dataclasses.dataclass(frozen=True)
class MistakeStat:
    id: str
    students: tuple[str, ...]          # who made it (latest submissions), sorted
    occurrences: int                   # (student, test) pairs that recognised it
    tests: tuple[str, ...]             # notebook/test where it was recognised
    message: str                       # the most frequent teaching message shown for it
    catalogue: tags.CatalogueEntry | None

    @property
    def count(self) -> int:
        return len(self.students)


@dataclasses.dataclass(frozen=True)
class FailureCluster:
    label: str                          # the group's most frequent normalised message
    students: tuple[str, ...]
    occurrences: int
    tests: tuple[str, ...]
    examples: tuple[str, ...]           # up to three distinct original messages

    @property
    def count(self) -> int:
        return len(self.students)


@dataclasses.dataclass(frozen=True)
class ConceptStat:
    id: str
    title: str
    tests: tuple[str, ...]
    checks: int           # (student, test) pairs
    passed: int
    students: int
    mastered: int         # students who passed every test of the concept

    @property
    def mastery(self) -> float:
        return self.passed / self.checks if self.checks else 0.0


@dataclasses.dataclass(frozen=True)
class Incident:
    student: str
    notebook: str
    kind: str
    detail: str


@dataclasses.dataclass(frozen=True)
class AssignmentReport:
    assignment: str
    scores: tuple[StudentScore, ...]
    tests: tuple[TestStat, ...]
    mistakes: tuple[MistakeStat, ...]           # most students first
    unmatched: tuple[FailureCluster, ...]       # most students first
    concepts: tuple[ConceptStat, ...]           # in the concept list's (lecture) order
    incidents: tuple[Incident, ...]
    questions: dict[str, dict[str, Any]]         # catalogue questions of the mistakes seen: id -> stem, correct, ...
    integrity: Review | None = None              # the latest integrity review, if one was made
    integrity_stale: bool = False                # a submission was graded after that review

    def integrity_kinds(self) -> list[dict[str, Any]]:
        """The kinds of flag the review found, with how many and why they may matter (the report's legend)."""
        if self.integrity is None:
            return []
        counts = collections.Counter(f.kind for f in self.integrity.flags)
        return [{"id": k, "title": KINDS[k].title, "group": KINDS[k].group, "why": KINDS[k].why, "flags": counts[k],
                 "students": len({f.student for f in self.integrity.flags if f.kind == k})}
                for k in KINDS if counts[k]]

    @property
    def max_score(self) -> float:
        return max((s.max_score for s in self.scores), default=0.0)

    def summary(self) -> dict[str, Any]:
        values = [s.score for s in self.scores]
        return {"students": len(self.scores), "max_score": self.max_score,
                "mean": round(statistics.fmean(values), 3) if values else None,
                "median": round(statistics.median(values), 3) if values else None,
                "min": min(values, default=None), "max": max(values, default=None),
                "full_marks": sum(1 for s in self.scores if s.score >= s.max_score > 0),
                "named_mistakes": sum(m.count for m in self.mistakes),
                "students_with_named_mistake": len({st for m in self.mistakes for st in m.students}),
                "unmatched_failures": sum(c.occurrences for c in self.unmatched),
                "incidents": dict(collections.Counter(i.kind for i in self.incidents)),
                "resubmissions": sum(s.resubmissions for s in self.scores),
                "reruns": sum(s.reruns for s in self.scores),
                "integrity": None if self.integrity is None else {
                    "similar_pairs": len(self.integrity.pairs), "groups": len(self.integrity.clusters),
                    "flags": len(self.integrity.flags),
                    "flagged_students": len({f.student for f in self.integrity.flags})}}

    def to_dict(self) -> dict[str, Any]:
        return {
            "assignment": self.assignment, "summary": self.summary(),
            "scores": [dataclasses.asdict(s) | {"percent": round(s.percent, 2)} for s in self.scores],
            "tests": [dataclasses.asdict(t) | {"concepts": list(t.concepts), "pass_rate": round(t.pass_rate, 4)}
                      for t in self.tests],
            "mistakes": [{"id": m.id, "count": m.count, "students": list(m.students), "occurrences": m.occurrences,
                          "tests": list(m.tests), "message": m.message,
                          "catalogue": m.catalogue.to_dict() if m.catalogue else None} for m in self.mistakes],
            "unmatched": [{"label": c.label, "count": c.count, "students": list(c.students),
                           "occurrences": c.occurrences, "tests": list(c.tests), "examples": list(c.examples)}
                          for c in self.unmatched],
            "concepts": [{"id": c.id, "title": c.title, "tests": list(c.tests), "checks": c.checks, "passed": c.passed,
                          "mastery": round(c.mastery, 4), "students": c.students, "mastered": c.mastered}
                         for c in self.concepts],
            "incidents": [dataclasses.asdict(i) for i in self.incidents],
            "questions": self.questions,
            "integrity": None if self.integrity is None else self.integrity.to_dict() | {
                "kinds": self.integrity_kinds(), "graded_since": self.integrity_stale},
        }


@dataclasses.dataclass(frozen=True)
class ClassReport:
    course: str
    generated: str
    assignments: tuple[AssignmentReport, ...]   # the one asked for first, then any other graded ones

    @property
    def main(self) -> AssignmentReport:
        return self.assignments[0]

    def concepts_across(self) -> list[dict[str, Any]]:
        """Mastery per concept and assignment, for the concepts any assignment checks (lecture order)."""
        rows = []
        for concept in load_concepts().values():
            cells = {a.assignment: next((c for c in a.concepts if c.id == concept.id), None) for a in self.assignments}
            if any(cells.values()):
                rows.append({"id": concept.id, "title": concept.title,
                             "mastery": {name: (round(c.mastery, 4) if c else None) for name, c in cells.items()},
                             "checks": {name: (c.checks if c else 0) for name, c in cells.items()}})
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {"course": self.course, "generated": self.generated, "assignment": self.main.assignment,
                **self.main.to_dict(),
                "other_assignments": [a.to_dict() for a in self.assignments[1:]],
                "concepts_across_assignments": self.concepts_across() if len(self.assignments) > 1 else []}


# --- the figures ----------------------------------------------------------------------------------

def latest_by_student(rows: Iterable[SubmissionRow]) -> dict[str, list[SubmissionRow]]:
    """Every student's graded submissions, oldest first (the last one counts)."""
    by_student: dict[str, list[SubmissionRow]] = {}
    for row in sorted(rows, key=lambda r: r.id):
        by_student.setdefault(row.student, []).append(row)
    return dict(sorted(by_student.items()))


def student_scores(history: dict[str, list[SubmissionRow]]) -> list[StudentScore]:
    scores = []
    for student, rows in history.items():
        latest = rows[-1]
        changed = sum(1 for a, b in zip(rows, rows[1:]) if a.fingerprint != b.fingerprint)
        scores.append(StudentScore(student, latest.score, latest.max_score, len(rows), changed,
                                   len(rows) - 1 - changed))
    return scores


def _not_run(row: SubmissionRow) -> set[str]:
    return {notebook for notebook, kind, _ in row.incidents if kind in NOT_RUN}


def test_stats(latest: list[SubmissionRow]) -> list[TestStat]:
    grouped: dict[tuple[str, str], list[TestRow]] = {}
    for row in latest:
        for t in row.tests:
            grouped.setdefault((t.notebook, t.name), []).append(t)
    stats = []
    for (notebook, name), results in grouped.items():
        failed = [t for t in results if not t.passed]
        stats.append(TestStat(notebook, name, results[0].max_points, len(results), len(results) - len(failed),
                              round(statistics.fmean(t.points for t in results), 4), results[0].concepts,
                              sum(1 for t in failed if t.mistake), sum(1 for t in failed if not t.mistake)))
    return stats


test_stats.__test__ = False  # type: ignore[attr-defined]  # pytest's marker: not a test, despite its name


def mistake_stats(latest: list[SubmissionRow], catalogue: dict[str, tags.CatalogueEntry]) -> list[MistakeStat]:
    who: dict[str, set[str]] = collections.defaultdict(set)
    where: dict[str, set[str]] = collections.defaultdict(set)
    said: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    occurrences: collections.Counter[str] = collections.Counter()
    for row in latest:
        for t in row.tests:
            if t.mistake and not t.passed:
                who[t.mistake].add(row.student)
                where[t.mistake].add(f"{t.notebook}/{t.name}")
                said[t.mistake][t.message] += 1
                occurrences[t.mistake] += 1
    stats = [MistakeStat(mistake, tuple(sorted(who[mistake])), occurrences[mistake], tuple(sorted(where[mistake])),
                         said[mistake].most_common(1)[0][0], catalogue.get(mistake)) for mistake in who]
    return sorted(stats, key=lambda m: (-m.count, -m.occurrences, m.id))


_NUMBER = re.compile(r"[-+]?\d+(\.\d+)?([eE][-+]?\d+)?")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def normalise(message: str) -> str:
    """A failure message without what varies between students: numbers, quoted values, spacing, case."""
    text = _QUOTED.sub("'…'", message.lower())
    text = _NUMBER.sub("#", text)
    return " ".join(text.split())


def cluster_messages(messages: list[str], distance: float = CLUSTER_DISTANCE) -> list[int]:
    """A group number per message: equal normalised texts share one, similar ones are merged."""
    if not messages:
        return []
    distinct = sorted(set(messages))
    if len(distinct) == 1:
        return [0] * len(messages)
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).fit_transform(distinct).toarray()
    labels = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                     distance_threshold=distance).fit_predict(vectors)
    group = dict(zip(distinct, labels))
    return [int(group[m]) for m in messages]


def unmatched_failures(latest: list[SubmissionRow]) -> list[FailureCluster]:
    failures = [(row.student, t) for row in latest for t in row.tests
                if not t.passed and not t.mistake and t.notebook not in _not_run(row)]
    normalised = [normalise(t.message) for _, t in failures]
    groups: dict[int, list[int]] = collections.defaultdict(list)
    for index, label in enumerate(cluster_messages(normalised)):
        groups[label].append(index)
    clusters = []
    for members in groups.values():
        texts = collections.Counter(normalised[i] for i in members)
        originals = list(dict.fromkeys(failures[i][1].message for i in members))
        clusters.append(FailureCluster(
            texts.most_common(1)[0][0], tuple(sorted({failures[i][0] for i in members})), len(members),
            tuple(sorted({f"{failures[i][1].notebook}/{failures[i][1].name}" for i in members})),
            tuple(originals[:3])))
    return sorted(clusters, key=lambda c: (-c.count, -c.occurrences, c.label))


def concept_stats(latest: list[SubmissionRow]) -> list[ConceptStat]:
    tests: dict[str, set[str]] = collections.defaultdict(set)
    checks: collections.Counter[str] = collections.Counter()
    passed: collections.Counter[str] = collections.Counter()
    failed_by: dict[str, set[str]] = collections.defaultdict(set)
    seen_by: dict[str, set[str]] = collections.defaultdict(set)
    for row in latest:
        for t in row.tests:
            for concept in t.concepts:
                tests[concept].add(f"{t.notebook}/{t.name}")
                checks[concept] += 1
                passed[concept] += int(t.passed)
                seen_by[concept].add(row.student)
                if not t.passed:
                    failed_by[concept].add(row.student)
    concepts = load_concepts()
    return [ConceptStat(cid, concepts[cid].title, tuple(sorted(tests[cid])), checks[cid], passed[cid],
                        len(seen_by[cid]), len(seen_by[cid] - failed_by[cid]))
            for cid in concepts if cid in checks]


def incidents(latest: list[SubmissionRow]) -> list[Incident]:
    found = [Incident(row.student, notebook, kind, detail) for row in latest for notebook, kind,
             detail in row.incidents]
    order = {kind: i for i, kind in enumerate(INCIDENT_KINDS)}
    return sorted(found, key=lambda i: (order.get(i.kind, 99), i.student, i.notebook))


def catalogue_questions(mistakes: list[MistakeStat], catalogue: dict[str, tags.CatalogueEntry]) -> dict[str, Any]:
    """The catalogue's questions behind the mistakes seen, with every catalogued distractor of each."""
    wanted = {m.catalogue.question for m in mistakes if m.catalogue}
    questions: dict[str, dict[str, Any]] = {}
    for entry in catalogue.values():
        if entry.question in wanted:
            q = questions.setdefault(entry.question, {"stem": entry.stem, "correct": entry.correct,
                                                      "concepts": list(entry.concepts), "distractors": []})
            q["distractors"].append({"id": entry.id, "wrote": entry.wrote})
    return dict(sorted(questions.items()))


def analyse(assignment: str, rows: list[SubmissionRow], hidden_dir: Path | None,
            integrity: Review | None = None) -> AssignmentReport:
    """The class report's figures for one assignment from its stored submissions."""
    history = latest_by_student(r for r in rows if r.assignment == assignment)
    latest = [submissions[-1] for submissions in history.values()]
    catalogue = tags.mistake_catalogue(hidden_dir) if hidden_dir and hidden_dir.is_dir() else {}
    mistakes = mistake_stats(latest, catalogue)
    return AssignmentReport(assignment, tuple(student_scores(history)), tuple(test_stats(latest)), tuple(mistakes),
                            tuple(unmatched_failures(latest)), tuple(concept_stats(latest)), tuple(incidents(latest)),
                            catalogue_questions(mistakes, catalogue), integrity,
                            integrity is not None and any(r.graded_at > integrity.started for r in latest))


def build(course: str, assignment: str, rows: list[SubmissionRow], hidden_root: Path | None,
          integrity: Review | None = None) -> ClassReport:
    """The report of ``assignment`` (with its latest integrity review, if given), with every other assignment
    of the record for the comparison of concepts."""
    names = [assignment] + sorted({r.assignment for r in rows} - {assignment})
    reports = tuple(analyse(name, rows, hidden_root / name if hidden_root else None,
                            integrity if name == assignment else None) for name in names)
    generated = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return ClassReport(course, generated, reports)
