"""Signed one-school links: made, checked, refused when changed, repeated or expired."""
import hashlib
import hmac
import os
import stat

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wqm_nb.errors import SettingsError
from wqm_nb.serve.links import LinkError, check_link, load_secret, make_link, parse_duration, secret_path

SECRET = b"0" * 64


def args(query: str) -> dict[str, list[bytes]]:
    from urllib.parse import parse_qs

    return {k: [x.encode() for x in v] for k, v in parse_qs(query, keep_blank_values=True).items()}


def test_a_link_checks_and_names_its_school_and_year():
    link = make_link(SECRET, "NLT03", "2025-26", valid_for=3600, now=1_000_000)
    checked = check_link(SECRET, args(link.query()), now=1_000_100)
    assert (checked.school, checked.year) == ("NLT03", "2025-26")
    assert link.url("http://127.0.0.1:8866/").startswith("http://127.0.0.1:8866/?school=NLT03&year=2025-26&")


@pytest.mark.parametrize("change, reason", [
    (lambda q: q.replace("NLT03", "NLT04"), "signature"),
    (lambda q: q.replace("2025-26", "2024-25"), "signature"),
    (lambda q: q + "&school=NLT04", "repeated"),
    (lambda q: q + "&admin=1", "unexpected"),
    (lambda q: q.replace("sig=", "sig=0"), "signature"),
    (lambda q: "&".join(p for p in q.split("&") if not p.startswith("sig=")), "missing"),
    (lambda q: q + "&token=a&token=b", "repeated"),
])
def test_changed_links_are_refused(change, reason):
    link = make_link(SECRET, "NLT03", "2025-26", now=1_000_000)
    with pytest.raises(LinkError, match=reason):
        check_link(SECRET, args(change(link.query())), now=1_000_100)


def test_expired_links_and_other_secrets_are_refused():
    link = make_link(SECRET, "NLT03", "", valid_for=60, now=1_000_000)
    with pytest.raises(LinkError, match="expired"):
        check_link(SECRET, args(link.query()), now=1_000_061)
    with pytest.raises(LinkError, match="signature"):
        check_link(b"1" * 64, args(link.query()), now=1_000_001)


@given(st.text(max_size=40))
def test_any_query_is_a_link_or_refused(query):
    try:
        check_link(SECRET, args(query))
    except LinkError:
        pass


def test_the_secret_is_kept_beside_the_data_and_private(tmp_path):
    data = tmp_path / "wqm.sqlite"
    data.write_bytes(b"")
    first = load_secret(data)
    assert secret_path(data) == tmp_path / "wqm.sqlite.wqm-secret"
    assert stat.S_IMODE(os.stat(secret_path(data)).st_mode) == 0o600
    assert load_secret(data) == first and len(first) == 64


def test_durations():
    assert parse_duration("30d") == 30 * 86400 and parse_duration("12h") == 43200 and parse_duration("90m") == 5400
    with pytest.raises(SettingsError):
        parse_duration("soon")
    with pytest.raises(SettingsError):
        make_link(SECRET, "../x")


def test_a_link_opens_only_the_page_it_was_signed_for():
    from urllib.parse import parse_qs, urlsplit

    secret = b"s" * 32
    link = make_link(secret, "NLT03", "2025-26", page="survey-import")
    arguments = {k: [v.encode() for v in vs] for k, vs in parse_qs(urlsplit(link.url("http://x")).query).items()}
    assert check_link(secret, arguments, page="survey-import").school == "NLT03"
    with pytest.raises(LinkError, match="signature"):
        check_link(secret, arguments)                      # a report server refuses an import link
    report = make_link(secret, "NLT03", "2025-26", now=0, valid_for=10**10)
    # report links keep the message they always had, so links already sent still work
    message = f"wqm-link-v1\nNLT03\n2025-26\n{report.expires}".encode()
    assert report.sig == hmac.new(secret, message, hashlib.sha256).hexdigest()
    with pytest.raises(SettingsError, match="unknown page"):
        make_link(secret, "NLT03", page="admin")
