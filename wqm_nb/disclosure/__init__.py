"""Disclosure control: what the tool publishes about a school year, and the proof that nothing hidden in it
can be worked out.

* :mod:`.audit`: the outsider's linear model and the audit of every hidden cell (linear programming,
  bounds rounded inward; mixed-integer programming to confirm);
* :mod:`.tables`: one survey's published tables, every framework at once, as that model;
* :mod:`.release`: a school year's survey cells under every framework, counted and protected jointly until
  the audit clears them (:func:`~.release.release_of`); the table of published figures
  (:mod:`wqm_nb.model.figures`) is one framework's view of it, and every surface reads that table.

Not here yet (issue 22 goes on): the publication ledger (differences between two publications of a school
year), trust totals and benchmarks from the releases, and validated measures, which
:mod:`wqm_nb.model.suppression` and :mod:`wqm_nb.model.measures` still protect per family.
"""
