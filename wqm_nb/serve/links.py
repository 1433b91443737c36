"""Signed links that open one school's pages, and nothing else.

A server token lets its holder read every school, so a head teacher gets a
link instead: ``?school=NLT03&year=2025-26&expires=1767225600&sig=...``, where
``sig`` is an HMAC-SHA256 over the school, the year (empty: any year of that
school) and the expiry time, keyed with a secret kept beside the store
(``<store>.wqm-secret``, created on first use with owner-only permissions,
never printed). The server checks the link before any kernel starts: a
changed school, a tampered or expired link, or a repeated parameter
(``?school=A&school=B``: tornado and the kernel would read different values)
is refused.

A link is signed for one *page*: the leaders' report (``report``, the
default) or the survey import form (``survey-import``, served by
``wqm survey serve``). The page is part of the signed message, so a report
link opens no import form and an import link no report.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from ..errors import SettingsError
from ..settings import check_academic_year, check_school_id

SIGNED = ("school", "year", "expires")
PAGES = ("report", "survey-import", "capture")
#: parameters a page or PDF request may carry besides the signed ones
OPTIONAL = ("sig", "token", "framework", "show_year")
_DURATION = re.compile(r"^(\d+)([dhm]?)$")


class LinkError(Exception):
    """A link was refused; the message says why (for the server log, not the viewer)."""


def secret_path(data: str | Path) -> Path:
    """Where the link secret of a data location lives: beside it."""
    data = Path(data).resolve()
    return data.with_name(data.name + ".wqm-secret")


def load_secret(data: str | Path) -> bytes:
    """The link secret of a data location, created on first use (never printed)."""
    path = secret_path(data)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def sign(secret: bytes, school: str, year: str, expires: int, page: str = "report") -> str:
    """The signature of one link to ``page`` (report links keep their original message)."""
    if page not in PAGES:
        raise SettingsError(f"unknown page {page!r} (known: {', '.join(PAGES)})")
    prefix = "wqm-link-v1" if page == "report" else f"wqm-link-v1-{page}"
    message = f"{prefix}\n{school}\n{year}\n{int(expires)}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def parse_duration(text: str) -> int:
    """Seconds in ``30d``, ``12h``, ``90m`` or a plain number of days."""
    m = _DURATION.match(text.strip())
    if not m:
        raise SettingsError(f"expiry must look like 30d, 12h or 90m, got {text!r}")
    return int(m.group(1)) * {"d": 86400, "h": 3600, "m": 60, "": 86400}[m.group(2)]


@dataclass(frozen=True)
class Link:
    """A signed link for one school (and one year, or any year when empty)."""
    school: str
    year: str
    expires: int
    sig: str

    def query(self) -> str:
        return urlencode({"school": self.school, "year": self.year, "expires": self.expires, "sig": self.sig})

    def url(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}/?{self.query()}"


def make_link(secret: bytes, school: str, year: str = "", valid_for: int = 30 * 86400,
              now: float | None = None, page: str = "report") -> Link:
    """Sign a link to ``page`` for ``school`` (``year`` empty: any of its years)."""
    check_school_id(school)
    if year:
        check_academic_year(year)
    expires = int((now or time.time()) + valid_for)
    return Link(school, year, expires, sign(secret, school, year, expires, page))


def check_link(secret: bytes, arguments: dict[str, list[bytes]], now: float | None = None,
               page: str = "report") -> Link:
    """Verify the query arguments of a request (``handler.request.query_arguments``).

    Returns the verified :class:`Link`; raises :class:`LinkError` if any
    parameter is unknown, missing or repeated, the link has expired, or the
    signature does not match.
    """
    unknown = sorted(set(arguments) - set(SIGNED) - set(OPTIONAL))
    if unknown:
        raise LinkError(f"unexpected parameter(s) {', '.join(unknown)}")
    values = {}
    for key in (*SIGNED, "sig"):
        given = arguments.get(key, [])
        if len(given) != 1:
            raise LinkError(f"parameter {key!r} missing or repeated")
        try:
            values[key] = given[0].decode("utf-8")
        except UnicodeDecodeError:
            raise LinkError(f"parameter {key!r} is not text") from None
    for key in OPTIONAL:
        if len(arguments.get(key, [])) > 1:
            raise LinkError(f"parameter {key!r} repeated")
    try:
        expires = int(values["expires"])
    except ValueError:
        raise LinkError("expiry is not a number") from None
    if expires < (now or time.time()):
        raise LinkError("link expired")
    if not hmac.compare_digest(sign(secret, values["school"], values["year"], expires, page), values["sig"]):
        raise LinkError("signature does not match")
    return Link(values["school"], values["year"], expires, values["sig"])
