"""wqm-workbench: consultant workbench for school wellbeing quality-mark assessment."""

__version__ = "0.1.0"
