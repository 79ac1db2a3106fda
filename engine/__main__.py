"""``python -m engine`` is the ``rflow`` command."""

import sys

from engine.cli import main

sys.exit(main())
