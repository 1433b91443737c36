"""The capture form: a school's self-evaluation, adviser notes, targets and staff audit,
saved as you go.

:class:`CaptureApp` is what ``notebooks/sef_capture.ipynb`` shows, in
JupyterLab and in Voila (``wqm capture``). It is built from the framework
file, so WQM, VbE, Leadership and Management and any custom framework get the
same form:

* a tab per section (principle, aspect, key question) with, per element, the
  rating on the framework's scale (the chosen level's descriptor shown under
  it, every descriptor in the dropdown's tooltip and in the "Rating scale"
  help), the evidence, the NCB tool's sorting ("we do this now", "we want to
  do this", "we don't want to / don't understand this") and a History button
  showing every saved change; the section's live completion and mean; the
  adviser's note for the section;
* a Targets tab (section, target, owner, review date, status; targets carried
  from last year say so), an Adviser tab (the whole-school note and the
  framework's reflections, e.g. VbE's stand-out area, next steps and audit
  conclusion, and, for the consultant only, the award decision with a Record
  button and the school's decision history) and, where the question bank has a staff audit mapped to the
  framework, a Staff audit tab for the INSET day tally;
* a header with overall completion and what is still missing for the next
  award level (the report's own award rules, :mod:`wqm_nb.model.capture`),
  and buttons to start a new year (carrying open targets) and, for the
  consultant, to add a school.

**Autosave.** There is no Save button. A change is written through the store
(an append-only history entry with who and when) once the field has been idle
for :data:`AUTOSAVE_DELAY` seconds; a text field sends its value as you type,
so leaving it saves within that delay too. One edit is one history entry, not
one per keystroke. The form then shows "saved hh:mm:ss"; an error is shown in
the form (``role=alert``), and the field keeps its value to be saved with the
next change. The person is asked for their name once per session.

A CSV folder is refused: what the form writes would be lost with the scratch
store it is read into; the message names the command that makes a store.

The form is built in four modules: :mod:`.autosave`, :mod:`.fields` (one element, a text field),
:mod:`.panels` (targets, staff audit, award decision) and :mod:`.form` (the school year's form and the app).
"""

from .autosave import AUTOSAVE_DELAY, Autosave, clock_time
from .fields import ElementRow, TextField
from .form import CaptureApp, CaptureScope, CycleForm, capture_app, capture_scope
from .panels import AwardDecisionPanel, TargetRow, TargetsPanel

__all__ = [
    "AUTOSAVE_DELAY",
    "Autosave",
    "AwardDecisionPanel",
    "CaptureApp",
    "CaptureScope",
    "CycleForm",
    "ElementRow",
    "TargetRow",
    "TargetsPanel",
    "TextField",
    "capture_app",
    "capture_scope",
    "clock_time",
]
