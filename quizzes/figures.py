"""Figures that questions refer to, drawn at export time so the bank stays plain text.

The lecture's learning-curve question says "You observe the following learning curve": the
figure is part of the question, so exporters that can carry an image embed this one.
"""
from __future__ import annotations

import io
import re
from functools import cache

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend must be chosen first)
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402


def _rising_learning_curve(ax: Axes) -> None:
    epochs = np.arange(1, 101)
    # A too-large learning rate: the loss oscillates while growing, the lecture's "diverging" picture.
    loss = 0.8 * np.exp(0.035 * epochs) * (1.0 + 0.15 * np.sin(epochs * 1.3))
    ax.plot(epochs, loss, color="#c0392b", linewidth=1.8)
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Training loss (MSE)")
    ax.set_title("Learning curve")
    ax.grid(alpha=0.3)


FIGURES = {"rising-learning-curve": _rising_learning_curve}
FIGURE_DESCRIPTIONS = {"rising-learning-curve": "Learning curve: the training loss rises over the epochs."}


@cache
def figure_svg(name: str) -> str:
    """The figure as an inline-able <svg> element (no XML prolog, no metadata that varies per run)."""
    if name not in FIGURES:
        raise KeyError(f"unknown figure {name!r}; known: {', '.join(sorted(FIGURES))}")
    with plt.rc_context({"svg.hashsalt": "learnathon", "svg.fonttype": "path"}):
        fig, ax = plt.subplots(figsize=(5.0, 3.0))
        try:
            FIGURES[name](ax)
            fig.tight_layout()
            buffer = io.StringIO()
            fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        finally:
            plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    return re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
