"""``python -m derivgen.lint OUT_DIR PROBLEMS_DIR``."""

from __future__ import annotations

import sys

from derivgen.lint.outputs import main

sys.exit(main())
