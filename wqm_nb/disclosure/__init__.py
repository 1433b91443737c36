"""Disclosure control: what the tool publishes about a school year, and the proof that nothing hidden in it
can be worked out.

* :mod:`.audit`: the outsider's linear model and the audit of every hidden cell (linear programming,
  bounds rounded inward; mixed-integer programming to confirm);
* :mod:`.tables`: one survey's published tables, every framework at once, as that model;
* :mod:`.protect`: one survey's cells under every framework, protected jointly;
* :mod:`.release`: a school year's survey cells under every framework, counted and protected jointly until
  the audit clears them (:func:`~.release.release_of`); the table of published figures
  (:mod:`wqm_nb.model.figures`) is one framework's view of it, and every surface reads that table;
* :mod:`.changes`: a school year published again after its data changed: respondents as atoms, and the
  new release audited with every earlier one;
* :mod:`.ledger`: the publication ledger beside the data, which records each release and gives a surface
  the one it publishes;
* :mod:`.measures`: validated measures in the release, decided with the survey's own cells and audited;
* :mod:`.families`: the protection of one family (a whole and its parts) by interval bounds, which a trust
  total's schools go through;
* :mod:`.overviews`: a trust's overview published again: its totals audited with every earlier overview;
* :mod:`.trust`: a trust's totals audited jointly with every member school's release and the pupil numbers;
* :mod:`.threshold`: one publication threshold per store;
* :mod:`.comments`: which kept survey comments the consultant may read.

Method: docs/privacy.md.
"""
