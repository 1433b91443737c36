"""Signed links that open one school's pages, and nothing else.

A server token lets its holder read every school, so a head teacher gets a
link instead. A link is an HMAC-SHA256 signature, keyed with a secret kept
beside the store (``<store>.wqm-secret``, created on first use with
owner-only permissions, never printed), over everything the link allows:

* the **page** it opens: the leaders' report (``report``), the survey import
  form (``survey-import``, ``wqm survey serve``) or the self-evaluation form
  (``capture``, ``wqm capture``); a report link opens no form and an import
  link no report;
* the **school** and the **year** it is bound to (the latest year of the
  school when the consultant names none), the **framework** it writes to,
  and its **rights** (:data:`wqm_nb.store.scope.LINK_RIGHTS`: ``read``,
  ``write_sef``, ``import_survey``, ``start_year``, ``record_award``; by
  default what its page needs);
* its **id** (``lid``), recorded beside every name typed through it, listed by
  ``wqm links list`` and withdrawn by ``wqm links revoke ID``;
* its **expiry** time.

``?school=NLT03&year=2025-26&framework=wqm&rights=read&lid=...&expires=...&sig=...``

The server checks the link before any kernel starts: a changed parameter, a
tampered, expired or revoked link, or a repeated parameter
(``?school=A&school=B``: tornado and the kernel would read different values)
is refused. The page's kernel turns the checked parameters into the
:class:`~wqm_nb.store.scope.Scope` its store is seen through
(:func:`wqm_nb.store.scope.scope_from_query`).

Links signed before links carried an id (``sig`` over school, year and expiry
only, no ``lid``) are still accepted with the rights their page implied, for
any framework, and for any year of the school when they named none; they
cannot be revoked one by one (replace the secret file to withdraw them all).

Issued links are recorded in ``<store>.wqm-links`` beside the secret (one JSON
object a line: issued, revoked), owner-only like it; the record holds no
signature, so it cannot be used to open anything.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import time
from collections.abc import Container, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from ..data import available_frameworks
from ..errors import SettingsError
from ..settings import check_academic_year, check_school_id
from ..store.scope import LINK_RIGHTS, PAGE_RIGHTS, READ

#: what a link signed before links carried an id signs
SIGNED_V1 = ("school", "year", "expires")
#: what a link signs
SIGNED = ("school", "year", "framework", "rights", "lid", "expires")
PAGES = ("report", "survey-import", "capture")
#: parameters a page or PDF request may carry besides the signed ones (``part``: which printed PDF, the
#: debrief or the appendix, of what the link shows)
OPTIONAL = ("sig", "token", "framework", "show_year", "part")
_DURATION = re.compile(r"^(\d+)([dhm]?)$")
_LINK_ID = re.compile(r"^[0-9a-f]{12}$")


class LinkError(Exception):
    """A link was refused; the message says why (for the server log, not the viewer)."""


def secret_path(data: str | Path) -> Path:
    """Where the link secret of a data location lives: beside it."""
    data = Path(data).resolve()
    return data.with_name(data.name + ".wqm-secret")


def registry_path(data: str | Path) -> Path:
    """Where the record of a data location's issued and revoked links lives: beside it."""
    data = Path(data).resolve()
    return data.with_name(data.name + ".wqm-links")


def _owner_only(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)


def load_secret(data: str | Path) -> bytes:
    """The link secret of a data location, created on first use (never printed)."""
    path = secret_path(data)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def check_rights(rights: Iterable[str]) -> tuple[str, ...]:
    """``rights`` in :data:`LINK_RIGHTS` order, ``read`` always among them; an unknown one is an error."""
    given = {r.strip() for r in rights if r.strip()}
    unknown = sorted(given - set(LINK_RIGHTS))
    if unknown:
        raise SettingsError(f"unknown right(s) {', '.join(unknown)} (known: {', '.join(LINK_RIGHTS)})")
    return tuple(r for r in LINK_RIGHTS if r in given | {READ})


def sign(
    secret: bytes,
    school: str,
    year: str,
    expires: int,
    page: str = "report",
    *,
    framework: str = "",
    rights: str = "",
    link_id: str = "",
) -> str:
    """The signature of one link to ``page``; without ``link_id`` the older message (school, year, expiry)."""
    if page not in PAGES:
        raise SettingsError(f"unknown page {page!r} (known: {', '.join(PAGES)})")
    if link_id:
        message = f"wqm-link-v2\n{page}\n{school}\n{year}\n{framework}\n{rights}\n{link_id}\n{int(expires)}"
    else:
        prefix = "wqm-link-v1" if page == "report" else f"wqm-link-v1-{page}"
        message = f"{prefix}\n{school}\n{year}\n{int(expires)}"
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def parse_duration(text: str) -> int:
    """Seconds in ``30d``, ``12h``, ``90m`` or a plain number of days."""
    m = _DURATION.match(text.strip())
    if not m:
        raise SettingsError(f"expiry must look like 30d, 12h or 90m, got {text!r}")
    return int(m.group(1)) * {"d": 86400, "h": 3600, "m": 60, "": 86400}[m.group(2)]


@dataclass(frozen=True)
class Link:
    """A signed link for one school and year (any year of it when empty: older links only), framework and
    rights; ``link_id`` empty for a link signed before links carried an id."""

    school: str
    year: str
    expires: int
    sig: str
    framework: str = ""
    rights: tuple[str, ...] = ()
    link_id: str = ""
    page: str = "report"

    def query(self) -> str:
        if not self.link_id:
            return urlencode({"school": self.school, "year": self.year, "expires": self.expires, "sig": self.sig})
        return urlencode(
            {
                "school": self.school,
                "year": self.year,
                "framework": self.framework,
                "rights": ",".join(self.rights),
                "lid": self.link_id,
                "expires": self.expires,
                "sig": self.sig,
            },
            safe=",",
        )

    def url(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}/?{self.query()}"


def make_link(
    secret: bytes,
    school: str,
    year: str = "",
    valid_for: int = 30 * 86400,
    now: float | None = None,
    page: str = "report",
    *,
    framework: str = "wqm",
    rights: Iterable[str] | None = None,
    link_id: str = "",
) -> Link:
    """Sign a link to ``page`` for ``school`` and ``year``, writing to ``framework`` with ``rights`` (default:
    what the page needs, :data:`~wqm_nb.store.scope.PAGE_RIGHTS`). ``link_id`` empty: a new random one."""
    check_school_id(school)
    if not year:
        raise SettingsError("a link is bound to a year: name one (wqm links binds the school's latest)")
    check_academic_year(year)
    if page not in PAGES:
        raise SettingsError(f"unknown page {page!r} (known: {', '.join(PAGES)})")
    if framework not in available_frameworks():
        raise SettingsError(
            f"a link opens a bundled framework ({', '.join(available_frameworks())}), got {framework!r}"
        )
    chosen = check_rights(PAGE_RIGHTS[page] if rights is None else rights)
    link_id = link_id or secrets.token_hex(6)
    expires = int((now or time.time()) + valid_for)
    joined = ",".join(chosen)
    return Link(
        school,
        year,
        expires,
        sign(secret, school, year, expires, page, framework=framework, rights=joined, link_id=link_id),
        framework,
        chosen,
        link_id,
        page,
    )


def _values(arguments: dict[str, list[bytes]], keys: Iterable[str]) -> dict[str, str]:
    values = {}
    for key in keys:
        given = arguments.get(key, [])
        if len(given) != 1:
            raise LinkError(f"parameter {key!r} missing or repeated")
        try:
            values[key] = given[0].decode("utf-8")
        except UnicodeDecodeError:
            raise LinkError(f"parameter {key!r} is not text") from None
    return values


def check_link(
    secret: bytes,
    arguments: dict[str, list[bytes]],
    now: float | None = None,
    page: str = "report",
    revoked: Container[str] = (),
) -> Link:
    """Verify the query arguments of a request (``handler.request.query_arguments``).

    Returns the verified :class:`Link`; raises :class:`LinkError` if any
    parameter is unknown, missing or repeated, the link has expired or is in
    ``revoked``, or the signature does not match.
    """
    v2 = "lid" in arguments
    signed = SIGNED if v2 else SIGNED_V1
    unknown = sorted(set(arguments) - set(signed) - set(OPTIONAL))
    if unknown:
        raise LinkError(f"unexpected parameter(s) {', '.join(unknown)}")
    values = _values(arguments, (*signed, "sig"))
    for key in OPTIONAL:
        if len(arguments.get(key, [])) > 1:
            raise LinkError(f"parameter {key!r} repeated")
    try:
        expires = int(values["expires"])
    except ValueError:
        raise LinkError("expiry is not a number") from None
    if expires < (now or time.time()):
        raise LinkError("link expired")
    extra = {"framework": values["framework"], "rights": values["rights"], "link_id": values["lid"]} if v2 else {}
    if not hmac.compare_digest(sign(secret, values["school"], values["year"], expires, page, **extra), values["sig"]):
        raise LinkError("signature does not match")
    if not v2:
        return Link(values["school"], values["year"], expires, values["sig"], page=page)
    if values["lid"] in revoked:
        raise LinkError("link revoked")
    return Link(
        values["school"],
        values["year"],
        expires,
        values["sig"],
        values["framework"],
        tuple(values["rights"].split(",")),
        values["lid"],
        page,
    )


# --------------------------------------------------------------------------
# the record of issued links


class LinkRegistry:
    """Issued and revoked links of one data location (``<store>.wqm-links``, see the module notes)."""

    def __init__(self, data: str | Path):
        self.path = registry_path(data)
        self._revoked: tuple[float, frozenset[str]] = (-1.0, frozenset())

    def _append(self, record: dict) -> None:
        with os.fdopen(_owner_only(self.path), "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, sort_keys=True) + "\n")

    def records(self) -> list[dict]:
        """Every record, oldest first (a damaged line is skipped)."""
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and _LINK_ID.fullmatch(str(record.get("id", ""))):
                out.append(record)
        return out

    def issued(self, link: Link, note: str = "") -> None:
        """Record a link just made (nothing that could open it: no signature)."""
        self._append(
            {
                "event": "issued",
                "id": link.link_id,
                "school": link.school,
                "year": link.year,
                "framework": link.framework,
                "page": link.page,
                "rights": list(link.rights),
                "expires": link.expires,
                "at": int(time.time()),
                "note": note,
            }
        )

    def revoke(self, link_id: str) -> dict:
        """Withdraw an issued link; returns its record. An unknown id is an error."""
        found = [r for r in self.records() if r.get("event") == "issued" and r["id"] == link_id]
        if not found:
            raise SettingsError(f"no link {link_id!r} was issued for this data (see wqm links list)")
        if link_id not in self.revoked():
            self._append({"event": "revoked", "id": link_id, "at": int(time.time())})
        return found[-1]

    def revoked(self) -> frozenset[str]:
        """Ids of revoked links (re-read only when the file changed)."""
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return frozenset()
        if self._revoked[0] != mtime:
            self._revoked = (mtime, frozenset(r["id"] for r in self.records() if r.get("event") == "revoked"))
        return self._revoked[1]

    def listing(self, now: float | None = None, everything: bool = False) -> list[dict]:
        """Issued links with their state (``live``, ``expired`` or ``revoked``); live ones only unless
        ``everything``."""
        revoked = self.revoked()
        moment = now or time.time()
        rows = []
        for r in self.records():
            if r.get("event") != "issued":
                continue
            state = "revoked" if r["id"] in revoked else "expired" if r.get("expires", 0) < moment else "live"
            if everything or state == "live":
                rows.append({**r, "state": state})
        return rows
