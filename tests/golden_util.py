"""Golden-file comparison for rendered output.

Regenerate every golden file after an intended change with::

    DERIVGEN_REGEN_GOLDEN=1 /work/venv/bin/pytest tests/test_render_md.py tests/test_render_json.py

then read the diff (``git diff tests/golden``) as a student would before committing.
"""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("DERIVGEN_REGEN_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs from its golden file; see tests/golden_util.py to regenerate"
