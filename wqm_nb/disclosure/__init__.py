"""Disclosure control: what the tool publishes about a school year, and the proof that nothing hidden in it
can be worked out.

* :mod:`.audit`: the outsider's linear model and the audit of every hidden cell (linear programming,
  bounds rounded inward; mixed-integer programming to confirm);
* :mod:`.tables`: one survey's published tables, every framework at once, as that model;
* :mod:`.release`: a survey's cells under every framework, counted and protected jointly until the audit
  clears them.

Work in progress (issue 22): the release of a school year, protection until the audit clears, reasons and
the publication ledger come next, and the surfaces will read their figures from here.
"""
