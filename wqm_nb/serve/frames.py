"""Kernel websocket frames, checked before anything reads them.

The page's JavaScript (Voila 0.5.13, built on @jupyterlab/services) talks to
its kernel over ``/api/kernels/<id>/channels`` and asks for the
``v1.kernel.websocket.jupyter.org`` subprotocol (:data:`V1_PROTOCOL`; it
never falls back to the older, unnamed protocol). In it, every kernel message
is one binary frame, all numbers 8-byte little-endian::

    n                   how many offsets follow
    offset[0..n-1]      where each part starts, counted from the start of the frame:
                        offset[0] just after this table, offset[i+1] where part i ends,
                        the last one at the end of the frame
    channel, header, parent_header, metadata, content, buffer, buffer, ...

jupyter_server (``deserialize_msg_from_ws_v1``) and Voila
(``read_header_from_binary_message``) trust ``n`` and the offsets: eight bytes
of ``0xff`` make them loop 2**64 times and freeze the whole server.
:func:`parse_frame` checks a frame first, in time bounded by the frame's size
and :data:`MAX_BUFFERS`:

* ``n`` is at least six (the channel and the four JSON parts, plus the end)
  and at most :data:`MAX_OFFSETS`: a kernel message is those five parts plus
  its binary buffers, and the page sends at most one buffer per uploaded file
  (the survey import form takes one), so :data:`MAX_BUFFERS` (64) is far above
  any real message;
* the table fits in the frame, the first part starts right after it and the
  last ends exactly at the end of the frame;
* the offsets strictly increase over the channel and the four JSON parts (none
  is ever empty) and never decrease over the buffers (a widget may send an
  empty one: an empty file, an empty image);
* the channel is one of the kernel's (from the page: ``shell``, ``control``
  or ``stdin``) and the header is a JSON object naming its ``msg_type``.

Messages longer than :data:`MAX_MESSAGE_BYTES` (11 MiB) are refused by
tornado before they are read (the ``websocket_max_message_size`` setting,
checked against the frame's length field); the survey import form's upload
limit (``wqm_nb.ui.survey_import_app.UPLOAD_LIMIT_MB``, 10 MB) stays below it,
with room for the message around the file.

The handler that uses these checks, and closes the socket with
:data:`POLICY_VIOLATION` on a bad frame, is
:class:`wqm_nb.serve.kernels.GuardedKernelWebsocketHandler`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

#: the only kernel websocket subprotocol the server speaks (Voila's page asks for it)
V1_PROTOCOL = "v1.kernel.websocket.jupyter.org"
#: the largest websocket message the server reads: a 10 MB upload plus its message, and no more
MAX_MESSAGE_BYTES = 11 * 2**20
#: the channel and the four JSON parts (header, parent header, metadata, content)
MESSAGE_PARTS = 5
#: binary buffers one message from the page may carry (one per uploaded file; widgets send few)
MAX_BUFFERS = 64
#: binary buffers one message from the kernel may carry (the kernel is ours; this only bounds the parse)
MAX_KERNEL_BUFFERS = 4096
MIN_OFFSETS = MESSAGE_PARTS + 1
MAX_OFFSETS = MIN_OFFSETS + MAX_BUFFERS
#: websocket close code for a refused frame (RFC 6455, 7.4.1)
POLICY_VIOLATION = 1008
#: the kernel's channels a message may name
CHANNELS = ("shell", "control", "stdin", "iopub")
#: the channels the page sends on (iopub only ever comes from the kernel)
PAGE_CHANNELS = ("shell", "control", "stdin")
HEADER, PARENT_HEADER, METADATA, CONTENT = 1, 2, 3, 4  # part numbers (0 is the channel)


class FrameError(ValueError):
    """A websocket frame is not a well-formed v1 kernel message; the message says why."""


def _number(data: bytes, index: int) -> int:
    return int.from_bytes(data[8 * index : 8 * (index + 1)], "little")


@dataclass(frozen=True)
class Frame:
    """A checked v1 frame: its bytes and its offsets (see the module notes)."""

    data: bytes
    offsets: tuple[int, ...]

    def part(self, index: int) -> bytes:
        """Part ``index``: 0 the channel, 1 header, 2 parent header, 3 metadata, 4 content, 5... buffers."""
        return self.data[self.offsets[index] : self.offsets[index + 1]]

    @property
    def channel(self) -> str:
        return self.part(0).decode("ascii", "replace")

    @property
    def buffers(self) -> int:
        return len(self.offsets) - MIN_OFFSETS

    def header(self) -> dict[str, Any]:
        """The header, parsed; :class:`FrameError` unless it is a JSON object with a text ``msg_type``."""
        try:
            header = json.loads(self.part(HEADER))
        except ValueError:
            raise FrameError("the header is not JSON") from None
        if not isinstance(header, dict) or not isinstance(header.get("msg_type"), str):
            raise FrameError("the header names no msg_type")
        return header

    def with_part(self, index: int, value: bytes) -> bytes:
        """The frame again, with part ``index`` replaced by ``value``."""
        parts = [self.part(i) for i in range(len(self.offsets) - 1)]
        parts[index] = value
        return build_frame(parts[0].decode("ascii"), parts[1:])


def parse_frame(data: bytes, max_buffers: int = MAX_BUFFERS, channels: tuple[str, ...] = CHANNELS) -> Frame:
    """Check a v1 frame (see the module notes) without trusting any number in it; its channel must
    be one of ``channels``.

    Raises :class:`FrameError` saying what is wrong; the work done is bounded
    by ``max_buffers``, whatever the frame claims."""
    if not isinstance(data, (bytes, bytearray)):
        raise FrameError("not a binary frame")
    data = bytes(data)
    if len(data) < 8:
        raise FrameError("shorter than its offset count")
    count = _number(data, 0)
    if not MIN_OFFSETS <= count <= MIN_OFFSETS + max_buffers:
        raise FrameError(f"{count} offsets (a message has {MIN_OFFSETS} to {MIN_OFFSETS + max_buffers})")
    table_end = 8 * (count + 1)
    if len(data) < table_end:
        raise FrameError("the offset table runs past the end of the frame")
    offsets = tuple(_number(data, i + 1) for i in range(count))
    if offsets[0] != table_end:
        raise FrameError("the first part does not start right after the offset table")
    if offsets[-1] != len(data):
        raise FrameError("the last part does not end at the end of the frame")
    for i in range(1, count):
        if offsets[i] < offsets[i - 1] or (i <= MESSAGE_PARTS and offsets[i] == offsets[i - 1]):
            raise FrameError(f"offset {i} ({offsets[i]}) does not follow offset {i - 1} ({offsets[i - 1]})")
    frame = Frame(data, offsets)
    if frame.channel not in channels:
        raise FrameError("no such channel")
    return frame


def check_incoming(message: bytes | str) -> tuple[Frame, dict[str, Any]]:
    """A message from the page, checked: a well-formed v1 frame and its header (else :class:`FrameError`)."""
    if isinstance(message, str):
        raise FrameError("a text frame (the v1 protocol sends binary frames only)")
    frame = parse_frame(message, channels=PAGE_CHANNELS)
    return frame, frame.header()


def build_frame(channel: str, parts: list[bytes]) -> bytes:
    """A v1 frame of ``channel`` and ``parts`` (header, parent header, metadata, content, buffers...)."""
    chunks = [channel.encode("ascii"), *parts]
    count = len(chunks) + 1
    offsets = [8 * (count + 1)]
    for chunk in chunks:
        offsets.append(offsets[-1] + len(chunk))
    table = b"".join(n.to_bytes(8, "little") for n in (count, *offsets))
    return table + b"".join(chunks)


__all__ = [
    "CHANNELS",
    "CONTENT",
    "PAGE_CHANNELS",
    "HEADER",
    "MAX_BUFFERS",
    "MAX_KERNEL_BUFFERS",
    "MAX_MESSAGE_BYTES",
    "MAX_OFFSETS",
    "POLICY_VIOLATION",
    "V1_PROTOCOL",
    "Frame",
    "FrameError",
    "build_frame",
    "check_incoming",
    "parse_frame",
]
