"""Bank text is plain text with LaTeX math between ``$...$``; these helpers turn it into each target's form.

* HTML for LMSs (Moodle, Canvas): escaped text, math as ``\\(...\\)`` for their MathJax filter.
* Self-contained HTML (slide deck, handout): math pre-rendered to MathML at export time, so the
  file needs no script or font from the network.
* Plain text (Kahoot): a readable Unicode approximation; callers report it as an adaptation.
"""
from __future__ import annotations

import html
import re

from latex2mathml.converter import convert as latex_to_mathml

# A literal dollar sign is written \$ in the bank.
_MATH = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$", re.S)


def segments(text: str) -> list[tuple[str, str]]:
    """Split into ("text", ...) and ("math", latex) pieces, in order."""
    parts: list[tuple[str, str]] = []
    position = 0
    for match in _MATH.finditer(text):
        if match.start() > position:
            parts.append(("text", text[position:match.start()]))
        parts.append(("math", match.group(1)))
        position = match.end()
    if position < len(text):
        parts.append(("text", text[position:]))
    return [(kind, value.replace("\\$", "$") if kind == "text" else value) for kind, value in parts]


def to_lms_html(text: str) -> str:
    """Escaped HTML with math delimited as \\( ... \\) (MathJax inline math in Moodle and Canvas)."""
    return "".join(html.escape(value, quote=False) if kind == "text"
                   else "\\(" + html.escape(value, quote=False) + "\\)"
                   for kind, value in segments(text))


def from_lms_html(markup: str) -> str:
    """Inverse of to_lms_html (used when reading exports back)."""
    text = html.unescape(markup)
    return re.sub(r"\\\((.+?)\\\)", lambda m: "$" + m.group(1) + "$", text, flags=re.S)


def to_mathml_html(text: str) -> str:
    """Escaped HTML with math rendered to MathML; the LaTeX source is kept in data-tex."""
    out = []
    for kind, value in segments(text):
        if kind == "text":
            out.append(html.escape(value, quote=False))
        else:
            out.append(f'<span class="math" data-tex="{html.escape(value, quote=True)}">'
                       f"{latex_to_mathml(value)}</span>")
    return "".join(out)


_SUBSCRIPTS = str.maketrans("0123456789+-=()aeijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
_SUPERSCRIPTS = str.maketrans("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ")
_MACROS = {
    r"\cdot": "·", r"\alpha": "α", r"\sum": "Σ", r"\partial": "∂", r"\geq": "≥", r"\leq": "≤",
    r"\sim": "~", r"\mapsto": "→", r"\rightarrow": "→", r"\log": "log", r"\max": "max",
    r"\tanh": "tanh", r"\text": "", r"\mathcal": "", r"\quad": " ", r"\times": "×",
    r"\nabla": "∇", r"\in": "∈", r"\infty": "∞", r"\neq": "≠", r"\approx": "≈", r"\ldots": "…",
}
# Escaped braces are literal braces; they are parked on private-use characters while groups are removed.
_LITERAL_BRACES = {"\\{": "\ue000", "\\}": "\ue001"}


def _script(body: str, table: dict[int, int], marker: str) -> str:
    if body and all(ord(c) in table for c in body):
        return body.translate(table)
    # Characters without a Unicode sub/superscript fall back to explicit notation.
    return f"{marker}({body})" if len(body) > 1 else f"{marker}{body}"


def latex_to_plain(latex: str) -> str:
    """Readable Unicode approximation of simple LaTeX (subscripts, fractions, common macros)."""
    text = latex
    for escaped, parked in _LITERAL_BRACES.items():
        text = text.replace(escaped, parked)
    for macro, replacement in sorted(_MACROS.items(), key=lambda kv: -len(kv[0])):
        text = re.sub(re.escape(macro) + r"(?![A-Za-z])", replacement, text)
    text = re.sub(r"\\hat\{([^{}]*)\}", lambda m: m.group(1) + "\u0302", text)
    text = re.sub(r"_\{([^{}]*)\}|_(\w)", lambda m: _script(m.group(1) or m.group(2), _SUBSCRIPTS, "_"), text)
    text = re.sub(r"\^\{([^{}]*)\}|\^(\w)", lambda m: _script(m.group(1) or m.group(2), _SUPERSCRIPTS, "^"), text)
    fraction = re.compile(r"\\frac\{([^{}]*)\}\{([^{}]*)\}")
    while fraction.search(text):
        text = fraction.sub(r"(\1)/(\2)", text)
    text = text.replace("{", "").replace("}", "").replace("\\", "")
    for escaped, parked in _LITERAL_BRACES.items():
        text = text.replace(parked, escaped[1])
    return re.sub(r"\s+", " ", text).strip()


def to_plain(text: str) -> str:
    return "".join(value if kind == "text" else latex_to_plain(value) for kind, value in segments(text))
