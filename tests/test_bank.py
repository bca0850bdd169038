"""The bank a course uses as it is: enough problems, every one derived and verified, no warnings.

``derivgen build problems/`` is the first command of the README; a lecturer who sees a warning
on it (or a problem fewer than the sheets promise) has to edit the bank before handing it out.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BANK = ROOT / "problems"


def test_every_sheet_folder_is_listed_with_a_title() -> None:
    config = yaml.safe_load((BANK / "derivgen.yaml").read_text(encoding="utf-8"))
    folders = sorted(p.name for p in BANK.iterdir() if p.is_dir() and any(p.glob("*.yaml")))
    assert sorted(config["sheets"]) == folders
    assert all(str(title).startswith("Sheet ") for title in config["sheets"].values())


def test_the_bank_holds_at_least_80_problems_with_their_sources() -> None:
    files = sorted(BANK.glob("*/*.yaml"))
    assert len(files) >= 80, len(files)
    for f in files:
        problem = yaml.safe_load(f.read_text(encoding="utf-8"))
        assert problem.get("source"), f"{f.relative_to(ROOT)}: no source: says where it comes from"


@pytest.mark.slow
def test_the_whole_bank_derives_and_verifies_without_a_warning() -> None:
    run = subprocess.run([sys.executable, "-m", "derivgen", "check", str(BANK)], capture_output=True,
                         text=True, cwd=ROOT, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "warning" not in run.stderr, run.stderr
    assert "all problems derived and verified" in run.stdout + run.stderr
