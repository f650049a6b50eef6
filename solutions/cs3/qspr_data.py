"""The cs3 data set: experimental normal boiling points of small organic molecules, built offline.

Everything comes from data that installed packages ship; nothing is downloaded.

Sources (``chemicals.phase_change.Tb_sources``), experimental values only:
    CRC_ORG  CRC Handbook of Chemistry and Physics, organic compounds table
    WEBBOOK  NIST Chemistry WebBook (mostly experimental, some averaged values)
    HEOS     reference equations of state (NIST REFPROP / CoolProp fluids)
Never used as labels: YAWS (mixes experimental and predicted values), COMMON_CHEMISTRY (noisier),
WIKIDATA (unreviewed), JOBACK (a group-contribution *estimate*; kept as a comparison column only),
CRC_INORG (inorganic).

Pipeline (each step's row count goes into the build log and the data card):
    1. one value per (CAS, source); CAS numbers in all sources normalised to "NNNN-NN-N";
    2. per CAS: drop if the sources disagree by more than 10 K, else take the median;
    3. structure: SMILES from ``chemicals.identifiers.search_chemical(CAS)``; dropped if unknown;
    4. RDKit: must parse; single fragment; net charge 0 and no radicals; no isotope labels;
       organic elements only (C, H, N, O, S, P, F, Cl, Br, I), at least one carbon;
       at most 20 heavy atoms; label within a plausible range (50-900 K);
    5. de-duplication by canonical SMILES without stereochemistry (descriptors cannot tell
       stereoisomers apart): a group that agrees within 10 K becomes one row (median label,
       smallest CAS), a group that disagrees is dropped.
The result is split for good by a hash of the canonical SMILES: 85 % is released to students
(``assignments/cs3/boiling_points.csv``), 15 % is held out for grading
(``autograder/hidden/cs3/heldout_molecules.csv``). Both files are committed (small, deterministic);
``python -m solutions.cs3.qspr_data --write`` regenerates them and the data card, and
``tests/assignments/cs3/test_cs3_qspr_data.py`` checks that a fresh build reproduces them byte for byte.
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import io
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

BUILD_VERSION = 1                        # bump when the rules below change
SOURCES = ("CRC_ORG", "WEBBOOK", "HEOS")
EXCLUDED_SOURCES = ("YAWS", "COMMON_CHEMISTRY", "WIKIDATA", "JOBACK", "CRC_INORG")
MAX_DISAGREEMENT_K = 10.0
ORGANIC_ELEMENTS = frozenset({"C", "H", "N", "O", "S", "P", "F", "Cl", "Br", "I"})
MAX_HEAVY_ATOMS = 20
TB_RANGE_K = (50.0, 900.0)
HELDOUT_PERCENT = 15

PROJECT = Path(__file__).resolve().parents[2]
RELEASE_CSV = PROJECT / "assignments" / "cs3" / "boiling_points.csv"
HELDOUT_CSV = PROJECT / "autograder" / "hidden" / "cs3" / "heldout_molecules.csv"
DATA_CARD = PROJECT / "assignments" / "cs3" / "DATA_CARD.md"
COLUMNS = ("smiles", "name", "cas", "Tb_K", "n_sources", "sources", "Tb_joback_K")

# The small, physically meaningful descriptor set (RDKit function names), in the notebook's order.
SMALL_DESCRIPTORS = ("MolWt", "NumHDonors", "NumHAcceptors", "TPSA", "NumRotatableBonds",
                     "RingCount", "NumAromaticRings", "MolLogP", "FractionCSP3", "HeavyAtomCount")


@dataclasses.dataclass
class BuildLog:
    """Row counts after each step, in order: (step, rows left, rows removed, why)."""
    steps: list = dataclasses.field(default_factory=list)

    def record(self, step: str, rows: int, before: int | None = None, why: str = "") -> None:
        removed = 0 if before is None else before - rows
        self.steps.append({"step": step, "rows": rows, "removed": removed, "why": why})

    def to_dict(self) -> dict:
        return {"steps": self.steps}


# --- cache ------------------------------------------------------------------------------------

def versions() -> dict:
    import chemicals
    import rdkit

    return {"build": BUILD_VERSION, "chemicals": chemicals.__version__, "rdkit": rdkit.__version__}


def cache_dir() -> Path:
    """``$LEARNATHON_CACHE/qspr/<key>`` (default ``~/.cache/learnathon``), keyed by the package versions."""
    root = Path(os.environ.get("LEARNATHON_CACHE") or Path.home() / ".cache" / "learnathon")
    key = hashlib.sha256(json.dumps(versions(), sort_keys=True).encode()).hexdigest()[:16]
    return root / "qspr" / key


def _write_atomically(path: Path, data: bytes) -> None:
    # Another process (pytest-xdist, a second grader) may build at the same time: never expose half a file.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


# --- step 1-2: labels ---------------------------------------------------------------------------

def _normalise_cas(value) -> str:
    from chemicals.identifiers import int_to_CAS

    return value if isinstance(value, str) else int_to_CAS(int(value))


def source_values() -> dict[str, dict[str, float]]:
    """{source: {CAS: Tb in K}} for the experimental sources."""
    import chemicals.phase_change as phase_change

    phase_change._load_phase_change_constants()  # the tables are loaded lazily
    result = {}
    for source in SOURCES:
        column = phase_change.Tb_sources[source]["Tb"].dropna()
        values: dict[str, float] = {}
        for cas, tb in column.items():
            values.setdefault(_normalise_cas(cas), float(tb))  # a repeated CAS keeps its first row
        result[source] = values
    return result


def combine_sources(per_source: dict[str, dict[str, float]], log: BuildLog) -> dict[str, tuple[float, tuple[str, ...]]]:
    """{CAS: (median Tb, sources)} where all sources agree within MAX_DISAGREEMENT_K."""
    for source in SOURCES:
        log.record(f"source {source}", len(per_source[source]), why="experimental values in chemicals")
    cas_numbers = sorted(set().union(*per_source.values()))
    log.record("union of sources", len(cas_numbers), why="distinct CAS numbers with at least one value")
    combined = {}
    for cas in cas_numbers:
        found = [(s, per_source[s][cas]) for s in SOURCES if cas in per_source[s]]
        values = [v for _, v in found]
        if max(values) - min(values) <= MAX_DISAGREEMENT_K:
            combined[cas] = (float(statistics.median(values)), tuple(s for s, _ in found))
    log.record("sources agree", len(combined), len(cas_numbers), f"sources differ by more than {MAX_DISAGREEMENT_K:g} "
                                                                 "K")
    return combined


# --- step 3-4: structures -------------------------------------------------------------------------

def lookup_structure(cas: str) -> tuple[str, str] | None:
    """(SMILES, name) from chemicals' identifier database, or None if it does not know the CAS."""
    from chemicals.identifiers import search_chemical

    try:
        meta = search_chemical(cas)
    except Exception:  # noqa: BLE001 - chemicals raises plain Exception for unknown identifiers
        return None
    if meta is None or meta.CASs != cas or not meta.smiles:
        return None
    return meta.smiles, meta.common_name or meta.iupac_name or cas


def rejection_reason(smiles: str) -> str | None:
    """Why a structure is not in the data set (None: it is in). Order matters for the log."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")  # type: ignore[attr-defined]
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return "RDKit cannot parse the SMILES"
    if len(Chem.GetMolFrags(mol)) != 1:
        return "more than one fragment (salts, mixtures)"
    if Chem.GetFormalCharge(mol) != 0 or any(a.GetNumRadicalElectrons() for a in mol.GetAtoms()):
        return "charged or radical"
    if any(a.GetIsotope() for a in mol.GetAtoms()):
        return "isotope-labelled"
    symbols = {a.GetSymbol() for a in mol.GetAtoms()}
    if not symbols <= ORGANIC_ELEMENTS or "C" not in symbols:
        return "elements other than C H N O S P F Cl Br I, or no carbon"
    if mol.GetNumHeavyAtoms() > MAX_HEAVY_ATOMS:
        return f"more than {MAX_HEAVY_ATOMS} heavy atoms"
    return None


def canonical_key(smiles: str) -> str:
    """Canonical SMILES without stereochemistry: the identity of a molecule in this data set."""
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    Chem.RemoveStereochemistry(mol)
    return Chem.MolToSmiles(mol)


def joback_estimates() -> dict[str, float]:
    """chemicals' precomputed Joback group-contribution Tb, by CAS (a baseline, never a label)."""
    import chemicals.phase_change as phase_change

    phase_change._load_phase_change_constants()
    column = phase_change.Tb_sources["JOBACK"]["Tb"].dropna()
    return {_normalise_cas(cas): float(tb) for cas, tb in column.items()}


def build_rows(log: BuildLog) -> list[dict]:
    combined = combine_sources(source_values(), log)
    structures = {}
    for cas in combined:
        found = lookup_structure(cas)
        if found is not None:
            structures[cas] = found
    log.record("structure known", len(structures), len(combined), "CAS not in chemicals' identifier database")

    # RDKit filters, one log line per reason, in the order rejection_reason tests them.
    reasons: dict[str, int] = {}
    kept = {}
    for cas, (smiles, name) in structures.items():
        reason = rejection_reason(smiles)
        if reason is None:
            tb = combined[cas][0]
            if not TB_RANGE_K[0] <= tb <= TB_RANGE_K[1]:
                reason = f"label outside {TB_RANGE_K[0]:g}-{TB_RANGE_K[1]:g} K"
        if reason is None:
            kept[cas] = (smiles, name)
        else:
            reasons[reason] = reasons.get(reason, 0) + 1
    left = len(structures)
    for reason in ("RDKit cannot parse the SMILES", "more than one fragment (salts, mixtures)", "charged or radical",
                   "isotope-labelled", "elements other than C H N O S P F Cl Br I, or no carbon",
                   f"more than {MAX_HEAVY_ATOMS} heavy atoms", f"label outside {TB_RANGE_K[0]:g}-{TB_RANGE_K[1]:g} K"):
        removed = reasons.pop(reason, 0)
        log.record("RDKit / label filter", left - removed, left, reason)
        left -= removed
    assert not reasons, f"unlogged rejection reasons: {reasons}"
    assert left == len(kept)

    # De-duplicate by canonical SMILES (stereo removed).
    groups: dict[str, list[str]] = {}
    for cas in sorted(kept, key=_cas_sort_key):
        groups.setdefault(canonical_key(kept[cas][0]), []).append(cas)
    joback = joback_estimates()
    rows = []
    for key in sorted(groups):
        members = groups[key]
        labels = [combined[c][0] for c in members]
        if max(labels) - min(labels) > MAX_DISAGREEMENT_K:
            continue
        first = members[0]
        sources = sorted({s for c in members for s in combined[c][1]})
        rows.append({
            "smiles": key,
            "name": kept[first][1],
            "cas": first,
            "Tb_K": round(float(statistics.median(labels)), 2),
            "n_sources": sum(len(combined[c][1]) for c in members),
            "sources": ";".join(sources),
            "Tb_joback_K": round(joback[first], 2) if first in joback else None,
        })
    duplicates = len(kept) - len(groups)
    log.record("merge duplicate structures", len(groups), len(kept),
               f"{duplicates} rows share a canonical SMILES (stereoisomers, repeated CAS numbers)")
    log.record("duplicates agree", len(rows), len(groups), "same structure, labels differ by more than "
                                                           f"{MAX_DISAGREEMENT_K:g} K")
    return rows


def _cas_sort_key(cas: str) -> tuple[int, ...]:
    return tuple(int(part) for part in cas.split("-"))


def is_heldout(smiles: str) -> bool:
    """The fixed 15 % kept for grading, chosen by a hash of the molecule (independent of row order)."""
    digest = hashlib.sha256(smiles.encode()).digest()
    return int.from_bytes(digest[:8], "little") % 100 < HELDOUT_PERCENT


# --- files ------------------------------------------------------------------------------------------

def to_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(["" if row[c] is None else (f"{row[c]:.2f}" if isinstance(row[c], float) else row[c])
                         for c in COLUMNS])
    return out.getvalue().encode()


@dataclasses.dataclass(frozen=True)
class Build:
    rows: list
    log: dict
    seconds: float
    cached: bool

    @property
    def released(self) -> list[dict]:
        return [r for r in self.rows if not is_heldout(r["smiles"])]

    @property
    def heldout(self) -> list[dict]:
        return [r for r in self.rows if is_heldout(r["smiles"])]


def build(*, use_cache: bool = True) -> Build:
    """The whole data set (released and held-out rows), from the cache when it is there."""
    started = time.perf_counter()
    folder = cache_dir()
    rows_file, log_file = folder / "molecules.json", folder / "build_log.json"
    if use_cache and rows_file.exists() and log_file.exists():
        try:
            rows, log = json.loads(rows_file.read_text()), json.loads(log_file.read_text())
            return Build(rows, log, time.perf_counter() - started, True)
        except (OSError, json.JSONDecodeError):
            pass  # a damaged cache is rebuilt
    log = BuildLog()
    rows = build_rows(log)
    seconds = time.perf_counter() - started
    record = {**log.to_dict(), "versions": versions(), "released": sum(not is_heldout(r["smiles"]) for r in rows),
              "heldout": sum(is_heldout(r["smiles"]) for r in rows)}
    _write_atomically(rows_file, json.dumps(rows).encode())
    _write_atomically(log_file, json.dumps(record, indent=1).encode())
    return Build(rows, record, seconds, False)


def data_card(result: Build) -> str:
    log = result.log
    lines = [
        "# Data card: normal boiling points of small organic molecules (cs3)",
        "",
        "Generated by `python -m solutions.cs3.qspr_data --write`; do not edit by hand.",
        "",
        "## What it is",
        f"- `boiling_points.csv`: {log['released']} molecules, one row each. Another {log['heldout']} molecules "
        "(chosen by a hash of the SMILES) are held out for grading and not released.",
        "- Columns: `smiles` (RDKit canonical SMILES, stereochemistry removed), `name` (from `chemicals`), "
        "`cas` (CAS registry number; the smallest if several CAS numbers describe the same structure), "
        "`Tb_K` (normal boiling point in kelvin: the label), `n_sources` (how many source values support it), "
        "`sources`, `Tb_joback_K` (the Joback group-contribution *estimate* shipped with `chemicals`, "
        "for comparison only; empty where it has none).",
        "",
        "## Where it comes from",
        "All values are read offline from the `chemicals` package (`chemicals.phase_change.Tb_sources`):",
        "- `CRC_ORG`: CRC Handbook of Chemistry and Physics (95th ed.), physical constants of organic compounds;",
        "- `WEBBOOK`: NIST Chemistry WebBook (Shen et al., doi:10.18434/T4M88Q), mostly experimental values;",
        "- `HEOS`: reference equations of state (NIST REFPROP fluids; Huber et al. 2022).",
        "Not used as labels: Yaws (mixes experimental and predicted values), CAS Common Chemistry (noisier), "
        "Wikidata (unreviewed), Joback (an estimate), CRC inorganic.",
        "Structures: SMILES from `chemicals.identifiers.search_chemical(CAS)` (PubChem-derived), checked with RDKit.",
        "",
        "## Filters (rows left after each step)",
        "| step | rows | removed | why |",
        "| --- | ---: | ---: | --- |",
        *[f"| {s['step']} | {s['rows']} | {s['removed']} | {s['why']} |" for s in log["steps"]],
        "",
        "Rules: sources are combined by the median where they agree within 10 K and dropped where they disagree "
        "by more; structures must parse in RDKit, be a single neutral, non-radical fragment without isotope labels, "
        f"contain carbon and only C, H, N, O, S, P, F, Cl, Br, I, and have at most {MAX_HEAVY_ATOMS} heavy atoms; "
        f"labels must lie in {TB_RANGE_K[0]:g}-{TB_RANGE_K[1]:g} K; rows with the same canonical SMILES are merged "
        "(median) when they agree within 10 K and dropped otherwise.",
        "",
        f"Built with chemicals {log['versions']['chemicals']}, RDKit {log['versions']['rdkit']} "
        f"(builder version {log['versions']['build']}).",
        "",
        "## Licences (as far as known; not legal advice)",
        "- `chemicals` (MIT licence) ships these tables; this file only re-packages values it distributes.",
        "- CRC Handbook values are factual data compiled from the literature (the Handbook itself is copyrighted by "
        "CRC Press). The NIST Chemistry WebBook is NIST Standard Reference Database 69, for which NIST reserves "
        "rights under the US Standard Reference Data Act. PubChem identifiers are public domain.",
        "- Use it for teaching and cite the sources above; check the original sources before other uses.",
        "",
        "## Known limitations",
        "- Stereoisomers are merged (descriptors cannot tell them apart), so e.g. cis/trans isomers share one label.",
        "- Labels are single literature values or medians of at most three; errors of a few kelvin are normal, and "
        "some WebBook values are themselves averaged or estimated.",
        "- Small molecules only (at most 20 heavy atoms, organic elements): no salts, ions, polymers, organometallics.",
        "- Compounds that decompose before boiling are rare here (no boiling point is reported for them), so models "
        "trained on this set say nothing about them.",
        "- The chemistry is uneven (what handbooks happen to list): some families have hundreds of members, "
        "others a handful, so per-family errors of small families are uncertain.",
    ]
    return "\n".join(lines) + "\n"


def release_files(result: Build | None = None) -> dict[Path, bytes]:
    """What the repository holds, as bytes: released CSV, held-out CSV, data card."""
    result = result or build()
    return {RELEASE_CSV: to_csv(result.released), HELDOUT_CSV: to_csv(result.heldout),
            DATA_CARD: data_card(result).encode()}


def write_release_files() -> dict[Path, bytes]:
    files = release_files()
    for path, data in files.items():
        _write_atomically(path, data)
    return files


# --- descriptors (used by tests, benchmarks and the grader; the notebook has its own) ------------------

def small_descriptors(smiles_list) -> np.ndarray:
    """(n, 10) RDKit values of SMALL_DESCRIPTORS; a row of NaN where the SMILES does not parse."""
    from rdkit import Chem, RDLogger
    from rdkit.Chem import Descriptors

    RDLogger.DisableLog("rdApp.*")  # type: ignore[attr-defined]
    functions = [getattr(Descriptors, name) for name in SMALL_DESCRIPTORS]
    out = np.full((len(smiles_list), len(functions)), np.nan)
    for i, smiles in enumerate(smiles_list):
        mol = Chem.MolFromSmiles(smiles) if isinstance(smiles, str) and smiles else None
        if mol is not None:
            out[i] = [f(mol) for f in functions]
    return out


def _full_descriptor_rows(smiles_list) -> np.ndarray:
    from rdkit import Chem, RDLogger
    from rdkit.Chem import Descriptors

    RDLogger.DisableLog("rdApp.*")  # type: ignore[attr-defined]
    names = [name for name, _ in Descriptors.descList]
    out = np.full((len(smiles_list), len(names)), np.nan)
    for i, smiles in enumerate(smiles_list):
        mol = Chem.MolFromSmiles(smiles) if isinstance(smiles, str) and smiles else None
        if mol is not None:
            values = Descriptors.CalcMolDescriptors(mol)
            out[i] = [values[n] for n in names]
    return out


def full_descriptors(smiles_list, *, processes: int | None = None) -> tuple[np.ndarray, list[str]]:
    """(n, ~217) all RDKit descriptors (``CalcMolDescriptors``), NaN rows for invalid SMILES.

    About 5 ms of CPU per molecule, so large lists are spread over the CPU cores (same result,
    same order: each process computes a contiguous chunk).
    """
    from rdkit.Chem import Descriptors

    names = [name for name, _ in Descriptors.descList]
    smiles_list = list(smiles_list)
    processes = processes or min(os.cpu_count() or 1, 8)
    if processes < 2 or len(smiles_list) < 500:
        return _full_descriptor_rows(smiles_list), names
    import concurrent.futures
    import multiprocessing

    bounds = np.linspace(0, len(smiles_list), processes + 1).astype(int)
    chunks = [smiles_list[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    # "spawn": forking a process that may hold torch or pytest threads is not safe.
    with concurrent.futures.ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = list(pool.map(_full_descriptor_rows, chunks))
    return np.vstack(parts), names


def usable_columns(X) -> np.ndarray:
    """Boolean mask: columns finite in every row and not constant (documented rule for the full set).

    A column with any NaN or infinity (some RDKit descriptors overflow, e.g. Ipc, or fail on
    unusual atoms) cannot go into a network; a constant column carries no information and has
    zero spread, so it cannot be standardised.
    """
    X = np.asarray(X, dtype=float)
    finite = np.all(np.isfinite(X), axis=0)
    spread = np.zeros(X.shape[1], dtype=bool)
    spread[finite] = np.ptp(X[:, finite], axis=0) > 0
    return finite & spread


def cached_descriptors(kind: str = "small") -> tuple[np.ndarray, list[str], list[str]]:
    """Descriptors of every molecule of the build, cached: (X, names, smiles). kind: "small" or "full"."""
    rows = build().rows
    smiles = [r["smiles"] for r in rows]
    path = cache_dir() / f"descriptors_{kind}.npz"
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as data:
                if list(data["smiles"]) == smiles:
                    return data["X"], list(data["names"]), smiles
        except (OSError, ValueError, KeyError):
            pass
    if kind == "small":
        X, names = small_descriptors(smiles), list(SMALL_DESCRIPTORS)
    elif kind == "full":
        X, names = full_descriptors(smiles)
    else:
        raise ValueError(f"kind must be 'small' or 'full', not {kind!r}")
    buffer = io.BytesIO()
    np.savez(buffer, X=X, names=np.array(names), smiles=np.array(smiles))
    _write_atomically(path, buffer.getvalue())
    return X, names, smiles


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help="write the released CSV, held-out CSV and data card")
    parser.add_argument("--no-cache", action="store_true", help="rebuild even if a cached build exists")
    args = parser.parse_args(argv)
    result = build(use_cache=not args.no_cache)
    for step in result.log["steps"]:
        print(f"{step['rows']:>6} {-step['removed'] or '':>7}  {step['step']}")
    print(f"released {result.log['released']}, held out {result.log['heldout']}; "
          f"{'cached' if result.cached else 'built'} in {result.seconds:.2f} s")
    if args.write:
        for path in write_release_files():
            print(f"wrote {path.relative_to(PROJECT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
