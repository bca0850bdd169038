"""``python -m derivgen``: the same as the ``derivgen`` command."""

from __future__ import annotations

import sys

from derivgen.cli import main

sys.exit(main())
