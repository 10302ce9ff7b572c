"""``python -m pyumami.check LIB.so``: the same as ``pyumami check LIB.so``."""

import sys

from pyumami.check import main

sys.exit(main())
