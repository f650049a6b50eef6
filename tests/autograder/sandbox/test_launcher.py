"""The launcher's cgroup tuning: ``favordynmods`` turned on without touching anything else of the mount."""
from __future__ import annotations

import dataclasses
import platform
import re

import pytest

from autograder import config
from autograder.sandbox import launcher
from autograder.sandbox.worker import confine

# /proc/self/mountinfo of a hybrid machine (controllers on cgroup v1, cgroup2 beside them) and of a systemd one
HYBRID = """\
35 24 0:32 / /sys/fs/cgroup ro,nosuid,nodev,noexec - tmpfs tmpfs ro,mode=755
38 35 0:35 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,memory
41 35 0:38 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
"""
SYSTEMD = """\
25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
26 25 0:24 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
"""


def test_the_remount_keeps_the_mounts_own_flags_and_the_hierarchys_options():
    target, flags, data = launcher.favor_moves_remount(SYSTEMD)
    assert target == "/sys/fs/cgroup"
    assert flags == confine.MS_REMOUNT | confine.MS_NOSUID | confine.MS_NODEV | confine.MS_NOEXEC | confine.MS_RELATIME
    assert data.split(",") == ["nsdelegate", "memory_recursiveprot", "favordynmods"]
    target, flags, data = launcher.favor_moves_remount(HYBRID)
    assert (target, data) == ("/sys/fs/cgroup/unified", "nsdelegate,favordynmods")       # cgroup v1 cannot take it


def test_nothing_is_remounted_when_the_option_is_on_or_there_is_no_cgroup2():
    on = SYSTEMD.replace("memory_recursiveprot", "memory_recursiveprot,favordynmods")
    assert launcher.favor_moves_remount(on) is None and launcher.moves_favored(on)
    assert not launcher.moves_favored(SYSTEMD) and not launcher.moves_favored(HYBRID.splitlines()[1])
    assert launcher.favor_moves_remount(HYBRID.splitlines()[1]) is None
    escaped = HYBRID.replace("/sys/fs/cgroup/unified", "/srv/my\\040cgroups")
    assert launcher.favor_moves_remount(escaped)[0] == "/srv/my cgroups"


@pytest.mark.skipif(not launcher.cgroups_available(), reason="needs root and cgroups")
def test_slot_cgroups_turn_the_option_on_unless_the_configuration_keeps_the_mounts(monkeypatch):
    asked = []
    monkeypatch.setattr(launcher, "favor_cgroup_moves", lambda: asked.append(True) or True)
    kept = dataclasses.replace(config.current(), favor_cgroup_moves=False)
    monkeypatch.setattr(config, "_current", kept)
    assert launcher.slot_cgroups(0, launcher.Limits()) and asked == []
    monkeypatch.setattr(config, "_current", dataclasses.replace(kept, favor_cgroup_moves=True))
    assert launcher.slot_cgroups(0, launcher.Limits()) and asked == [True]


@pytest.mark.skipif(not launcher.cgroups_available(), reason="needs root and cgroups")
def test_as_root_the_machine_ends_with_moves_favored_where_the_kernel_offers_it():
    with open("/proc/self/mountinfo") as mountinfo:
        text = mountinfo.read()
    if " - cgroup2 " not in text:
        pytest.skip("no cgroup2 mount on this machine")
    if tuple(int(part) for part in re.findall(r"\d+", platform.release())[:2]) < (6, 1):
        pytest.skip("favordynmods needs Linux 6.1")
    assert launcher.favor_cgroup_moves() is True
    with open("/proc/self/mountinfo") as mountinfo:
        assert launcher.favor_moves_remount(mountinfo.read()) is None       # the option is on now
