"""Store layer: the SQLite store and the CSV exchange format.

Imports only the data layer (and the base modules ``errors`` and
``settings``). See :mod:`wqm_nb.store.schema` for the vocabulary: school
years, cycles and their history tables.
"""
from .csv_exchange import CSV_FILES, SURVEY_CSV, build_database, import_csv_dir
from .schema import PHASES, SCHEMA_VERSION
from .store import SURVEY_ID_COLUMNS, Store, academic_year_of

__all__ = ["CSV_FILES", "PHASES", "SCHEMA_VERSION", "SURVEY_CSV", "SURVEY_ID_COLUMNS", "Store",
           "academic_year_of", "build_database", "import_csv_dir"]
