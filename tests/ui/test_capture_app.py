"""The old import path of the capture form still gives the form's own names (notebooks made before
``wqm_nb.ui.capture`` import from it)."""

from wqm_nb.ui import capture, capture_app


def test_the_old_module_gives_the_packages_names():
    assert capture_app.__all__ == capture.__all__
    assert all(getattr(capture_app, name) is getattr(capture, name) for name in capture.__all__)
