"""Same input, same bytes: output does not depend on --jobs or on the run (PDFs included)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from derivgen.cli import main

BANK = Path(__file__).resolve().parent.parent / "problems"


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".cache" not in p.parts}


@pytest.mark.needs_tex  # PDFs too, when TeX is installed
@pytest.mark.slow
def test_jobs_1_and_2_write_identical_files(tmp_path: Path) -> None:
    formats = "md,json,tex,html" + (",pdf" if shutil.which("latexmk") else "")
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        assert main(["build", str(BANK / "3-matrix"), "-o", str(out), "-j", jobs, "--no-cache", "-q",
                     "--format", formats]) == 0
        outs.append(files(out))
    assert outs[0].keys() == outs[1].keys()
    differing = [name for name in outs[0] if outs[0][name] != outs[1][name]]
    assert differing == []
    if "pdf" in formats:
        assert any(name.endswith(".pdf") for name in outs[0])
    else:
        pytest.skip("no TeX: PDFs not compared")
