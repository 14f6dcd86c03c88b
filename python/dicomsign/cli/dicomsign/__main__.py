"""``python -m dicomsign.cli.dicomsign``: the ``dicomsign`` command."""

import sys

from . import main

sys.exit(main())
