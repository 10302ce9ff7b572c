"""``python -m pyumami``: the same command line as the ``pyumami`` script."""

import sys

from .cli import main

sys.exit(main())
