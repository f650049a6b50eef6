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
from pylatexenc.latex2text import LatexNodes2Text
from pylatexenc.latexwalker import (
    LatexCharsNode,
    LatexCommentNode,
    LatexGroupNode,
    LatexMacroNode,
    LatexNode,
    LatexWalker,
)

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


# Unicode has sub- and superscript forms for digits, a few signs and some letters only (no subscript c,
# no superscript q); what has none is written another readable way, never as LaTeX.
_SUBSCRIPTS = str.maketrans("0123456789+-=()aehijklmnoprstuvxβγρφχ", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ")
_SUPERSCRIPTS = str.maketrans(
    "0123456789+-=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVWαβγδεθιφχ",
    "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵅᵝᵞᵟᵋᶿᶥᵠᵡ")
# Macros are rendered by pylatexenc's LaTeX-to-text tables (a well-kept converter: arrows, accents,
# blackboard letters, operators, Greek), except structure the script pass below lays out itself (frac)
# and the few whose text is ours: Σ/Π as the letters the limits pass recognises, · for cdot, literal braces.
_STRUCTURE = {"frac"}
_OWN_TEXT = {"sum": "Σ", "prod": "Π", "cdot": "·", "{": "\ue000", "}": "\ue001"}
# Escaped braces are literal braces; they are parked on private-use characters while groups are removed.
_LITERAL_BRACES = {"\\{": "\ue000", "\\}": "\ue001"}
_TO_TEXT = LatexNodes2Text(math_mode="text")
_SCRIPT = r"(?:\{([^{}]*)\}|(\w))"  # a braced group or a single character after _ or ^
_BIG_OPERATOR = re.compile(r"([ΣΠ])(?:\s*_" + _SCRIPT + r")?(?:\s*\^" + _SCRIPT + r")?")


def _convertible(body: str, table: dict[int, int]) -> bool:
    return bool(body) and all(ord(c) in table for c in body)


def _subscript(body: str) -> str:
    """x_1 -> x₁; a subscript Unicode lacks stays readable: model_c, y[i,c]."""
    if _convertible(body, _SUBSCRIPTS):
        return body.translate(_SUBSCRIPTS)
    return f"_{body}" if len(body) == 1 else f"[{body}]"


def _superscript(body: str) -> str:
    if _convertible(body, _SUPERSCRIPTS):
        return body.translate(_SUPERSCRIPTS)
    return f"^{body}" if len(body) == 1 else f"^({body})"


def _big_operator(match: re.Match[str]) -> str:
    """Σ with limits: Σᵢ₌₁ᴺ when Unicode has every character, else Σ[c=1…M] (never Σ_(c=1)^M)."""
    symbol: str = match.group(1)
    lower: str | None = match.group(2) or match.group(3)
    upper: str | None = match.group(4) or match.group(5)
    if lower is None and upper is None:
        return symbol
    if (lower is None or _convertible(lower, _SUBSCRIPTS)) and (upper is None or _convertible(upper, _SUPERSCRIPTS)):
        return symbol + (lower or "").translate(_SUBSCRIPTS) + (upper or "").translate(_SUPERSCRIPTS)
    return f"{symbol}[{lower or ''}…{upper}]" if upper is not None else f"{symbol}[{lower}]"


def _fraction_part(text: str) -> str:
    # A single term needs no parentheses: 1/N, ∂L/∂w₁₁; a sum does: (a + b)/(2).
    return text if re.fullmatch(r"[^\s+\-*/·×=]+", text) else f"({text})"


def _macros_as_text(nodes: list[LatexNode]) -> str:
    """The LaTeX with every macro but the structural ones replaced by its text (groups keep their braces,
    so that ``x_{11}`` still reads as one subscript in the pass that follows)."""
    out = []
    for node in nodes or ():
        if isinstance(node, LatexCharsNode):
            out.append(node.chars)
        elif isinstance(node, LatexGroupNode):
            out.append("{" + _macros_as_text(node.nodelist) + "}")
        elif isinstance(node, LatexMacroNode) and node.macroname in _STRUCTURE:
            args = node.nodeargd.argnlist if node.nodeargd else []
            out.append("\\" + node.macroname + "".join(
                "{" + _macros_as_text(a.nodelist if isinstance(a, LatexGroupNode) else [a]) + "}" for a in args if a))
        elif isinstance(node, LatexMacroNode):
            text = _OWN_TEXT.get(node.macroname)
            takes_arguments = bool(node.nodeargd and any(node.nodeargd.argnlist))   # its space led to them
            out.append((_TO_TEXT.nodelist_to_text([node]) if text is None else text)
                       + ("" if takes_arguments else node.macro_post_space))
        elif not isinstance(node, LatexCommentNode):
            out.append(_TO_TEXT.nodelist_to_text([node]))
    return "".join(out)


def latex_to_plain(latex: str) -> str:
    """Readable Unicode text for LaTeX math (scripts, fractions, sums, every macro pylatexenc knows).

    For targets that take no markup at all (Kahoot). latex2mathml gives MathML, not text; LaTeX-to-text
    converters (pylatexenc's too) keep ``_`` and ``^`` as they are, which is the raw look this function
    exists to avoid: pylatexenc renders the macros, the scripts and fractions are laid out here.
    """
    nodes, _, _ = LatexWalker(latex, tolerant_parsing=True).get_latex_nodes()
    text = _macros_as_text(nodes).replace("∂ ", "∂")
    text = _BIG_OPERATOR.sub(_big_operator, text)
    text = re.sub(r"_" + _SCRIPT, lambda m: _subscript(m.group(1) if m.group(1) is not None else m.group(2)), text)
    text = re.sub(r"\^" + _SCRIPT, lambda m: _superscript(m.group(1) if m.group(1) is not None else m.group(2)), text)
    fraction = re.compile(r"\\frac\{([^{}]*)\}\{([^{}]*)\}")
    while fraction.search(text):
        text = fraction.sub(lambda m: _fraction_part(m.group(1)) + "/" + _fraction_part(m.group(2)), text)
    text = text.replace("{", "").replace("}", "").replace("\\", "")
    for escaped, parked in _LITERAL_BRACES.items():
        text = text.replace(parked, escaped[1])
    return re.sub(r"\s+", " ", text).strip()


def to_plain(text: str) -> str:
    return "".join(value if kind == "text" else latex_to_plain(value) for kind, value in segments(text))
