"""`python -m cortex_racelint` is `racelint`."""

import sys

from .cli import main

sys.exit(main())
