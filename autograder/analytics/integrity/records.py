"""What an integrity review found, as typed records: flags, similar pairs and clusters, and the review.

Every record is plain data (strings, numbers, tuples), stored in the class record (``analytics.store``)
and shown by the class report and ``learnathon integrity``. Nothing here is a verdict: each flag says
what was found and why it may matter, and the instructor decides.
"""
from __future__ import annotations

import dataclasses
from typing import Any

# The owner of the instructor's solution in pairs and clusters: no student id can contain "/" (ids are folder names).
SOLUTION = "/solution"


def owner_label(owner: str) -> str:
    return "the instructor's solution" if owner == SOLUTION else owner


@dataclasses.dataclass(frozen=True)
class Kind:
    """One kind of flag: its group, a short title and why it may matter (shown with every flag)."""
    id: str
    group: str
    title: str
    why: str


DETECTION, SHORTCUT, TIME = "grader detection or tampering", "shortcut", "submission time"
KINDS = {kind.id: kind for kind in (
    Kind("frames", DETECTION, "inspects call stacks or frames",
         "Code that looks at who called it can answer the grader's calls differently from its own (for example "
         "recognise the grader's rebuild of a model by its caller) while the printed results look honest."),
    Kind("gc_walk", DETECTION, "walks the garbage collector's objects",
         "It reaches objects it was never given (the grader's helpers, other inputs in the same process) and "
         "can read or change them."),
    Kind("modules", DETECTION, "reads or changes sys.modules or the import system",
         "The grader's probe modules are loaded in the student's process: code that finds them there can "
         "wrap or replace them and steer what the grader measures."),
    Kind("patching", DETECTION, "patches library or builtin functions",
         "Replacing a library or builtin function changes it for every caller in the process, the grader's "
         "probes included, so a measurement can report what the submission wants."),
    Kind("method_swap", DETECTION, "swaps methods on objects or classes",
         "An object whose methods are replaced after it was built behaves unlike its class (a model whose "
         "forward looks up remembered rows instead of computing them) while passing type checks."),
    Kind("lookalike_class", DETECTION, "defines a class named like a library class",
         "A class named like torch's (a fake Tanh) passes any check that looks at names instead of types; "
         "the grader checks types by identity, so this alone earns nothing, but it is rarely honest."),
    Kind("files_outside", DETECTION, "reads files outside its folder",
         "The released files lie next to the notebook; paths outside it (absolute paths, the home folder, "
         "parent folders, folders listed at run time) may look for other students' work or the course's "
         "sources."),
    Kind("processes", DETECTION, "starts processes or runs shell commands",
         "A notebook needs no other process; a process can outlive its cell, run code the review does not "
         "see, or probe the machine the grader runs on."),
    Kind("network", DETECTION, "opens network connections",
         "A notebook needs no network when graded (the sandbox has none); code that opens sockets or fetches "
         "URLs may try to send or receive answers."),
    Kind("dynamic_code", DETECTION, "runs code built at run time",
         "exec, eval, compile, __import__ or attributes looked up by computed names hide what the code does "
         "from this review, which reads the code as written: read these lines yourself."),
    Kind("backward_calls_forward", SHORTCUT, "computes the backward pass by evaluating the network",
         "The lecture's backward pass applies the chain rule to the cached values; one that evaluates the "
         "network again (numerical differentiation, or autograd) gives the right gradients without the "
         "exercise, and the hidden tests cannot tell the two apart."),
    Kind("surrogate_calls_simulator", SHORTCUT, "a surrogate that calls the simulator",
         "A surrogate is meant to replace the simulator; one that calls it returns the simulator's answers "
         "without learning anything (the hidden tests catch the plainest case, not every disguise)."),
    Kind("submission_time", TIME, "a submission time outside the assignment's window",
         "timestamp.txt is written on the student's side; a time before the assignment was released or after "
         "the submission was collected cannot be true and may have been edited (e.g. to hide a late "
         "submission), or a clock was wrong."),
)}


@dataclasses.dataclass(frozen=True)
class Flag:
    """Something found in one student's notebook (or about the submission: ``cell`` None)."""
    student: str
    notebook: str
    kind: str                      # a key of KINDS
    found: str                     # what was found, in one line
    cell: int | None = None        # the code cell's number in the submitted notebook (1-based)
    grade_id: str | None = None    # its nbgrader grade id, when it has one
    first_line: int | None = None  # lines within that cell (1-based)
    last_line: int | None = None
    code: str = ""                 # the lines concerned, as written

    @property
    def where(self) -> str:
        if self.cell is None:
            return "the submission"
        lines = "" if self.first_line is None else (
            f", line {self.first_line}" if self.first_line == self.last_line
            else f", lines {self.first_line}-{self.last_line}")
        return f"code cell {self.cell}" + (f" ({self.grade_id})" if self.grade_id else "") + lines

    @property
    def why(self) -> str:
        return KINDS[self.kind].why

    @property
    def title(self) -> str:
        return KINDS[self.kind].title

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"where": self.where, "title": self.title, "why": self.why,
                                           "group": KINDS[self.kind].group}


@dataclasses.dataclass(frozen=True)
class Excerpt:
    """Lines of one answer cell: where they are and what they say."""
    cell: int
    grade_id: str | None
    first_line: int
    last_line: int
    code: str

    @property
    def where(self) -> str:
        lines = f"line {self.first_line}" if self.first_line == self.last_line else \
            f"lines {self.first_line}-{self.last_line}"
        return f"code cell {self.cell}" + (f" ({self.grade_id})" if self.grade_id else "") + f", {lines}"


@dataclasses.dataclass(frozen=True)
class Passage:
    """One stretch of matching code, side by side (a's lines, b's lines)."""
    a: tuple[Excerpt, ...]
    b: tuple[Excerpt, ...]


@dataclasses.dataclass(frozen=True)
class Pair:
    """Two submissions of one notebook whose answer code is alike after normalisation."""
    notebook: str
    a: str
    b: str
    score: float              # the larger of the two shares
    share_a: float            # the part of a's own answer code (template removed) found in b
    share_b: float
    shared: int               # characters of normalised code in common
    passages: tuple[Passage, ...]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"a_label": owner_label(self.a), "b_label": owner_label(self.b)}


@dataclasses.dataclass(frozen=True)
class Cluster:
    """Submissions linked by reported pairs (of any notebook): copied together, or from one source."""
    members: tuple[str, ...]
    notebooks: tuple[str, ...]
    top_score: float

    @property
    def with_solution(self) -> bool:
        return SOLUTION in self.members

    def to_dict(self) -> dict[str, Any]:
        return {"members": list(self.members), "labels": [owner_label(m) for m in self.members],
                "notebooks": list(self.notebooks), "top_score": self.top_score, "with_solution": self.with_solution}


@dataclasses.dataclass(frozen=True)
class Review:
    """One integrity review of an assignment's submissions."""
    assignment: str
    started: str
    students: tuple[str, ...]
    fingerprints: dict[str, str]       # student -> fingerprint of the files reviewed (as autograde's marker)
    flags: tuple[Flag, ...]
    pairs: tuple[Pair, ...]
    settings: dict[str, Any]           # thresholds, the release and collection times used, and their sources
    notes: tuple[str, ...] = ()        # what could not be reviewed, and why

    @property
    def clusters(self) -> tuple[Cluster, ...]:
        return clusters_of(self.pairs)

    def flags_by_student(self) -> dict[str, list[Flag]]:
        found: dict[str, list[Flag]] = {}
        for flag in self.flags:
            found.setdefault(flag.student, []).append(flag)
        return dict(sorted(found.items()))

    def to_dict(self) -> dict[str, Any]:
        return {"assignment": self.assignment, "started": self.started, "students": len(self.students),
                "settings": self.settings, "notes": list(self.notes),
                "clusters": [c.to_dict() for c in self.clusters],
                "pairs": [p.to_dict() for p in self.pairs], "flags": [f.to_dict() for f in self.flags]}


def clusters_of(pairs: tuple[Pair, ...] | list[Pair]) -> tuple[Cluster, ...]:
    """Connected groups of the reported pairs, largest first (union-find over owners)."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pair in pairs:
        parent[root(pair.a)] = root(pair.b)
    groups: dict[str, list[Pair]] = {}
    for pair in pairs:
        groups.setdefault(root(pair.a), []).append(pair)
    found = [Cluster(tuple(sorted({o for p in group for o in (p.a, p.b)})), tuple(sorted({p.notebook for p in group})),
                     max(p.score for p in group)) for group in groups.values()]
    return tuple(sorted(found, key=lambda c: (-len(c.members), -c.top_score, c.members)))
