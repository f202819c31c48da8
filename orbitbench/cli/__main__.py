"""``python -m orbitbench.cli``: the orbitbench command."""

import sys

from .main import main

sys.exit(main())
