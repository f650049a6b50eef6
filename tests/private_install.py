"""This project installed as a user with a private home has it: a checkout and a virtual environment
under a folder other users cannot enter (mode 700, like /root or a home folder of mode 750).

The venv is self-contained, as one made by ``pip install`` would be: every distribution this
interpreter imports has its installed files (its RECORD) linked into the venv (hard links where the
file system allows, copies otherwise), its scripts (nbgrader, alembic, jupyter ...) start the venv's
own python, and the copied checkout is installed editable. So nothing the grader needs lies outside the private home
but the base Python installation (with pyenv, itself under /root). Commands run with the home as
HOME and a temporary folder inside it (``PrivateInstall.run``).
"""
from __future__ import annotations

import dataclasses
import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

from autograder.grading import discovery


@dataclasses.dataclass(frozen=True)
class PrivateInstall:
    home: Path          # mode 700
    checkout: Path
    venv: Path

    @property
    def learnathon(self) -> Path:
        return self.venv / "bin" / "learnathon"

    @property
    def packages(self) -> Path:
        return next(self.venv.glob("lib/python3*/site-packages"))

    def run(self, argv, timeout: float = 1200, **env) -> subprocess.CompletedProcess:
        """``argv`` with a plain environment: HOME and TMPDIR in the private home (a test's own TMPDIR would
        lie outside it), started in the home; the venv is not activated (not on PATH): the grader finds its
        tools itself."""
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(self.home),
               "TMPDIR": str(self.home / "tmp"), "LANG": "C.UTF-8", **env}
        return subprocess.run([str(a) for a in argv], cwd=self.home, capture_output=True, text=True, env=env,
                              timeout=timeout)


def project_files(root: Path) -> list[str]:
    """The checkout's files as git sees them (committed or new, not ignored): what a clone holds."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                            capture_output=True, check=True).stdout.decode().split("\0")
    return [name for name in listed if name and (root / name).is_file()]


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError as error:
        if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
            raise
        shutil.copy2(source, target)


def _imported_site_packages() -> list[Path]:
    """Every site-packages this interpreter imports from (a worktree's light venv holds only the
    editable install and pip's seeds, and reaches a shared venv's libraries through a .pth file)."""
    import site

    found = [Path(p) for p in [*sys.path, *site.getsitepackages()] if p.endswith("site-packages") and os.path.isdir(p)]
    return list(dict.fromkeys(found))


def _installed_distributions() -> list:
    """One of each installed distribution but this project (which the venv installs from its copy): of
    two installs of a name (a light venv's pip seeds beside the shared venv's), the newer, as one venv
    would hold after ``pip install --upgrade``."""
    from importlib.metadata import distributions

    from packaging.utils import canonicalize_name
    from packaging.version import Version

    chosen = {}
    for source in _imported_site_packages():
        for dist in distributions(path=[str(source)]):
            name = canonicalize_name(dist.metadata["Name"])
            if name != "learnathon" and (name not in chosen or Version(dist.version) > Version(chosen[name].version)):
                chosen[name] = dist
    return list(chosen.values())


def _install_files(venv: Path, packages: Path) -> None:
    """Each distribution's files (its RECORD, compiled .pyc included) at the same place in the venv; its
    scripts (``../../../bin/...``), where they start the original venv's python, start the venv's own."""
    for dist in _installed_distributions():
        assert dist.files is not None, f"{dist.metadata['Name']} has no RECORD: the venv cannot be linked"
        prefix = Path(dist.locate_file("")).parents[2]      # <prefix>/lib/pythonX.Y/site-packages
        for file in dist.files:
            source = Path(dist.locate_file(file))
            target = Path(os.path.normpath(packages / file))
            if not source.is_file() or target.exists() or not target.is_relative_to(venv):
                continue                                     # RECORD lists files pip may since have removed
            target.parent.mkdir(parents=True, exist_ok=True)
            content = source.read_bytes()[:512] if target.parent == venv / "bin" else b""
            python = f"{prefix / 'bin'}/python".encode()
            if content.startswith(b"#!") and python in content:   # on the shebang line, or pip's exec line
                whole = source.read_bytes()
                target.write_bytes(whole[:512].replace(python, f"{venv / 'bin'}/python".encode()) + whole[512:])
                target.chmod(source.stat().st_mode & 0o777)
            else:
                _link_or_copy(source, target)


def build(home: Path, *, editable: bool = True) -> PrivateInstall:
    """This checkout copied into ``home`` (made mode 700), with a self-contained venv there; the
    project installed editable, or (``editable=False``) built and installed into the venv's
    site-packages as Gradescope's setup.sh does, with assignments/, solutions/ and autograder/hidden/."""
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)
    install = PrivateInstall(home, home / "learnathon", home / "venv")
    (home / "tmp").mkdir()
    for name in project_files(discovery.PROJECT_ROOT):
        (install.checkout / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(discovery.PROJECT_ROOT / name, install.checkout / name)
    made = install.run([sys._base_executable, "-m", "venv", "--without-pip", install.venv])
    assert made.returncode == 0, made.stderr
    _install_files(install.venv, install.packages)
    installed = install.run([install.venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps",
                             "--no-build-isolation", "--no-index", *(["-e"] if editable else []), install.checkout])
    assert installed.returncode == 0, installed.stderr
    return install


def sandbox_problems(install: PrivateInstall) -> str:
    """``learnathon sandbox`` from the private venv: the problems it names ('' when every protection holds)."""
    checked = install.run([install.learnathon, "sandbox"])
    output = checked.stdout + checked.stderr
    holds = checked.returncode == 0 and "Every protection holds." in checked.stdout
    return "" if holds and "NO " not in checked.stdout and "FAIL" not in checked.stdout else output
