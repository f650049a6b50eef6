"""Judging the graded notebooks of an audit: figures per notebook, findings, targets."""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import Graded
    from .review import Review
    from .variants import Variant

TARGET_KILL_RATE = 0.97


@dataclasses.dataclass
class NotebookAudit:
    assignment: str
    notebook: str
    baseline_ok: bool
    baseline_note: str
    nulls_total: int
    nulls_zero: int                 # get 0 on every dependent test
    nulls_documented: int           # earn points only where audit.toml says why
    null_findings: list[dict[str, Any]]   # {function, variant, test, points}
    untested_functions: list[str]   # no test loses points when the function is the released stub
    mutants_total: int
    mutants_sampled: int
    mutants_killed: int
    mutants_equivalent: int
    survivors: list[dict[str, str]]   # Mutant.to_dict() of non-equivalent survivors
    alternatives_graded: int
    false_failures: list[dict[str, Any]]  # {solution, seed, score, max_score, lost}
    flaky: list[str]
    stale_review: list[str]         # reviewed entries that match nothing here, or equivalents that were killed
    variants_total: int = 0
    variants_ok: int = 0            # keep full marks, and fail no cell the source notebook passes
    variants_graded: bool = True    # False: left out (a quick look), so no verdict
    variant_findings: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    #   {function, kind, variant, where: "hidden tests" | "visible test" | "demonstration" | "cell" | "run", what}
    # the source's own run: {cell, role, error}
    run_failures: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    # --- judging ------------------------------------------------------------------------------

    @classmethod
    def judge(cls, assignment: str, notebook: str, graded: list[Graded], facts: dict[str, Any],
              reviewed: Review) -> NotebookAudit:
        by_kind: dict[str, list[Graded]] = {}
        for g in graded:
            by_kind.setdefault(g.job.kind, []).append(g)
        baseline = by_kind["baseline"][0]
        baseline_ok = baseline.score == baseline.max_score and baseline.max_score > 0
        lost = [f"{t} {p:g}/{m:g}" for t, (p, m) in baseline.points.items() if p < m]
        note = "" if baseline_ok else f"the source notebook itself loses points: {', '.join(lost) or baseline.error}"

        excuses = [e for e in reviewed.nulls if e.notebook == notebook]
        used: set[object] = set()     # the audit.toml entries that matched something

        def excused(function: str, variant: str, test: str) -> bool:
            for e in excuses:
                if e.covers(notebook, function, variant, test):
                    used.add(e)
                    return True
            return False

        findings, total, zero, documented = [], 0, 0, 0
        released = by_kind["released"][0]
        total += 1
        earning = {t: p for t, (p, _) in released.points.items() if p > 0}
        if not earning:
            zero += 1
        else:
            open_ = {t: p for t, p in earning.items() if not excused("(released notebook)", "untouched", t)}
            documented += not open_
            findings += [{"function": "(released notebook)", "variant": "untouched", "test": t, "points": p}
                         for t, p in open_.items()]
        stubs = {g.job.detail[0]: g for g in by_kind.get("null", []) if g.job.detail[1] == "released"}
        untested = []
        for fn, stub in stubs.items():
            dependent = {t for t, (p, m) in stub.points.items() if p < m}
            if not dependent and not excused(fn, "released", "*"):
                untested.append(fn)
        for g in by_kind.get("null", []):
            fn, variant = g.job.detail
            if variant == "released":
                continue
            total += 1
            earning = {t: p for t, (p, _) in g.points.items() if t in g.job.only and p > 0}
            if not earning:
                zero += 1
                continue
            open_ = {t: p for t, p in earning.items() if not excused(fn, variant, t)}
            documented += not open_
            findings += [{"function": fn, "variant": variant, "test": t, "points": p} for t, p in open_.items()]

        equivalents = [e for e in reviewed.equivalents if e.notebook == notebook]
        stale = []
        killed = equivalent = 0
        survivors = []
        for g in by_kind.get("mutant", []):
            m = g.job.detail
            listed = [e for e in equivalents if e.covers(notebook, m.key)]
            used.update(listed)
            if g.score < g.max_score:
                killed += 1
                stale += [f"listed as equivalent but loses points: {m.cell} | {m.line} | {m.mutation}" for _ in listed]
            elif listed:
                equivalent += 1
            else:
                survivors.append(m.to_dict())
        if facts["mutants_sampled"] == facts["mutants_total"]:
            stale += [f"equivalent entry matches no mutant: {e.cell} | {e.line} | {e.mutation}"
                      for e in equivalents if e not in used]
        stale += [f"null entry matches no finding: {e.function} | {e.variant} | {e.test}"
                  for e in excuses if e not in used]

        false_failures: list[dict[str, Any]] = []
        flaky: list[str] = []
        grades: dict[tuple[str, int | None], list[dict[str, tuple[float, float]]]] = {}
        alternatives = by_kind.get("alternative", [])
        for g in alternatives:
            name, repeat = g.job.detail
            if g.score < g.max_score:
                false_failures.append({"solution": name, "seed": g.job.seed, "score": g.score, "max_score": g.max_score,
                                       "lost": [t for t, (p, m) in g.points.items() if p < m]})
            grades.setdefault((name, g.job.seed), []).append(g.points)
        flaky = [f"{name} (seed {seed})" for (name, seed), runs in grades.items() if any(r != runs[0] for r in runs)]

        stale += [f"variant text not in the released notebook: {d.kind} of {', '.join(d.functions)}: {d.text!r}"
                  for d in facts.get("unstated", [])]
        variants_ok, variant_findings, run_failures = judge_variants(by_kind)
        return cls(assignment, notebook, baseline_ok, note, total, zero, documented, findings, untested,
                   facts["mutants_total"], facts["mutants_sampled"], killed, equivalent, survivors,
                   len(alternatives), false_failures, flaky, stale, facts.get("variants_total", 0), variants_ok,
                   facts.get("variants_graded", True), variant_findings, run_failures)

    # --- figures ------------------------------------------------------------------------------

    @property
    def kill_rate(self) -> float:
        judged = self.mutants_sampled - self.mutants_equivalent
        return self.mutants_killed / judged if judged else 1.0

    @property
    def nulls_ok(self) -> int:
        return self.nulls_zero + self.nulls_documented

    def missed(self) -> list[str]:
        """The targets this notebook misses, in words."""
        missed = []
        if not self.baseline_ok:
            missed.append(self.baseline_note)
        if self.nulls_ok < self.nulls_total:
            missed.append(f"{self.nulls_total - self.nulls_ok} null implementation(s) earn points")
        if self.untested_functions:
            missed.append(f"no test depends on {', '.join(self.untested_functions)}")
        if self.sampled:
            missed.append(f"only {self.mutants_sampled} of {self.mutants_total} mutants graded: a sample gives no "
                          "kill rate (audit every mutant)")
        elif self.kill_rate < TARGET_KILL_RATE:
            missed.append(f"kill rate {self.kill_rate:.1%} < {TARGET_KILL_RATE:.0%}")
        if not self.variants_graded:
            missed.append("contract variants not graded (a quick look)")
        if self.variant_findings:
            missed.append(f"{self.variants_total - self.variants_ok} contract variant(s) the text allows lose points "
                          "or fail a cell")
        if self.run_failures:
            missed.append(f"{len(self.run_failures)} cell(s) of the source notebook fail when it runs top to bottom")
        if self.false_failures:
            missed.append(f"{len(self.false_failures)} false failure(s) of correct solutions")
        if self.flaky:
            missed.append(f"{len(self.flaky)} flaky grade(s)")
        return missed

    @property
    def sampled(self) -> bool:
        return self.mutants_sampled < self.mutants_total

    def kill_rate_text(self) -> str:
        return "not measured (a sample)" if self.sampled else f"{self.kill_rate:.1%}"

    def figures(self) -> str:
        return (f"{self.assignment}/{self.notebook}: nulls {self.nulls_ok}/{self.nulls_total} at 0 "
                f"({self.nulls_documented} documented), mutants killed {self.mutants_killed}/"
                f"{self.mutants_sampled - self.mutants_equivalent} = {self.kill_rate_text()} "
                f"({self.mutants_equivalent} equivalent, {self.mutants_sampled} of {self.mutants_total} graded), "
                f"variants ok {self.variants_ok}/{self.variants_total}"
                f"{'' if self.variants_graded else ' (not graded)'}, "
                f"false failures {len(self.false_failures)}/{self.alternatives_graded}, flaky {len(self.flaky)}")

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data.update(kill_rate=None if self.sampled else round(self.kill_rate, 4), nulls_ok=self.nulls_ok,
                    targets_missed=self.missed())
        return data


def points_text(points: float) -> str:
    return f"{points:g} point" + ("" if points == 1 else "s")


def last_line_of(error: str) -> str:
    """An error's first line (the exception and its message), cut to a table's width."""
    line = (error or "").strip().splitlines()[0] if (error or "").strip() else ""
    return line if len(line) <= 200 else line[:197] + "..."


def judge_variants(by_kind: dict[str, list[Graded]]) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
    """(variants that keep everything, findings, the source notebook's own run failures). A variant's
    run is judged against the source's run: a cell that fails there too is the notebook's problem."""
    source_runs = [g for g in by_kind.get("run", []) if not g.job.detail]
    baseline_cells = {(g.job.demos, c.label) for g in source_runs for c in g.failed_cells}
    failed = dict.fromkeys((c.label, c.role, last_line_of(c.error)) for g in source_runs for c in g.failed_cells)
    run_failures = [{"cell": cell, "role": role, "error": error} for cell, role, error in failed]
    run_failures += [{"cell": "(notebook)", "role": "run", "error": g.error} for g in source_runs if g.error]
    findings: dict[Variant, list[dict[str, Any]]] = {}
    variants = []
    for g in by_kind.get("variant", []):
        (variant,) = g.job.detail
        variants.append(variant)
        lost = [f"{t} {p:g}/{m:g}" for t, (p, m) in g.points.items() if p < m]
        if lost or g.error:
            findings.setdefault(variant, []).append(
                {"where": "hidden tests", "what": f"loses {points_text(g.max_score - g.score)} ({', '.join(lost)})"
                 + (f"; {g.error}" if g.error else "")})
    for g in by_kind.get("run", []):
        if not g.job.detail:
            continue
        (variant,) = g.job.detail
        for c in g.failed_cells:
            if (g.job.demos, c.label) not in baseline_cells:
                findings.setdefault(variant, []).append({"where": c.role,
                                                         "what": f"{c.label}: {last_line_of(c.error)}"})
        if g.error and not any(s.error for s in source_runs if s.job.demos == g.job.demos):
            findings.setdefault(variant, []).append({"where": "run", "what": g.error})
    listed = [{"function": v.function, "kind": v.kind, "variant": v.description, **f}
              for v, found in findings.items() for f in found]
    return len(set(variants)) - len(findings), listed, run_failures


def table(audits: list[NotebookAudit]) -> str:
    """The human report: one row per notebook, then every finding to fix."""
    head = ("notebook", "nulls at 0", "mutants killed", "kill rate", "equiv.", "variants ok", "false fail", "flaky",
            "targets")
    rows = [head]
    for a in audits:
        rows.append((a.notebook, f"{a.nulls_ok}/{a.nulls_total}",
                     f"{a.mutants_killed}/{a.mutants_sampled - a.mutants_equivalent}",
                     a.kill_rate_text(), str(a.mutants_equivalent), f"{a.variants_ok}/{a.variants_total}",
                     f"{len(a.false_failures)}/{a.alternatives_graded}",
                     str(len(a.flaky)), "met" if not a.missed() else "MISSED"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    for a in audits:
        notes = []
        if not a.baseline_ok:
            notes.append(f"  ! {a.baseline_note}")
        notes += [f"  null  {f['function']} ({f['variant']}) earns {f['points']:g} on "
                  f"{f['test']}" for f in a.null_findings]
        notes += [f"  untested  {fn}: no test loses points when it is the released stub" for fn in a.untested_functions]
        notes += [f"  survivor  {s['cell']} | {s['line']} | {s['mutation']}" for s in a.survivors]
        notes += [f"  variant  {v['function']} ({v['variant']}): {v['where']}: {v['what']}" for v in a.variant_findings]
        notes += [f"  source run  {r['role']} {r['cell']}: {r['error']}" for r in a.run_failures]
        notes += [f"  false failure  {f['solution']} seed {f['seed']}: {f['score']:g}/{f['max_score']:g} "
                  f"(lost {', '.join(f['lost'])})" for f in a.false_failures]
        notes += [f"  flaky  {f}" for f in a.flaky]
        notes += [f"  stale audit.toml entry: {s}" for s in a.stale_review]
        if notes:
            lines += ["", f"{a.assignment}/{a.notebook}:"] + notes
    return "\n".join(lines)


def last_line(audits: list[NotebookAudit]) -> str:
    verdict = "targets met" if not any(a.missed() for a in audits) else "TARGETS MISSED"
    return " | ".join(a.figures() for a in audits) + f" -> {verdict}"
