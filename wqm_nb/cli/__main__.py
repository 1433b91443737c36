"""``python -m wqm_nb.cli``: the ``wqm`` command."""
import sys

from . import main

sys.exit(main())
