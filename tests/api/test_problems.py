"""One error shape for every status (RFC 9457 problem details, in Vietnamese), bodies checked before any
route reads them, strict request models, and a contract that declares all of it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.errors import MAX_BODY_BYTES, MAX_PROBLEMS, PROBLEM_MEDIA_TYPE
from api.schemas import payload_schema_name
from config.settings import Settings
from states import errors as domain_errors
from states.errors import HosoError
from states.identity import id_number_problem
from tests.api.test_api import POSITIVE, history_count, login, open_dossier, subject
from tests.conftest import World

ARABIC_INDIC_ID = "٠٠١٠٩٢١٠٠٠٠١"
FULLWIDTH_ID = "００１０９２１０００００１"


def _throttled_error() -> type[HosoError]:
    existing = getattr(domain_errors, "ThrottledError", None)
    if isinstance(existing, type) and issubclass(existing, HosoError):
        return existing
    return type("ThrottledError", (HosoError,), {})


def _app(world: World) -> FastAPI:
    settings = Settings(environment="test", secret_key="test-secret-key-of-at-least-thirty-two-chars")
    app = create_app(settings, clock=world.clock, db=world.db, rulebook=world.rulebook)

    @app.get("/test/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("secret internal detail: /etc/hoso password=xyz")

    @app.get("/test/throttled", include_in_schema=False)
    def throttled() -> None:
        raise _throttled_error()("Đăng nhập sai quá nhiều lần; hãy thử lại sau", retry_after=42.5)

    return app


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(_app(world), raise_server_exceptions=False) as test_client:
        yield test_client


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:hoso:problem:{code}"
    assert (body["status"], body["code"]) == (status, code)
    assert body["title"] and body["detail"]
    assert re.search(r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", body["detail"].lower())
    assert len(body.get("problems", [])) <= MAX_PROBLEMS
    return body


def events_url(dossier: dict[str, Any]) -> str:
    return f"/api/v1/dossiers/{dossier['id']}/events"


# -- one shape for every status -----------------------------------------------------------------------------


def test_domain_errors_are_problem_details(client: TestClient, world: World) -> None:
    police = login(client, "police")
    dossier = open_dossier(client, police)
    url = events_url(dossier)

    stale = client.post(
        url, json={"event": "test_positive", "expected_version": 7, "payload": POSITIVE}, headers=police
    )
    assert assert_problem(stale, 409, "stale_version")["current_version"] == 1

    wrong_state = client.post(url, json={"event": "received", "expected_version": 1, "payload": {}}, headers=police)
    assert assert_problem(wrong_state, 409, "transition_not_allowed")["current_version"] == 1

    denied = client.post(
        url,
        json={"event": "test_positive", "expected_version": 1, "payload": POSITIVE},
        headers=login(client, "chair"),
    )
    assert_problem(denied, 403, "permission_denied")

    unknown = client.post(url, json={"event": "no_such_step", "expected_version": 1, "payload": {}}, headers=police)
    assert_problem(unknown, 422, "unknown_event")

    missing = client.get("/api/v1/dossiers/00000000-0000-0000-0000-000000000000", headers=police)
    assert_problem(missing, 404, "not_found")

    no_token = client.get("/api/v1/me")
    assert_problem(no_token, 401, "authentication")
    assert no_token.headers["www-authenticate"] == "Bearer"
    bad_password = client.post("/api/v1/auth/token", data={"username": "police", "password": "sai-mat-khau"})
    assert_problem(bad_password, 401, "authentication")

    payload = client.post(
        url,
        json={"event": "test_positive", "expected_version": 1, "payload": {**POSITIVE, "test_ground": "khác"}},
        headers=police,
    )
    body = assert_problem(payload, 422, "payload")
    assert [item["field"] for item in body["problems"]] == ["payload.test_ground"]
    assert body["field"] == "payload.test_ground"
    assert "test_ground" in body["problems"][0]["detail"]
    assert history_count(world) == 1


def test_validation_errors_name_the_field(client: TestClient) -> None:
    police = login(client, "police")
    body = {"procedure": "addiction_determination", "subject": {**subject(), "id_number": "12345"}}
    problem = assert_problem(client.post("/api/v1/dossiers", json=body, headers=police), 422, "invalid_request")
    assert problem["field"] == "subject.id_number"
    assert problem["problems"] == [{"field": "subject.id_number", "detail": "sai định dạng"}]


def test_problems_are_capped_however_large_the_request(client: TestClient) -> None:
    police = login(client, "police")
    dossier = open_dossier(client, police)
    noise = {f"field_{n:03d}": n for n in range(300)}
    response = client.post(
        events_url(dossier),
        json={"event": "test_positive", "expected_version": 1, "payload": {**POSITIVE, **noise}},
        headers=police,
    )
    body = assert_problem(response, 422, "payload")
    assert len(body["problems"]) == MAX_PROBLEMS
    assert "lỗi khác" in body["problems"][-1]["detail"]

    subject_noise = {**subject(), **{f"extra_{n:03d}": n for n in range(300)}}
    response = client.post(
        "/api/v1/dossiers", json={"procedure": "addiction_determination", "subject": subject_noise}, headers=police
    )
    body = assert_problem(response, 422, "invalid_request")
    assert len(body["problems"]) == MAX_PROBLEMS
    assert body["problems"][-1] == {"detail": "và 281 lỗi khác"}
    assert len(body["detail"]) < 2000


def test_unexpected_errors_are_a_vietnamese_500_without_internals(client: TestClient) -> None:
    response = client.get("/test/boom")
    assert_problem(response, 500, "internal_error")
    assert "secret" not in response.text and "RuntimeError" not in response.text


def test_throttling_answers_429_with_retry_after(client: TestClient) -> None:
    response = client.get("/test/throttled")
    assert_problem(response, 429, "throttled")
    assert response.headers["retry-after"] == "43"


# -- framework errors: Vietnamese, never 5xx -----------------------------------------------------------------


def _post_raw(client: TestClient, url: str, content: bytes, headers: dict[str, str], **more: str) -> Any:
    return client.post(url, content=content, headers={"Content-Type": "application/json", **headers, **more})


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b'{"event": "test_positive", "expected_version": 1,', "malformed_json"),
        (b"", "invalid_request"),
        (
            b'{"event": "test_positive", "expected_version": 1, "payload": {"substances": "\xff\xfe"}}',
            "invalid_encoding",
        ),
        (b'\xef\xbb\xbf{"event": "test_positive", "expected_version": 1}', "malformed_json"),
        (b'{"event": "test_positive", "expected_version": NaN}', "malformed_json"),
        (b'{"event": "test_positive", "expected_version": 1e999}', "malformed_json"),
        (b"[" * 100_000 + b"]" * 100_000, "malformed_json"),
        (b'{"event": "test_positive", "expected_version": 1, "payload": {"substances": "\\ud800"}}', "invalid_unicode"),
        (b'{"event": "test_positive", "expected_version": 1, "payload": {"\\udfff": "x"}}', "invalid_unicode"),
        (b'{"event": "\\ud83d", "expected_version": 1}', "invalid_unicode"),
        (b'{"event": "x", "expected_version": 1, "payload": {"a": [{"b": ["\\udc00"]}]}}', "invalid_unicode"),
    ],
    ids=[
        "truncated",
        "empty",
        "not-utf8",
        "bom",
        "nan",
        "infinity",
        "deep-nesting",
        "lone-high-surrogate",
        "surrogate-key",
        "surrogate-event",
        "nested-surrogate",
    ],
)
def test_unreadable_bodies_are_refused_before_the_database(
    client: TestClient, world: World, content: bytes, code: str
) -> None:
    police = login(client, "police")
    dossier = open_dossier(client, police)
    rows = history_count(world)
    response = _post_raw(client, events_url(dossier), content, police)
    assert_problem(response, 422 if code == "invalid_request" else 400, code)
    assert history_count(world) == rows


def test_a_valid_surrogate_pair_is_an_ordinary_character(client: TestClient) -> None:
    police = login(client, "police")
    dossier = open_dossier(client, police)
    content = (
        b'{"event": "test_positive", "expected_version": 1, "payload": {"tested_at": "2026-03-02T08:00:00+07:00", '
        b'"test_ground": "caught_using", "sample_type": "urine", "substances": "Heroin \\ud83d\\ude00"}}'
    )
    response = _post_raw(client, events_url(dossier), content, police)
    assert response.status_code in (200, 422), response.text
    assert response.status_code != 400


def test_surrogates_in_a_new_dossier_are_refused(client: TestClient, world: World) -> None:
    police = login(client, "police")
    content = (
        b'{"procedure": "addiction_determination", "subject": {"full_name": "Phan \\ud800", '
        b'"date_of_birth": "1992-04-05", "id_number": "001092000001", "commune_code": "00070"}}'
    )
    assert_problem(_post_raw(client, "/api/v1/dossiers", content, police), 400, "invalid_unicode")
    assert history_count(world) == 0


def test_wrong_content_types_are_415(client: TestClient) -> None:
    police = login(client, "police")
    dossier = open_dossier(client, police)
    body = b'{"event": "test_positive", "expected_version": 1, "payload": {}}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
        response = client.post(events_url(dossier), content=body, headers={**police, "Content-Type": content_type})
        assert_problem(response, 415, "unsupported_media_type")
    no_type = client.post(events_url(dossier), content=body, headers=police)
    assert_problem(no_type, 415, "unsupported_media_type")
    as_json = client.post("/api/v1/auth/token", json={"username": "police", "password": "x"})
    assert_problem(as_json, 415, "unsupported_media_type")
    with_charset = _post_raw(
        client, events_url(dossier), body, police, **{"Content-Type": "application/json; charset=utf-8"}
    )
    assert with_charset.status_code == 422  # read, then refused for its empty payload


def test_bodies_over_the_limit_are_413(client: TestClient) -> None:
    police = login(client, "police")
    dossier = open_dossier(client, police)
    big = b'{"event": "test_positive", "expected_version": 1, "payload": {"substances": "' + b"x" * MAX_BODY_BYTES
    big += b'"}}'
    assert_problem(_post_raw(client, events_url(dossier), big, police), 413, "body_too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it streams
        yield big[:1000]
        yield big[1000:]

    streamed = client.post(
        events_url(dossier), content=chunks(), headers={**police, "Content-Type": "application/json"}
    )
    assert_problem(streamed, 413, "body_too_large")
    form = client.post(
        "/api/v1/auth/token",
        content=b"username=" + b"a" * MAX_BODY_BYTES,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_problem(form, 413, "body_too_large")
    multipart = client.post(
        "/api/v1/auth/token", content=b"garbage", headers={"Content-Type": "multipart/form-data; boundary=x"}
    )
    assert_problem(multipart, 400, "malformed_body")
    bogus = client.post(events_url(dossier), content=b"{}", headers={**police, "Content-Length": "abc"})
    assert bogus.status_code == 400


def test_unknown_routes_and_methods(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/nowhere"), 404, "route_not_found")
    assert_problem(client.get("/docs/assets/no-such-file.js"), 404, "route_not_found")
    response = client.delete("/api/v1/me")
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]


# -- no lax coercion -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1", "3", True, 1.0, 1.5, None, [1], 2**63, 0])
def test_expected_version_is_a_plain_integer(client: TestClient, world: World, version: Any) -> None:
    police = login(client, "police")
    dossier = open_dossier(client, police)
    response = client.post(
        events_url(dossier),
        json={"event": "test_positive", "expected_version": version, "payload": POSITIVE},
        headers=police,
    )
    body = assert_problem(response, 422, "invalid_request")
    assert body["field"] == "expected_version"
    assert history_count(world) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"date_of_birth": 19920405},
        {"date_of_birth": 702432000},
        {"date_of_birth": "1992-04-05T00:00:00"},
        {"date_of_birth": "05/04/1992"},
        {"date_of_birth": True},
        {"id_number": ARABIC_INDIC_ID},
        {"id_number": FULLWIDTH_ID},
        {"id_number": 1092000001},
        {"commune_code": "٠٠٠٧٠"},
        {"commune_code": "０００７０"},
        {"commune_code": 70},
        {"full_name": 12},
        {"sex": 1},
    ],
)
def test_subject_fields_are_not_coerced(client: TestClient, change: dict[str, Any]) -> None:
    body = {"procedure": "addiction_determination", "subject": {**subject(), **change}}
    response = client.post("/api/v1/dossiers", json=body, headers=login(client, "police"))
    problem = assert_problem(response, 422, "invalid_request")
    assert problem["field"] == f"subject.{next(iter(change))}"


def test_id_numbers_are_ascii_digits_only() -> None:
    born = date(1992, 4, 5)
    assert id_number_problem("001092000001", born) is None
    for number in (ARABIC_INDIC_ID, FULLWIDTH_ID, "001092٠٠٠٠٠١"):
        assert id_number_problem(number, born) == "Số định danh cá nhân phải gồm đúng 12 chữ số"


def test_iso_dates_from_json_are_accepted(client: TestClient) -> None:
    created = open_dossier(client, login(client, "police"))
    assert created["subject"]["date_of_birth"] == "1992-04-05"


# -- the contract --------------------------------------------------------------------------------------------

OPERATIONS = {
    ("post", "/api/v1/auth/token"): "login",
    ("get", "/api/v1/me"): "get_me",
    ("get", "/api/v1/procedures"): "list_procedures",
    ("post", "/api/v1/dossiers"): "open_dossier",
    ("get", "/api/v1/dossiers/{dossier_id}"): "get_dossier",
    ("post", "/api/v1/dossiers/{dossier_id}/events"): "fire_event",
    ("get", "/api/v1/dossiers/{dossier_id}/history/verify"): "verify_history",
    ("get", "/healthz"): "healthz",
}


def test_every_operation_has_a_stable_id_and_declares_its_problems(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    found = {(method, path): op["operationId"] for path, ops in schema["paths"].items() for method, op in ops.items()}
    assert found.items() >= OPERATIONS.items()
    components = schema["components"]["schemas"]
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            errors = {status: response for status, response in op["responses"].items() if int(status) >= 400}
            assert "500" in errors, (method, path)
            if op.get("security"):
                assert "401" in errors, (method, path)
            if "requestBody" in op:
                assert {"400", "413", "415", "422"} <= set(errors), (method, path)
            for status, response in errors.items():
                assert list(response["content"]) == [PROBLEM_MEDIA_TYPE], (method, path, status)
                ref = response["content"][PROBLEM_MEDIA_TYPE]["schema"]["$ref"].rsplit("/", 1)[1]
                assert ref in components
                assert "current_version" in components[ref]["properties"]
    fire = schema["paths"]["/api/v1/dossiers/{dossier_id}/events"]["post"]["responses"]
    conflict = fire["409"]["content"][PROBLEM_MEDIA_TYPE]["schema"]["$ref"].rsplit("/", 1)[1]
    assert "current_version" in components[conflict]["required"]
    assert schema["info"]["title"].startswith("hoso")
    assert "HTTPValidationError" not in components


def test_event_payloads_are_named_schemas(client: TestClient, world: World) -> None:
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    positive = components["AddictionDetermination20260701TestPositivePayload"]
    assert positive["additionalProperties"] is False
    assert set(positive["required"]) == {"tested_at", "test_ground", "sample_type", "substances"}
    assert positive["properties"]["tested_at"]["format"] == "date-time"
    assert "caught_using" in positive["properties"]["test_ground"]["enum"]
    assert "dương tính" in positive["description"]
    refs = [item["$ref"].rsplit("/", 1)[1] for item in components["EventIn"]["properties"]["payload"]["anyOf"]]
    assert "EmptyPayload" in refs and all(ref in components for ref in refs)
    expected = {
        payload_schema_name(c.code, c.version, event)
        for c in world.rulebook.all_versions()
        for event in c.definition.events
    }
    assert expected <= set(refs)


def test_actions_name_their_payload_schema_and_required_fields(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    dossier = open_dossier(client, login(client, "police"))
    assert dossier["actions"]
    for action in dossier["actions"]:
        component = components[action["payload_schema"]]
        assert action["required"] == [name for name, field in action["payload"].items() if field["required"]]
        assert set(action["required"]) == set(component.get("required", []))
    positive = next(action for action in dossier["actions"] if action["event"] == "test_positive")
    assert positive["payload_schema"] == payload_schema_name(
        "addiction_determination", dossier["procedure_version"], "test_positive"
    )


# -- /docs works offline -------------------------------------------------------------------------------------


def test_docs_use_only_local_assets(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "http://" not in page.text and "https://" not in page.text
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert urls and all(url.startswith("/") and not url.startswith("//") for url in urls)
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100
    assert client.get("/docs/oauth2-redirect").status_code == 200
    assert client.get("/redoc").status_code == 404
