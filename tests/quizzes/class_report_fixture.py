"""A class report (report.json of `learnathon report`) of a synthetic class, built by the real class-record
and class-report code over an assignment's real mistake catalogue: the input of `quiz from-report`."""
from __future__ import annotations


def class_report_json(tmp_path, made: dict[str, int], assignment: str = "cs1", students: int = 40,
                      message: str = "{id}: the grader's message, with $5, {{braces}}, # and ~ = :") -> dict:
    """report.json of `learnathon report` for a synthetic class of ``students`` in which mistake id i
    was made by made[i] students (the assignment's real catalogue, the real class report code)."""
    from autograder.analytics import class_report, store
    from autograder.grading import discovery
    from autograder.results.records import NotebookReport, StudentResult, TestResult

    with store.open_store(tmp_path) as db:
        run = store.start_run(db, assignment, students)
        for s in range(students):
            tests = [TestResult(f"test_{i}", 0.0, 1.0, False, message.format(id=mistake), None, "", mistake,
                                ("forward-pass",))
                     for i, (mistake, count) in enumerate(made.items()) if s < count]
            tests.append(TestResult("test_ok", 1.0, 1.0, True, "", None, "", None, ("mse",)))
            store.record_student(db, run, assignment, StudentResult(
                f"s{s:02d}", [NotebookReport(assignment, "nb", tests)], fingerprint="f"))
    report = class_report.build("course", assignment, store.load_submissions(tmp_path), discovery.hidden_root())
    return report.to_dict()
