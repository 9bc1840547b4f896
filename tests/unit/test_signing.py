"""Tuya's published signing vectors, the derived ones, and signed-vs-sent agreement."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, quote, urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from tuya_thing_async import _protocol, _signing

CLIENT_ID = "1KAD46OrT9HafiKdsXeg"
SECRET = "4OHBOnWOqaEC1mWXOpVL3yV50s0qGSRC"
T = "1588925778000"
NONCE = "5138cc3a9033d69856923fd07b491173"
TOKEN = "3f4eda2bdec17232f67c0b188af3eec1"
HEADERS = [("area_id", "29a33e8796834b1efa6"), ("call_id", "8afdb70ab2ed11eb85290242ac130003")]


def _sign(
    method: str,
    path: str,
    query: list[tuple[str, str]],
    body: bytes = b"",
    *,
    token: str = "",
    nonce: str = "",
    headers: list[tuple[str, str]] | None = None,
) -> str:
    sts = _signing.string_to_sign(
        method, _signing.body_sha256(body), _signing.canonical_url(path, query), headers or []
    )
    return _signing.sign(
        client_id=CLIENT_ID, secret=SECRET, t=T, sts=sts, access_token=token, nonce=nonce
    )


def test_vendor_token_vector() -> None:
    sts = _signing.string_to_sign(
        "GET", _signing.EMPTY_BODY_SHA256, "/v1.0/token?grant_type=1", HEADERS
    )
    assert sts == (
        "GET\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "area_id:29a33e8796834b1efa6\ncall_id:8afdb70ab2ed11eb85290242ac130003\n\n"
        "/v1.0/token?grant_type=1"
    )
    assert _sign("GET", "/v1.0/token", [("grant_type", "1")], nonce=NONCE, headers=HEADERS) == (
        "9E48A3E93B302EEECC803C7241985D0A34EB944F40FB573C7B5C2A82158AF13E"
    )


def test_vendor_business_vector_sorts_the_query() -> None:
    query = [("page_size", "50"), ("page_no", "1")]
    assert _sign(
        "GET", "/v2.0/apps/schema/users", query, token=TOKEN, nonce=NONCE, headers=HEADERS
    ) == ("AE4481C692AA80B25F3A7E12C3A5FD9BBF6251539DD78E565A1A72A508A88784")


def test_old_algorithm_vectors() -> None:
    assert _signing.old_sign(client_id=CLIENT_ID, secret=SECRET, t=T) == (
        "CEAAFB5CCDC2F723A9FD3E91D3D2238EE0DD9A6D7C3C365DEB50FC2AF277AA83"
    )
    assert _signing.old_sign(client_id=CLIENT_ID, secret=SECRET, t=T, access_token=TOKEN) == (
        "36C30E300F226B68ADD014DD1EF56A81EDB7B7A817840485769B9D6C96D0FAA1"
    )
    node = _signing.old_sign(
        client_id="this-is-mock-accessKey",
        secret="this-is-mock-secretKey",
        t="1615274964146",
        access_token="c5b8e7f847d1382d242e90a93be291cc",
    )
    assert node == "625F3177068C99E176760A64D598D0D6066798B19C2C5C374A424D4CE7E277FA"


def test_derived_vectors_without_signed_headers() -> None:
    assert _sign("GET", "/v1.0/token", [("grant_type", "1")]) == (
        "7BA26C076E5ECB1E959BE274A0FFB397B2B1865FC7BCED8F1C78AC5653C20CAA"
    )
    batch = [("device_ids", "vdevo1,vdevo2")]
    assert _sign("GET", "/v2.0/cloud/thing/batch", batch, token=TOKEN) == (
        "F65B5DC8604634EBC92795BECEDA0A59132C71299A395FC045F521D224995E52"
    )
    assert _sign("GET", "/v2.0/cloud/thing/batch", batch, token=TOKEN, nonce=NONCE) == (
        "CFE4925B1B13C2FD0FC5004EACE58E16D4961BD202196335EE586C3DE382BA09"
    )
    body = json.dumps({"state": 1}).encode()
    assert _signing.body_sha256(body) == (
        "b8d0a8847e47a16ae2714e71560d62e8829606c4bd3c71022af3ce65c498817e"
    )
    assert _sign("POST", "/v2.0/cloud/thing/vdevo1/freeze", [], body, token=TOKEN) == (
        "2CAD98A5B02C41ADDF663BD9491F4D378B61CFBC91D8CBB1FF0583772394EDB1"
    )
    assert _signing.body_sha256(b'{"state":1}') == (
        "a491a7b7a24b52ae6dd7dbcb4ac13b6f5f6ff714d69c021c269b065a6a2e1f3e"
    )


def test_no_query_means_no_question_mark_and_empty_values_are_kept() -> None:
    assert _signing.canonical_url("/v2.0/x", []) == "/v2.0/x"
    assert _signing.canonical_url("/p", [("b", ""), ("a", "1")]) == "/p?a=1&b="


def test_signature_comparison_is_case_insensitive() -> None:
    assert _signing.signatures_equal("ABCDEF", "abcdef")
    assert not _signing.signatures_equal("ABCDEF", "ABCDEE")


keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)
values = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",))
    | st.sampled_from("&=+%/, ?#"),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(
    query=st.dictionaries(keys, values, max_size=6), body=st.none() | st.dictionaries(keys, values)
)
def test_signed_string_matches_what_is_sent(
    query: dict[str, str], body: dict[str, str] | None
) -> None:
    """A server that decodes the query it receives and hashes the bytes it receives computes the
    same signature the client sent, for any unicode, spaces or reserved characters."""
    payload = b"" if body is None else _protocol.encode_json(body)
    request = _protocol.prepare(
        "POST" if body is not None else "GET",
        "/v2.0/cloud/thing/dev1/logs",
        list(query.items()),
        payload,
        template="t",
        client_id=CLIENT_ID,
        secret=SECRET,
        t_ms=int(T),
        nonce=NONCE,
        access_token=TOKEN,
    )
    sent = urlsplit("http://h" + request.target)
    received = parse_qsl(sent.query, keep_blank_values=True)
    assert sorted(received) == sorted(query.items())
    sts = _signing.string_to_sign(
        request.method,
        _signing.body_sha256(request.body),
        _signing.canonical_url(sent.path, received),
    )
    expected = _signing.sign(
        client_id=CLIENT_ID, secret=SECRET, t=T, sts=sts, access_token=TOKEN, nonce=NONCE
    )
    assert request.headers["sign"] == expected
    if body is not None:
        assert json.loads(request.body) == body


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=6), st.text(max_size=10)), max_size=5))
def test_the_wire_query_is_percent_encoded_like_quote(params: list[tuple[str, str]]) -> None:
    expected = "&".join(f"{quote(k, safe='')}={quote(v, safe=',')}" for k, v in params)
    assert _signing.encode_query(params) == expected
