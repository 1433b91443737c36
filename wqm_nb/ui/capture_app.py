"""The capture form's names where notebooks made before :mod:`wqm_nb.ui.capture` import them from
(``from wqm_nb.ui.capture_app import capture_app``). New code imports :mod:`wqm_nb.ui.capture`."""

from .capture import (
    AUTOSAVE_DELAY,
    Autosave,
    AwardDecisionPanel,
    CaptureApp,
    CaptureScope,
    CycleForm,
    ElementRow,
    TargetRow,
    TargetsPanel,
    TextField,
    capture_app,
    capture_scope,
    clock_time,
)

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
