"""``python -m dicomsign.cli.dcmsign``: the ``dcmsign`` command."""

import sys

from . import main

sys.exit(main())
