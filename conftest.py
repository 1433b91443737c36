"""Test isolation, loaded before any collection (tests and nbval notebooks).

Jupyter, IPython and matplotlib write config, runtime files and caches, and
every publication writes to a ledger beside its data; point them all at a
throwaway folder so a test run writes nothing to $HOME or the checkout, and
no run's ledger changes the next run's figures.
"""

import os
import tempfile
from pathlib import Path

_SCRATCH = Path(tempfile.mkdtemp(prefix="wqm-tests-"))
for _var, _sub in {
    "JUPYTER_CONFIG_DIR": "jupyter/config",
    "JUPYTER_DATA_DIR": "jupyter/data",
    "JUPYTER_RUNTIME_DIR": "jupyter/runtime",
    "IPYTHONDIR": "ipython",
    "MPLCONFIGDIR": "matplotlib",
    "XDG_CACHE_HOME": "cache",
    "WQM_LEDGER_DIR": "ledgers",  # publication ledgers: none beside sample_data in the checkout
}.items():
    os.environ[_var] = str(_SCRATCH / _sub)
    (_SCRATCH / _sub).mkdir(parents=True, exist_ok=True)
os.environ["JUPYTER_PLATFORM_DIRS"] = "1"
os.environ.pop("WQM_DATA", None)
