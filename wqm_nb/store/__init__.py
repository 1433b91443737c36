"""Store layer: the SQLite store, the CSV exchange format and store maintenance.

Imports only the data layer (and the base modules ``errors`` and
``settings``). See :mod:`wqm_nb.store.schema` for the vocabulary: school
years, cycles and their history tables; :mod:`wqm_nb.store.cycle_records` for
what a cycle holds (element entries, reflections, adviser notes, targets) and
starting a year; :mod:`wqm_nb.store.csv_exchange` for the CSV folder format;
:mod:`wqm_nb.store.maintenance` for importing into an existing store,
migrating, erasing a school and extracting schools into a store of their own;
:mod:`wqm_nb.store.scope` for what a served page may read and write.
"""

from .csv_exchange import CSV_FILES, SURVEY_CSV, build_database, import_csv_dir
from .maintenance import ImportMode, ImportReport, erasure_log, extract_schools, import_folder, migrate, remove_school
from .schema import PHASES, SCHEMA_VERSION, SORTINGS, TARGET_STATUSES
from .scope import Scope, ScopedStore
from .store import DEFAULT_TIMEOUT, SURVEY_ID_COLUMNS, Store, academic_year_of, backup_copy

__all__ = [
    "CSV_FILES",
    "DEFAULT_TIMEOUT",
    "ImportMode",
    "ImportReport",
    "PHASES",
    "SCHEMA_VERSION",
    "SORTINGS",
    "SURVEY_CSV",
    "SURVEY_ID_COLUMNS",
    "Scope",
    "ScopedStore",
    "Store",
    "TARGET_STATUSES",
    "academic_year_of",
    "backup_copy",
    "build_database",
    "erasure_log",
    "extract_schools",
    "import_csv_dir",
    "import_folder",
    "migrate",
    "remove_school",
]
