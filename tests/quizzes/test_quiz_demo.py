from __future__ import annotations

from quizzes.demo import run_demo
from quizzes.export import FORMATS, default_filename


def test_demo_exports_every_format_and_draws_the_lecture_results(tmp_path):
    lines = run_demo(tmp_path)
    for name in FORMATS:
        assert (tmp_path / default_filename("lecture", name)).stat().st_size > 0
    charts = sorted(p.name for p in (tmp_path / "results").glob("*.png"))
    assert charts == sorted(f"{q}.png" for q in ("sigmoid-binary", "why-softmax", "when-sigmoid",
                                                 "rising-learning-curve", "overfitting-meaning", "item-analysis"))
    assert "  sigmoid-binary: 36/37 chose a correct answer (97.3%)" in lines
    assert any("adapted question 'overfitting-meaning'" in line for line in lines)
