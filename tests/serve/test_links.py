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


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda q: q.replace("NLT03", "NLT04"), "signature"),
        (lambda q: q.replace("2025-26", "2024-25"), "signature"),
        (lambda q: q + "&school=NLT04", "repeated"),
        (lambda q: q + "&admin=1", "unexpected"),
        (lambda q: q.replace("sig=", "sig=0"), "signature"),
        (lambda q: "&".join(p for p in q.split("&") if not p.startswith("sig=")), "missing"),
        (lambda q: q + "&token=a&token=b", "repeated"),
    ],
)
def test_changed_links_are_refused(change, reason):
    link = make_link(SECRET, "NLT03", "2025-26", now=1_000_000)
    with pytest.raises(LinkError, match=reason):
        check_link(SECRET, args(change(link.query())), now=1_000_100)


def test_expired_links_and_other_secrets_are_refused():
    link = make_link(SECRET, "NLT03", "2025-26", valid_for=60, now=1_000_000)
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
        check_link(secret, arguments)  # a report server refuses an import link
    with pytest.raises(SettingsError, match="unknown page"):
        make_link(secret, "NLT03", "2025-26", page="admin")


def v1_link(secret: bytes, school: str, year: str, expires: int, page: str = "report") -> str:
    """A link as wqm signed them before links carried an id: school, year and expiry only."""
    prefix = "wqm-link-v1" if page == "report" else f"wqm-link-v1-{page}"
    sig = hmac.new(secret, f"{prefix}\n{school}\n{year}\n{expires}".encode(), hashlib.sha256).hexdigest()
    return f"school={school}&year={year}&expires={expires}&sig={sig}"


@pytest.mark.parametrize(
    "page, rights",
    [("report", {"read"}), ("capture", {"read", "write_sef"}), ("survey-import", {"read", "import_survey"})],
)
def test_links_sent_before_ids_keep_the_rights_their_page_implied(page, rights):
    from wqm_nb.store.scope import scope_from_query as link_scope

    query = v1_link(SECRET, "NLT03", "", 2_000_000, page)
    link = check_link(SECRET, args(query), now=1_000_000, page=page)
    assert (link.school, link.year, link.link_id, link.framework) == ("NLT03", "", "", "")
    scope = link_scope({k: v[0].decode() for k, v in args(query).items()}, page)
    assert scope.schools == {"NLT03"} and scope.rights == rights and scope.year == "" and scope.framework == ""
    # a form opened for a year binds an older link without a year to it
    assert link_scope({k: v[0].decode() for k, v in args(query).items()}, page, "2025-26").year == "2025-26"
    with pytest.raises(LinkError, match="signature"):  # and it is still the school it was signed for
        check_link(SECRET, args(query.replace("NLT03", "NLT04")), now=1_000_000, page=page)


def test_a_link_signs_its_page_school_year_framework_rights_and_id():
    link = make_link(
        SECRET, "NLT03", "2025-26", page="capture", framework="vbe", rights=["write_sef", "start_year"], now=1_000_000
    )
    assert link.rights == ("read", "write_sef", "start_year") and len(link.link_id) == 12
    query = link.query()
    checked = check_link(SECRET, args(query), now=1_000_100, page="capture")
    assert (checked.framework, checked.rights, checked.link_id) == ("vbe", link.rights, link.link_id)
    for key, value in (
        ("framework", "wqm"),
        ("rights", "read,write_sef,start_year,record_award"),
        ("rights", "read"),
        ("lid", "0" * 12),
        ("year", "2024-25"),
    ):
        changed = "&".join(f"{key}={value}" if p.startswith(f"{key}=") else p for p in query.split("&"))
        assert changed != query
        with pytest.raises(LinkError, match="signature"):
            check_link(SECRET, args(changed), now=1_000_100, page="capture")
    # dropping the id does not turn a link into an older, wider one
    older = "&".join(p for p in query.split("&") if not p.startswith(("lid=", "rights=", "framework=")))
    with pytest.raises(LinkError, match="signature"):
        check_link(SECRET, args(older), now=1_000_100, page="capture")


def test_a_link_needs_a_year_a_bundled_framework_and_known_rights():
    with pytest.raises(SettingsError, match="bound to a year"):
        make_link(SECRET, "NLT03", "")
    with pytest.raises(SettingsError, match="bundled framework"):
        make_link(SECRET, "NLT03", "2025-26", framework="/tmp/mine.yaml")
    with pytest.raises(SettingsError, match="unknown right"):
        make_link(SECRET, "NLT03", "2025-26", rights=["read", "add_school"])


def test_a_revoked_link_is_refused_and_the_record_holds_no_signature(tmp_path):
    from wqm_nb.serve.links import LinkRegistry, registry_path

    data = tmp_path / "wqm.sqlite"
    data.write_bytes(b"")
    registry = LinkRegistry(data)
    link = make_link(SECRET, "NLT03", "2025-26", now=1_000_000, valid_for=10**10)
    other = make_link(SECRET, "NLT04", "2025-26", now=1_000_000, valid_for=10**10)
    registry.issued(link)
    registry.issued(other)
    assert stat.S_IMODE(os.stat(registry_path(data)).st_mode) == 0o600
    assert link.sig not in registry_path(data).read_text()
    assert [r["id"] for r in registry.listing()] == [link.link_id, other.link_id]
    assert check_link(SECRET, args(link.query()), revoked=registry.revoked()).school == "NLT03"
    assert registry.revoke(link.link_id)["school"] == "NLT03"
    with pytest.raises(LinkError, match="revoked"):
        check_link(SECRET, args(link.query()), revoked=LinkRegistry(data).revoked())
    assert check_link(SECRET, args(other.query()), revoked=registry.revoked()).school == "NLT04"
    assert [(r["id"], r["state"]) for r in registry.listing(everything=True)] == [
        (link.link_id, "revoked"),
        (other.link_id, "live"),
    ]
    with pytest.raises(SettingsError, match="no link"):
        registry.revoke("0" * 12)
