"""Zalo OA webhook events: the signature on the raw bytes, and what an event says."""

from __future__ import annotations

import hashlib
import json

import pytest

from bot.zalo_oa import (
    FOLLOW,
    IMAGE,
    SUBMIT_INFO,
    TEXT,
    UNFOLLOW,
    NotAnEvent,
    mac,
    parse_event,
    verified_timestamp,
)

APP_ID = "1234567890123456789"
KEY = "oa-S3cret_key"


def body(**fields: object) -> bytes:
    event = {
        "app_id": APP_ID,
        "user_id_by_app": "552177279717587730",
        "event_name": "user_send_text",
        "sender": {"id": "246845883529197922"},
        "recipient": {"id": "388613280878808645"},
        "message": {"msg_id": "96d3cdf3af150460909", "text": "xin chào"},
        "timestamp": "1765000000000",
    }
    event.update(fields)
    return json.dumps(event, ensure_ascii=False).encode()


def signed(raw: bytes, stamp: str = "1765000000000") -> bytes:
    return b"mac=" + mac(APP_ID, raw, stamp, KEY).encode()


def test_mac_is_plain_sha256_of_app_id_body_timestamp_key():
    raw = b'{"a":1}'
    wanted = hashlib.sha256(APP_ID.encode() + raw + b"17" + KEY.encode()).hexdigest()
    assert mac(APP_ID, raw, "17", KEY) == wanted


def test_a_right_signature_gives_the_body_timestamp_with_or_without_mac_prefix():
    raw = body()
    assert verified_timestamp(raw, signed(raw), None, APP_ID, KEY) == "1765000000000"
    bare = mac(APP_ID, raw, "1765000000000", KEY).upper().encode()  # bare hex, any case
    assert verified_timestamp(raw, bare, None, APP_ID, KEY) == "1765000000000"


def test_the_timestamp_header_must_be_the_signed_one():
    raw = body()
    assert verified_timestamp(raw, signed(raw), b"1765000000000", APP_ID, KEY) == "1765000000000"
    assert verified_timestamp(raw, signed(raw), b"1765000000001", APP_ID, KEY) is None
    assert verified_timestamp(raw, signed(raw), b"17650000x", APP_ID, KEY) is None


@pytest.mark.parametrize(
    "change",
    [
        lambda raw: raw.replace("xin chào".encode(), b"xin chao"),  # the body changed
        lambda raw: raw + b" ",  # one byte more
    ],
)
def test_any_change_to_the_body_breaks_the_signature(change):
    raw = body()
    assert verified_timestamp(change(raw), signed(raw), None, APP_ID, KEY) is None


def test_wrong_key_app_or_signature_is_refused():
    raw = body()
    other = b"mac=" + mac(APP_ID, raw, "1765000000000", "another key").encode()
    assert verified_timestamp(raw, other, None, APP_ID, KEY) is None
    assert verified_timestamp(raw, signed(raw), None, "999", KEY) is None
    assert verified_timestamp(raw, b"", None, APP_ID, KEY) is None
    assert verified_timestamp(raw, b"mac=\xff\xfe", None, APP_ID, KEY) is None


def test_a_timestamp_typed_by_the_user_is_not_taken_for_the_events():
    # The user's text holds '"timestamp": "1"': escaped inside the JSON string, not a key.
    raw = body(message={"msg_id": "1", "text": '"timestamp": "1"'})
    assert verified_timestamp(raw, signed(raw, "1"), None, APP_ID, KEY) is None
    assert verified_timestamp(raw, signed(raw), None, APP_ID, KEY) == "1765000000000"


def test_a_nested_timestamp_before_the_events_still_verifies_and_must_not_be_taken():
    raw = body(message={"msg_id": "1", "text": "a", "timestamp": "42"})
    raw = raw.replace(b'"timestamp": "1765000000000"', b'"timestamp": 1765000000000')
    assert verified_timestamp(raw, signed(raw), None, APP_ID, KEY) == "1765000000000"
    # Signed with the nested one: verifies on bytes, but it is not the event's time.
    stamp = verified_timestamp(raw, signed(raw, "42"), None, APP_ID, KEY)
    assert stamp == "42"
    with pytest.raises(NotAnEvent):
        parse_event(json.loads(raw), stamp)


def test_text_event():
    event = parse_event(json.loads(body()), "1765000000000")
    assert event is not None and event.name == TEXT
    assert (event.user_id, event.message_id, event.text) == (
        "246845883529197922",
        "96d3cdf3af150460909",
        "xin chào",
    )
    assert event.at.year == 2025


def test_image_event_takes_the_first_image_url():
    message = {
        "msg_id": "m2",
        "text": "ảnh",
        "attachments": [
            {"type": "sticker", "payload": {"url": "https://s/1"}},
            {"type": "image", "payload": {"thumbnail": "t", "url": "https://photo/2.jpg"}},
        ],
    }
    event = parse_event(json.loads(body(event_name=IMAGE, message=message)), "1765000000000")
    assert event is not None and event.image_url == "https://photo/2.jpg"


def test_follow_and_unfollow_name_the_follower():
    for name in (FOLLOW, UNFOLLOW):
        raw = body(event_name=name, follower={"id": "111"}, sender=None, message=None)
        event = parse_event(json.loads(raw), "1765000000000")
        assert event is not None and (event.name, event.user_id) == (name, "111")
        assert event.message_id is None


def test_submit_info_carries_the_form():
    info = {"name": "Lò Văn A", "phone": "0912345678", "address": "", "city": 1}
    raw = body(event_name=SUBMIT_INFO, info=info, message=None)
    event = parse_event(json.loads(raw), "1765000000000")
    assert event is not None and event.info == {
        "name": "Lò Văn A",
        "phone": "0912345678",
        "address": "",
    }
    with pytest.raises(NotAnEvent):
        parse_event(json.loads(body(event_name=SUBMIT_INFO, message=None)), "1765000000000")


def test_echoes_receipts_and_new_kinds_are_ignored():
    for name in ("oa_send_text", "oa_send_image", "user_seen_message", "user_received_message"):
        assert parse_event(json.loads(body(event_name=name)), "1765000000000") is None


def test_replays_share_a_key_and_events_without_msg_id_key_on_name_sender_time():
    first = parse_event(json.loads(body()), "1765000000000")
    again = parse_event(json.loads(body()), "1765000000000")
    assert first is not None and again is not None and first.update_id() == again.update_id()
    follow = body(event_name=FOLLOW, follower={"id": "111"}, message=None)
    a = parse_event(json.loads(follow), "1765000000000")
    later = follow.replace(b"1765000000000", b"1765000000999")
    b = parse_event(json.loads(later), "1765000000999")
    assert a is not None and b is not None and a.update_id() != b.update_id()


@pytest.mark.parametrize(
    "fields",
    [
        {"sender": {"id": "bad id with spaces"}},
        {"sender": None},
        {"sender": {"id": True}},
        {"event_name": 3},
    ],
)
def test_bodies_that_are_not_events(fields):
    with pytest.raises(NotAnEvent):
        parse_event(json.loads(body(**fields)), "1765000000000")
    with pytest.raises(NotAnEvent):
        parse_event([1, 2], "1765000000000")
