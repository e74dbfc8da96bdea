"""``python -m boostfocal``: the same as the ``boostfocal`` command."""

import sys

from .compare.cli import main

sys.exit(main())
