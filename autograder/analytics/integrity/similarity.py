"""Similar answer code: MOSS's winnowing (Schleimer, Wilkerson, Aiken 2003) through copydetect.

Per notebook, each submission's answer cells are one document, in notebook order, without the cells
left as released (so splitting or merging cells changes nothing, and unanswered stubs side by side
make no code of their own). copydetect normalises it (pygments tokens: every name becomes ``V``,
function names ``F``, strings ``S``; comments and layout dropped), takes the hashes of every K
characters of what remains, keeps a winnowed sample of them, and drops those that also occur in the
*known code* (the released notebook and the lecture: ``answers.known_code``). Two documents that
share fingerprints share normalised code of at least K characters; a pair is reported when the
shared code is long enough and a large enough part of one of them (thresholds measured by
``benchmarks/integrity.py`` on disguised copies and on independent correct solutions).

The instructor's solution takes part as one more document (owner ``records.SOLUTION``): a student
whose answers are the solution's shows up paired with it.
"""
from __future__ import annotations

import dataclasses
import functools
import io
import itertools
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from copydetect import CodeFingerprint

from .answers import Answers, known_code, released_cells, unanswered
from .records import Excerpt, Pair, Passage

# Measured by benchmarks/integrity.py (see benchmarks/README.md): K characters of normalised code make a
# fingerprint; a pair is reported when it shares at least MIN_SHARED characters of normalised code and
# that is at least MIN_SHARE of one side's own answer code (known code removed). With these, every one of
# 775 disguised copies was found (the weakest at 0.70), and the closest of 54 pairs of independent correct
# solutions scored 0.53.
K = 20
WINDOW = 1
MIN_SHARED = 120
MIN_SHARE = 0.6
# An honest notebook's answers are a few kB; past this only the first part takes part in the comparison.
MAX_DOCUMENT_CHARS = 256 * 1024


@dataclasses.dataclass(frozen=True)
class Thresholds:
    k: int = K
    window: int = WINDOW
    min_shared: int = MIN_SHARED
    min_share: float = MIN_SHARE


@dataclasses.dataclass(frozen=True)
class Document:
    """One owner's answer code of one notebook, with where each of its lines comes from."""
    owner: str
    answers: Answers
    text: str
    origin: tuple[tuple[int, int], ...]      # per line of text: (index into answers.cells, line in that cell)
    truncated: bool = False


def document(owner: str, answers: Answers, source: Path | None = None) -> Document:
    """The student's cells of ``answers`` in order; with the ``source`` notebook, cells left as released
    (an unanswered stub) are left out."""
    released = released_cells(Path(source)) if source else {}
    lines: list[str] = []
    origin: list[tuple[int, int]] = []
    for index, cell in enumerate(answers.cells):
        if cell.given or unanswered(cell, released):
            continue
        for number, line in enumerate(cell.python.split("\n"), start=1):
            lines.append(line)
            origin.append((index, number))
    text = "\n".join(lines)
    truncated = len(text) > MAX_DOCUMENT_CHARS
    if truncated:
        text = text[:MAX_DOCUMENT_CHARS]
        origin = origin[:text.count("\n") + 1]
    return Document(owner, answers, text, tuple(origin), truncated)


def _fingerprint(text: str, thresholds: Thresholds, known: frozenset[int] | None = None,
                 window: int | None = None) -> CodeFingerprint:
    """copydetect's fingerprint of ``text`` without the fingerprints of the known code.

    The known code is removed here rather than through copydetect's ``boilerplate`` argument: that
    one intersects with ``assume_unique=True`` although a document repeats fingerprints (every
    unanswered cell holds the same stub), and then keeps some repeated known code and drops wrong
    positions (copydetect 0.5.0, ``utils.get_document_fingerprints``).
    """
    from copydetect import CodeFingerprint
    from copydetect.utils import get_token_coverage

    fp = CodeFingerprint("answers.py", thresholds.k, thresholds.window if window is None else window,
                         language="python", fp=io.StringIO(text))
    if known:
        for h in fp.hashes & known:
            del fp.hash_idx[h]
        fp.hashes -= known
        fp.token_coverage = get_token_coverage(fp.hash_idx, thresholds.k, len(fp.filtered_code))
    return fp


def fingerprint(doc: Document, thresholds: Thresholds, known: frozenset[int]) -> CodeFingerprint:
    """The document's fingerprints (copydetect's CodeFingerprint), the known code removed."""
    return _fingerprint(doc.text, thresholds, known)


@functools.lru_cache(maxsize=16)
def known_fingerprints(source: Path, thresholds: Thresholds) -> frozenset[int]:
    """Every K-gram hash of the notebook's known code (not winnowed: all of it is removed)."""
    return frozenset().union(*(_fingerprint(part, thresholds, window=1).hashes for part in known_code(source)))


def _raw(fp: CodeFingerprint, filtered: np.ndarray) -> np.ndarray:
    """Positions in the filtered code -> positions in the text (as copydetect maps its slices)."""
    offsets: np.ndarray = fp.offsets     # (position in the filtered code, shift to the text), copydetect's
    if len(offsets) == 0 or len(filtered) == 0:
        return filtered
    at = np.clip(np.searchsorted(offsets[:, 0], filtered), 0, offsets.shape[0] - 1)
    shifted: np.ndarray = filtered + offsets[:, 1][at]     # numpy types an ndarray sum of unknown dtype as Any
    return shifted


def _excerpts(doc: Document, start: int, end: int) -> tuple[Excerpt, ...]:
    """The lines of ``doc.text[start:end]``, cell by cell."""
    first = doc.text.count("\n", 0, start)
    last = doc.text.count("\n", 0, max(start, end - 1))
    spans: dict[int, list[int]] = {}
    for line in range(first, min(last, len(doc.origin) - 1) + 1):
        index, number = doc.origin[line]
        spans.setdefault(index, []).append(number)
    found = []
    for index, numbers in spans.items():
        cell = doc.answers.cells[index]
        found.append(Excerpt(cell.number, cell.grade_id, numbers[0], numbers[-1], cell.lines(numbers[0], numbers[-1])))
    return tuple(found)


def _passages(doc_a: Document, fp_a: CodeFingerprint, doc_b: Document, fp_b: CodeFingerprint, slices_a: np.ndarray,
              slices_b: np.ndarray) -> tuple[Passage, ...]:
    """Each matching stretch of a beside the stretch of b it shares most fingerprints with."""
    shared = sorted(fp_a.hashes & fp_b.hashes)

    def stretches(fp: CodeFingerprint, slices: np.ndarray) -> list[set[int]]:
        """For each shared hash, the stretches (slice numbers) of this side that hold it."""
        counts = [len(fp.hash_idx[h]) for h in shared]
        positions = _raw(fp, np.concatenate([np.asarray(fp.hash_idx[h]) for h in shared]).astype(np.int64))
        found = (np.searchsorted(slices[0], positions, side="right") - 1).tolist()
        bounds = np.cumsum([0, *counts]).tolist()
        return [{s for s in found[bounds[n]:bounds[n + 1]] if s >= 0} for n in range(len(shared))]

    links: dict[tuple[int, int], int] = {}
    for in_a, in_b in zip(stretches(fp_a, slices_a), stretches(fp_b, slices_b)):
        for i, j in itertools.product(in_a, in_b):
            links[i, j] = links.get((i, j), 0) + 1
    best: dict[int, int] = {}
    for (i, j), count in sorted(links.items()):
        if i not in best or count > links[i, best[i]]:
            best[i] = j
    passages: list[tuple[list[int], int]] = []
    for i in sorted(best):
        if passages and passages[-1][1] == best[i]:
            passages[-1][0].append(i)
        else:
            passages.append(([i], best[i]))
    return tuple(Passage(_excerpts(doc_a, int(slices_a[0][group[0]]), int(slices_a[1][group[-1]])),
                         _excerpts(doc_b, int(slices_b[0][j]), int(slices_b[1][j]))) for group, j in passages)


def compare(doc_a: Document, fp_a: CodeFingerprint, doc_b: Document, fp_b: CodeFingerprint, notebook: str) -> Pair:
    from copydetect import compare_files

    shared, (share_a, share_b), (slices_a, slices_b) = compare_files(fp_a, fp_b)
    if not shared:
        return Pair(notebook, doc_a.owner, doc_b.owner, 0.0, 0.0, 0.0, 0, ())
    passages = _passages(doc_a, fp_a, doc_b, fp_b, slices_a, slices_b)
    return Pair(notebook, doc_a.owner, doc_b.owner, round(float(max(share_a, share_b)), 4), round(float(share_a), 4),
                round(float(share_b), 4), int(shared), passages)


def reported(pair: Pair, thresholds: Thresholds) -> bool:
    return pair.shared >= thresholds.min_shared and pair.score >= thresholds.min_share


def similar_pairs(documents: Iterable[Document], source: Path, notebook: str,
                  thresholds: Thresholds = Thresholds(), *, every_pair: bool = False) -> list[Pair]:
    """The pairs of ``documents`` (one notebook) whose answer code is alike, highest score first.
    ``every_pair``: every pair that shares any fingerprint, reported or not (for the benchmark)."""
    known = known_fingerprints(Path(source), thresholds)
    docs = [d for d in documents if d.text.strip()]
    prints = [fingerprint(d, thresholds, known) for d in docs]
    holders: dict[int, list[int]] = {}
    for i, fp in enumerate(prints):
        for h in fp.hashes:
            holders.setdefault(h, []).append(i)
    if sum(len(owners) ** 2 for owners in holders.values()) > len(docs) ** 2:    # code most of them share
        candidates = set(itertools.combinations(range(len(docs)), 2))
    else:
        candidates = {(a, b) for owners in holders.values() for a, b in itertools.combinations(owners, 2)}
    pairs = []
    for a, b in sorted(candidates):
        first, second = sorted((a, b), key=lambda i: docs[i].owner)
        pair = compare(docs[first], prints[first], docs[second], prints[second], notebook)
        if pair.shared and (every_pair or reported(pair, thresholds)):
            pairs.append(pair)
    return sorted(pairs, key=lambda p: (-p.score, -p.shared, p.a, p.b))
