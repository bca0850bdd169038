"""``python -m derivgen.lint OUT_DIR PROBLEMS_DIR``."""

import sys

from derivgen.lint.outputs import main

sys.exit(main())
