"""``python -m wqm_nb.cli``: the ``wqm`` command."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
