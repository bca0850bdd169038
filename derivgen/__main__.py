"""``python -m derivgen``: the same as the ``derivgen`` command."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
