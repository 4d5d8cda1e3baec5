from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from webhook_helpers import SECRET, notification

from intercomkit.errors import ConfigurationError, InvalidPayload, InvalidSignature
from intercomkit.webhooks import construct_event, sign, verify

BODY = notification("company.created")
VARIANTS = [
    json.dumps(BODY).encode(),
    json.dumps(BODY, separators=(",", ":")).encode(),
    json.dumps(BODY, indent=2).encode(),
    json.dumps(dict(reversed(list(BODY.items())))).encode(),
    json.dumps(BODY, sort_keys=True).encode() + b"\n",
]


@pytest.mark.parametrize("raw", VARIANTS)
def test_each_variant_verifies_over_its_own_bytes(raw):
    verify(raw, sign(raw, SECRET), SECRET)
    assert construct_event(raw, sign(raw, SECRET), SECRET).id == "notif_1"


def test_signature_of_one_variant_fails_for_another():
    for i, a in enumerate(VARIANTS):
        for j, b in enumerate(VARIANTS):
            if i != j:
                with pytest.raises(InvalidSignature, match="raw bytes"):
                    verify(b, sign(a, SECRET), SECRET)


def test_known_vector():
    # HMAC-SHA1("key", "The quick brown fox jumps over the lazy dog")
    raw = b"The quick brown fox jumps over the lazy dog"
    assert sign(raw, "key") == "sha1=de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"
    verify(raw, "sha1=DE7C9B85B8B78AA6BC8A7A36F70A90701C9DB4D9", "key")
    verify(raw, "  sha1=de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9 ", "key")


def test_wrong_secret():
    raw = VARIANTS[0]
    with pytest.raises(InvalidSignature) as info:
        verify(raw, sign(raw, "other"), SECRET)
    assert info.value.header == sign(raw, "other")
    assert SECRET not in str(info.value) and SECRET not in repr(info.value.args)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "missing"),
        ("", "missing"),
        ("   ", "missing"),
        ("de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9", "prefix is missing"),
        ("sha256=" + "a" * 64, "HMAC-SHA1"),
        ("sha1=", "40 hex digits"),
        ("sha1=xyz", "40 hex digits"),
        ("sha1=" + "a" * 41, "40 hex digits"),
        ("garbage", "malformed"),
    ],
)
def test_bad_headers(header, message):
    with pytest.raises(InvalidSignature, match=message) as info:
        verify(VARIANTS[0], header, SECRET)
    assert info.value.header == (header.strip() if header else header) or not header


def test_header_kept_is_capped():
    with pytest.raises(InvalidSignature) as info:
        verify(b"{}", "sha1=" + "z" * 10_000, SECRET)
    assert len(info.value.header) <= 120


def test_body_must_be_raw_bytes():
    with pytest.raises(TypeError, match="raw request body"):
        verify(VARIANTS[0].decode(), sign(VARIANTS[0], SECRET), SECRET)
    verify(bytearray(VARIANTS[0]), sign(VARIANTS[0], SECRET), SECRET)


def test_empty_secret_is_a_configuration_error():
    with pytest.raises(ConfigurationError):
        verify(b"{}", "sha1=" + "0" * 40, "")


def test_construct_event_rejects_non_object_after_verifying():
    for raw in (b"[1, 2]", b"not json", b'"str"', b"\xff\xfe\x00"):
        with pytest.raises(InvalidPayload):
            construct_event(raw, sign(raw, SECRET), SECRET)
    with pytest.raises(InvalidSignature):
        construct_event(b"not json", "sha1=" + "0" * 40, SECRET)


@given(body=st.binary(max_size=300), header=st.one_of(st.none(), st.text(max_size=80)))
def test_fuzz_only_the_right_signature_passes(body, header):
    if header == sign(body, SECRET):
        return
    with pytest.raises(InvalidSignature):
        verify(body, header, SECRET)


@given(body=st.binary(max_size=300))
def test_fuzz_signed_bodies_verify(body):
    verify(body, sign(body, SECRET), SECRET)
