"""Running the platforms' own code (the harnesses beside this file) on our files, and the scenarios the upstream
tests and the golden files share. The upstream files come from LEARNATHON_UPSTREAM_DIR (list_sources.py)."""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
ENV = "LEARNATHON_UPSTREAM_DIR"

# Moodle's side of the class: participants (assign_user_mapping ids), what they uploaded ("kind" of notebook) and
# what Moodle already holds for them (a grade row: its grade, None for one saved without a value, and a comment).
MOODLE_CLASS = [
    {"userid": 5, "firstname": "José", "lastname": "Müller", "participant": 101, "upload": ("tiny (1).ipynb", "full"),
     "grade": None, "comment": "Great work, see me after class", "grade_timemodified": 1_000_000},
    {"userid": 6, "firstname": "Ben_x", "lastname": "O'Kafor", "participant": 102,
     "upload": ("my homework.ipynb", "wrong"), "grade": 2.0, "comment": "first look: the bias?",
     "grade_timemodified": 1_000_000},
    {"userid": 7, "firstname": "Cleo", "lastname": "Park", "participant": 103, "upload": ("tiny.ipynb", "untouched"),
     "grade": None, "comment": "please resubmit", "grade_timemodified": 1_000_000},
    {"userid": 8, "firstname": "Dan", "lastname": "Lee", "participant": 104, "upload": None, "grade": 5.0,
     "comment": "graded by hand: emailed notebook", "grade_timemodified": 1_000_000},
    {"userid": 9, "firstname": "Zoë", "lastname": "Ng", "participant": 105,
     "upload": ("Copy of tiny.ipynb", "untouched")},
]


# Canvas's side: users (sortable names), their submissions (uploads with attachment ids, or an online text entry),
# late flags, and the scores Canvas already has for assignment 4711 ("Tiny"); the course also has an assignment
# titled exactly "tiny" (4712), which a column titled "tiny" updates.
CANVAS_ASSIGNMENTS = [{"id": 4711, "title": "Tiny", "points_possible": 6},
                      {"id": 4712, "title": "tiny", "points_possible": 6}]
CANVAS_CLASS = [
    {"user_id": 2001, "name": "José Müller", "sortable_name": "Müller, José", "submission_type": "online_upload",
     "files": [(9001, "tiny-1.ipynb", "full")]},
    {"user_id": 2002, "name": "Ben Okafor", "sortable_name": "Okafor, Ben", "submission_type": "online_upload",
     "late": True, "files": [(9002, "tiny.ipynb", "untouched"), (9003, "tiny.ipynb", "wrong")], "score": 2.0},
    {"user_id": 2003, "name": "Cleo Park", "sortable_name": "Park, Cleo", "submission_type": "online_upload",
     "files": [(9005, "tiny.ipynb", "untouched")]},
    {"user_id": 2004, "name": "Dan Lee", "sortable_name": "Lee, Dan", "submission_type": "online_text_entry"},
    {"user_id": 2005, "name": "Zoë Ng", "sortable_name": "Ng, Zoë", "score": 5.0},
    {"user_id": 2006, "name": "Ann O'Neil-Smith", "sortable_name": "O'Neil-Smith, Ann_2_",
     "submission_type": "online_upload", "files": [(9006, "Copy of tiny.ipynb", "full")]},
]


def canvas_students(notebooks: dict[str, bytes] | None = None) -> list[dict]:
    """CANVAS_CLASS as the harness takes it (with the uploads' bytes when ``notebooks`` is given)."""
    out = []
    for s in CANVAS_CLASS:
        entry = {k: v for k, v in s.items() if k not in ("files", "score")}
        entry["files"] = [{"attachment_id": aid, "display_name": name,
                           **({"content_b64": base64.b64encode(notebooks[kind]).decode()} if notebooks else {})}
                          for aid, name, kind in s.get("files", [])]
        out.append(entry)
    return out


def canvas_scores() -> list[dict]:
    return [{"user_id": s["user_id"], "assignment_id": 4711, "score": s["score"]} for s in CANVAS_CLASS if "score" in s]


def canvas(job: dict) -> dict:
    ruby = shutil.which("ruby")
    assert ruby, "ruby is needed (Debian: ruby ruby-zip ruby-activesupport)"
    return run_harness([ruby, str(HERE / "canvas_harness.rb"), str(upstream_dir())], {"assignment_id": 4711, **job})


def upstream_dir() -> Path | None:
    value = os.environ.get(ENV)
    return Path(value) if value else None


def run_harness(command: list[str], job: dict) -> dict:
    """One harness run: the job as a JSON file, the result JSON from its stdout."""
    with tempfile.TemporaryDirectory(prefix="learnathon-upstream-") as tmp:
        path = Path(tmp) / "job.json"
        path.write_text(json.dumps(job), encoding="utf-8")
        done = subprocess.run([*command, str(path)], capture_output=True, text=True, timeout=300,
                              stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def moodle(job: dict) -> dict:
    php = shutil.which("php")
    assert php, "php-cli is needed (Debian: php-cli php-zip php-mbstring)"
    return run_harness([php, str(HERE / "moodle_harness.php"), str(upstream_dir())], job)


def moodle_participants(notebooks: dict[str, bytes] | None = None) -> list[dict]:
    """MOODLE_CLASS as the harness takes it (with the uploaded files' bytes when ``notebooks`` is given)."""
    out = []
    for p in MOODLE_CLASS:
        entry = {k: v for k, v in p.items() if k != "upload"}
        if p["upload"] and notebooks is not None:
            name, kind = p["upload"]
            entry["files"] = [{"filename": name, "content_b64": base64.b64encode(notebooks[kind]).decode()}]
        out.append(entry)
    return out


def golden(name: str) -> dict:
    return json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))


def write_golden(name: str, data: dict) -> None:
    GOLDEN.mkdir(exist_ok=True)
    (GOLDEN / f"{name}.json").write_text(json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n",
                                         encoding="utf-8")
