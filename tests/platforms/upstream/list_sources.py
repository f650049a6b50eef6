"""The platforms' own files the upstream tests need, at their commits (sources.toml).

    python tests/platforms/upstream/list_sources.py              # one line per file: folder, path, commit, raw URL
    python tests/platforms/upstream/list_sources.py --check DIR  # which of them DIR lacks (exit 1 if any)

Lay the files out as DIR/<folder>/<path> (folder: "moodle", "canvas-lms") and run the upstream tests with
LEARNATHON_UPSTREAM_DIR=DIR (tests/platforms/test_upstream_importers.py).
"""
from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

SOURCES = Path(__file__).with_name("sources.toml")


def sources() -> list[dict]:
    """Every file, with the folder it goes in under the upstream directory."""
    table = tomllib.loads(SOURCES.read_text(encoding="utf-8"))
    return [{**entry, "folder": "canvas-lms" if folder == "canvas" else folder}
            for folder, entries in table.items() for entry in entries]


def raw_url(entry: dict) -> str:
    return f"https://raw.githubusercontent.com/{entry['repo']}/{entry['commit']}/{entry['path']}"


def missing(directory: Path) -> list[dict]:
    return [e for e in sources() if not (directory / e["folder"] / e["path"]).is_file()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", type=Path, metavar="DIR", help="report which files DIR lacks")
    args = parser.parse_args(argv)
    if args.check:
        absent = missing(args.check)
        for entry in absent:
            print(f"missing: {entry['folder']}/{entry['path']} ({entry['repo']} at {entry['commit']})")
        return 1 if absent else 0
    for entry in sources():
        use = entry["use"] if isinstance(entry["use"], str) else "functions " + ", ".join(entry["use"])
        print(f"{entry['folder']}/{entry['path']}\t{entry['commit']}\t{use}\t{raw_url(entry)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
