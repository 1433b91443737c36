"""Kernel websocket frames: a well-formed v1 frame passes; anything else is refused, in bounded time."""

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1, serialize_msg_to_ws_v1

from wqm_nb.serve.frames import (
    CONTENT,
    HEADER,
    MAX_BUFFERS,
    MAX_MESSAGE_BYTES,
    MAX_OFFSETS,
    FrameError,
    build_frame,
    check_incoming,
    parse_frame,
)

HEADER_JSON = json.dumps(
    {"msg_id": "1", "msg_type": "comm_msg", "session": "s", "username": "", "date": "", "version": "5.3"}
).encode()
PARTS = [HEADER_JSON, b"{}", b"{}", b'{"comm_id": "c", "data": {}}']


def good(buffers: tuple[bytes, ...] = ()) -> bytes:
    return serialize_msg_to_ws_v1([*PARTS, *buffers], "shell")


def number(n: int) -> bytes:
    return n.to_bytes(8, "little")


def test_a_frame_is_built_exactly_as_jupyter_server_builds_it():
    for buffers in ((), (b"abc",), (b"", b"x" * 100)):
        assert build_frame("shell", [*PARTS, *buffers]) == good(buffers)


def test_a_well_formed_frame_is_read_part_by_part():
    frame = parse_frame(good((b"one", b"", b"three")))
    assert frame.channel == "shell" and frame.buffers == 3
    assert frame.header()["msg_type"] == "comm_msg"
    assert frame.part(HEADER) == HEADER_JSON and frame.part(CONTENT) == PARTS[3]
    assert [frame.part(5 + i) for i in range(3)] == [b"one", b"", b"three"]  # an empty buffer is allowed
    channel, parts = deserialize_msg_from_ws_v1(frame.data)  # what jupyter_server then reads
    assert channel == "shell" and parts == [*PARTS, b"one", b"", b"three"]


def test_a_part_can_be_replaced():
    frame = parse_frame(good((b"buf",)))
    again = parse_frame(frame.with_part(CONTENT, b'{"x": 1}'))
    assert again.part(CONTENT) == b'{"x": 1}' and again.part(HEADER) == HEADER_JSON and again.part(5) == b"buf"


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"\xff" * 8, "offsets"),  # issue 21: 2**64 - 1 offsets
        (b"\xff" * 7, "shorter"),
        (b"", "shorter"),
        (number(0) + good()[8:], "offsets"),
        (number(5) + good()[8:], "offsets"),
        (number(MAX_OFFSETS + 1) + good()[8:], "offsets"),
        (number(2**40) + good()[8:], "offsets"),
        (number(6) + number(56), "runs past"),
        (good()[:8] + number(10**9) + good()[16:], "right after"),  # first offset out of range
        (good()[:-1], "end of the frame"),
        (good() + b"x", "end of the frame"),
        (good()[:16] + good()[24:32] + good()[16:24] + good()[32:], "does not follow"),  # decreasing
        (good()[:48] + number(10**9) + good()[56:], "end of the frame"),  # last offset out of range
    ],
)
def test_a_malformed_frame_is_refused(data, reason):
    with pytest.raises(FrameError, match=reason):
        parse_frame(data)


def test_an_empty_json_part_or_an_unknown_channel_is_refused():
    with pytest.raises(FrameError, match="does not follow"):
        parse_frame(build_frame("shell", [HEADER_JSON, b"", b"{}", b"{}"]))
    with pytest.raises(FrameError, match="channel"):
        parse_frame(build_frame("nowhere", PARTS))


def test_the_number_of_buffers_is_bounded():
    assert parse_frame(good((b"x",) * MAX_BUFFERS)).buffers == MAX_BUFFERS
    with pytest.raises(FrameError, match="offsets"):
        parse_frame(good((b"x",) * (MAX_BUFFERS + 1)))
    assert parse_frame(good((b"x",) * (MAX_BUFFERS + 1)), max_buffers=MAX_BUFFERS + 1).buffers == MAX_BUFFERS + 1


def test_a_message_from_the_page_must_be_binary_with_a_header():
    frame, header = check_incoming(good())
    assert header["msg_type"] == "comm_msg" and frame.channel == "shell"
    with pytest.raises(FrameError, match="text frame"):
        check_incoming(json.dumps({"header": {}}))
    with pytest.raises(FrameError, match="channel"):  # iopub only comes from the kernel
        check_incoming(build_frame("iopub", PARTS))
    assert parse_frame(build_frame("iopub", PARTS)).channel == "iopub"
    for header in (b"not json", b"[]", b'{"msg_type": 3}'):
        with pytest.raises(FrameError, match="header"):
            check_incoming(build_frame("shell", [header, b"{}", b"{}", b"{}"]))


def test_the_size_limit_leaves_room_for_the_largest_upload():
    from wqm_nb.ui.survey_import_app import UPLOAD_LIMIT_MB

    assert UPLOAD_LIMIT_MB * 2**20 < MAX_MESSAGE_BYTES
    upload = build_frame("shell", [*PARTS, b"x" * (UPLOAD_LIMIT_MB * 2**20)])
    assert len(upload) < MAX_MESSAGE_BYTES
    assert MAX_MESSAGE_BYTES <= 11 * 2**20


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_are_read_or_refused_quickly(data):
    start = time.perf_counter()
    try:
        parse_frame(data)
    except FrameError:
        pass
    assert time.perf_counter() - start < 0.05


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=len(good((b"buf",))) - 1), st.integers(min_value=0, max_value=255))
def test_a_frame_with_any_byte_changed_is_read_or_refused(position, value):
    data = bytearray(good((b"buf",)))
    data[position] = value
    try:
        frame = parse_frame(bytes(data))
    except FrameError:
        return
    assert frame.offsets[-1] == len(data) and list(frame.offsets) == sorted(frame.offsets)
