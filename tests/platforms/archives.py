"""Platform downloads built in the tests (no committed binaries), in each platform's naming.

Moodle (mod_assign download, folders per submission): ``Full Name_<participant id>_assignsubmission_file_/FILE``
(Moodle >= 4.1 drops the trailing ``_``). Canvas (lib/content_zipper.rb): flat
``<sortable name, lowercased, non-word characters removed>[_LATE]_<user id>_<attachment id>_<file>``,
a re-upload of the same file name gets ``-1``. Also the commands' runner the round trips share.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import stat
import warnings
import zipfile
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class Entry:
    name: str
    data: bytes
    when: tuple = (2026, 11, 20, 10, 0, 0)
    symlink: bool = False
    raw_name: bytes | None = None     # written as these bytes without the UTF-8 flag (a non-UTF-8 name)


class _RawName(zipfile.ZipInfo):
    """A member whose name is stored as given bytes without the UTF-8 flag, as old zippers do."""
    raw: bytes = b""

    def _encodeFilenameFlags(self):
        return self.raw, self.flag_bits & ~0x800


def write_zip(path: Path, entries: list[Entry]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Duplicate name")     # hostile archives repeat names
        for entry in entries:
            info = _RawName(entry.name, date_time=entry.when) if entry.raw_name else zipfile.ZipInfo(entry.name,
                                                                                                     entry.when)
            if entry.raw_name:
                info.raw = entry.raw_name
            info.compress_type = zipfile.ZIP_DEFLATED
            if entry.symlink:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            else:
                info.external_attr = (stat.S_IFREG | 0o644) << 16
            with archive.open(info, "w", force_zip64=len(entry.data) > 2**31) as stream:
                stream.write(entry.data)
    return path


def moodle_folder(full_name: str, participant: int, *, trailing: bool = True) -> str:
    return f"{full_name}_{participant}_assignsubmission_file" + ("_" if trailing else "")


def canvas_stem(sortable: str, user: int, *, late: bool = False) -> str:
    """``<name>[_LATE]_<user id>`` as content_zipper.rb writes it: sanitize_user_name (every ``_<digits>_``
    made ``<digits>``, lowercased), then sanitize_file_name (non-word characters removed) over the whole."""
    import re

    name = re.sub(r"_([0-9]+)_", r"\1", sortable).lower()
    return re.sub(r"[^\w]", "", "_".join([name, *(["LATE"] if late else []), str(user)]))


ATTACHMENT_UNSAFE = r'[\x00/\\:*?"<>|]+'       # sanitize_attachment_filename


def canvas_name(sortable: str, user: int, attachment: int, file: str, *, late: bool = False) -> str:
    """An uploaded file: ``<stem>_<attachment id>_<display name>``."""
    import re

    return f"{canvas_stem(sortable, user, late=late)}_{attachment}_{re.sub(ATTACHMENT_UNSAFE, '_', file)}"


def canvas_entry(sortable: str, user: int, kind: str = "text", *, late: bool = False) -> str:
    """An online text entry (``_text.html``) or website URL (``_link.html``), as add_text_or_url names it."""
    return f"{canvas_stem(sortable, user, late=late)}_{kind}.html"


def cli(*args: str, stream: str = "output") -> str:
    """A learnathon command run in-process: its output as a terminal shows it (``stream="stdout"``: its
    standard output only); the command must succeed."""
    from click.testing import CliRunner

    from autograder.cli import main

    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return getattr(result, stream)


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
