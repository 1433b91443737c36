"""Serve surface: ``wqm serve`` (the leaders' Voila app) and signed links.

:mod:`.links` signs and checks one-school links; :mod:`.app` runs Voila with
the Host check, link and token checks, kernel cap and PDF route.
"""
