"""``python -m gankit.cli`` (what torchrun and the launcher run), as ``python -m gankit``."""

import sys

from gankit.cli import main

sys.exit(main())
