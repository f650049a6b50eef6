from __future__ import annotations

from quizzes import mathtext


def test_segments_split_math_and_keep_escaped_dollars():
    assert mathtext.segments(r"cost \$5, $z_1 = 1$ ok") == [("text", "cost $5, "), ("math", "z_1 = 1"), ("text", " ok")]


def test_lms_html_escapes_text_and_delimits_math():
    assert mathtext.to_lms_html("a < b & $x<1$") == r"a &lt; b &amp; \(x&lt;1\)"
    assert mathtext.from_lms_html(mathtext.to_lms_html("a < b & $x<1$")) == "a < b & $x<1$"


def test_mathml_keeps_the_source_and_renders_without_network():
    markup = mathtext.to_mathml_html(r"$\frac{1}{n}$ & more")
    assert '<span class="math" data-tex="\\frac{1}{n}">' in markup
    assert "<math" in markup and "<mfrac>" in markup and "&amp; more" in markup
    assert "http" not in markup.replace('xmlns="http://www.w3.org/1998/Math/MathML"', "")


def test_plain_text_approximation():
    assert mathtext.to_plain(r"$w_{11} - \alpha \frac{\partial L}{\partial w_{11}}$") == "w₁₁ - α ∂L/∂w₁₁"
    assert mathtext.to_plain(r"$x \in \{0, 1\}$, $W^2 \cdot D$") == "x ∈ {0, 1}, W² · D"
    assert mathtext.to_plain("no math") == "no math"
    assert mathtext.to_plain(r"$\frac{a + b}{2}$ and $e^{-x}$") == "(a + b)/2 and e⁻ˣ"


def test_plain_text_has_no_latex_leftovers_where_unicode_has_no_script_form():
    # Unicode has no subscript c and no subscript comma: an index list becomes [i,c], a sum's limits [c=1…M].
    assert mathtext.to_plain(r"$-\sum_{c=1}^M y_{i,c} \log(model_c(x_i))$") == "-Σ[c=1…M] y[i,c] log(model_c(xᵢ))"
    assert mathtext.to_plain(r"$\frac{1}{N} \sum_{i=1}^N e_i^2$") == "1/N Σᵢ₌₁ᴺ eᵢ²"
    assert mathtext.to_plain(r"$\sum_{k} x_k^{q+1}$") == "Σₖ xₖ^(q+1)"


def test_less_common_macros_become_their_symbols_not_their_names():
    """Issue 23: \\to, \\hat y and \\mathbb{R} reached Kahoot as "to", "hat y" and "mathbbR"."""
    assert mathtext.to_plain(r"$f: \mathbb{R}^n \to \mathbb{R}$") == "f: ℝⁿ → ℝ"
    assert mathtext.to_plain(r"$\hat y_i = \sigma(z_i)$ and $\hat{y}$") == "ŷᵢ = σ(zᵢ) and ŷ"
    assert mathtext.to_plain(r"$\lVert w \rVert \leftarrow \mathcal{L}$") == "‖ w ‖ ← ℒ"
    for latex in (r"\to", r"\hat y", r"\mathbb{R}", r"\leftarrow", r"\lVert w \rVert", r"\operatorname{ReLU}(z)"):
        plain = mathtext.latex_to_plain(latex)
        assert plain and not any(name in plain for name in ("to", "hat", "mathbb", "left", "Vert", "operatorname"))
