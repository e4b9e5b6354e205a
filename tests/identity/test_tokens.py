"""API bearer tokens: `tongban token`, scopes, and 401/403 in the API's error shape."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken

from tests import factories as f
from tongban.catalog.models import Department
from tongban.identity.auth.tokens import issue_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog_admin() -> User:
    user = User.objects.create_user("catalog.admin", password="x-very-long-password")
    user.user_permissions.add(Permission.objects.get(codename="change_serviceitem"))
    return user


def token_for(user: User, *scopes: str, days: int = 30) -> str:
    return issue_token(user, scopes, days)[0]


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def new_department(client: Client, token: str) -> Any:
    return client.post(
        "/api/v1/departments/",
        {"region": "411500", "name": "信阳市数据局", "uscc": f.uscc()},
        content_type="application/json",
        **bearer(token),
    )


def test_the_token_command_prints_a_token_that_works(catalog_admin: User) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("token", "catalog.admin", "--scopes", "catalog:read", "catalog:write", stdout=out, stderr=err)
    token = out.getvalue().strip()
    assert len(token) >= 40 and "\n" not in token  # the token alone on stdout, for scripts
    assert "catalog:read catalog:write" in err.getvalue()
    assert new_department(Client(), token).status_code == 201
    assert Department.objects.filter(name="信阳市数据局").exists()


def test_the_token_command_defaults_to_read_scopes_and_thirty_days(catalog_admin: User) -> None:
    out = io.StringIO()
    call_command("token", "catalog.admin", stdout=out, stderr=io.StringIO())
    record = AccessToken.objects.get()
    assert record.scope == "catalog:read cases:read identity:read"
    assert timedelta(days=29, hours=23) < record.expires - timezone.now() <= timedelta(days=30)
    assert record.application.name == "tongban-cli"
    assert record.application.client_type == "confidential"


def test_only_a_hash_of_the_token_is_stored(catalog_admin: User) -> None:
    token = token_for(catalog_admin, "catalog:read")
    record = AccessToken.objects.get()
    assert record.token == ""
    assert record.token_checksum == hashlib.sha256(token.encode()).hexdigest()


def test_the_token_command_refuses_unknown_users_and_scopes(catalog_admin: User) -> None:
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        call_command("token", "nobody", stdout=io.StringIO())
    with pytest.raises(CommandError, match="unknown scopes: catalog:admin"):
        call_command("token", "catalog.admin", "--scopes", "catalog:admin", stdout=io.StringIO())
    with pytest.raises(CommandError, match="expires-days"):
        call_command("token", "catalog.admin", "--expires-days", "0", stdout=io.StringIO())
    assert not AccessToken.objects.exists()


def test_a_token_with_the_read_scope_reads_the_api(client: Client, catalog_admin: User) -> None:
    impl = f.implementation()
    response = client.get(
        f"/api/v1/implementations/{impl.implementation_code}/", **bearer(token_for(catalog_admin, "catalog:read"))
    )
    assert response.status_code == 200
    assert response.json()["implementation_code"] == impl.implementation_code


def test_a_token_without_the_scope_gets_403_in_the_error_shape(client: Client, catalog_admin: User) -> None:
    response = client.get("/api/v1/regions/", **bearer(token_for(catalog_admin, "cases:read")))
    assert response.status_code == 403
    body = response.json()
    assert body["status"] == 403
    [error] = body["errors"]
    assert error["code"] == "insufficient_scope" and error["field"] is None
    assert error["message_zh"] == "访问令牌缺少所需权限范围：catalog:read"
    assert error["message_en"] == "the access token lacks the scope this call needs: catalog:read"


def test_a_read_token_cannot_write_even_for_a_catalog_admin(client: Client, catalog_admin: User) -> None:
    response = new_department(client, token_for(catalog_admin, "catalog:read"))
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "insufficient_scope"
    assert not Department.objects.exists()


def test_a_write_token_does_not_lift_the_user_s_own_rights(client: Client) -> None:
    clerk = User.objects.create_user("clerk", password="x-very-long-password")
    response = new_department(client, token_for(clerk, "catalog:write"))
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] != "insufficient_scope"  # refused for the user's rights
    assert not Department.objects.exists()


def test_a_forged_token_gets_401_in_the_error_shape_even_where_anonymous_reads_are_allowed(client: Client) -> None:
    response = client.get("/api/v1/regions/", **bearer("forged-token-that-was-never-issued"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Bearer realm="api", error="invalid_token"')
    body = response.json()
    assert body == {
        "status": 401,
        "errors": [
            {
                "field": None,
                "code": "invalid_token",
                "message": "访问令牌无效或已被吊销，请重新申请令牌。",
                "message_zh": "访问令牌无效或已被吊销，请重新申请令牌。",
                "message_en": "the access token is not valid or has been revoked; get a new one",
            }
        ],
    }


def test_an_empty_bearer_header_is_refused_too(client: Client) -> None:
    response = client.get("/api/v1/regions/", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 401 and response.json()["errors"][0]["code"] == "invalid_token"


def test_an_expired_token_gets_401_saying_so(client: Client, catalog_admin: User) -> None:
    token = token_for(catalog_admin, "catalog:read")
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = client.get("/api/v1/regions/", HTTP_ACCEPT_LANGUAGE="en", **bearer(token))
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["code"] == "token_expired"
    assert error["message"] == "the access token has expired; get a new one"
    assert error["message_zh"] == "访问令牌已过期，请重新申请令牌。"


def test_a_revoked_token_stops_working(client: Client, catalog_admin: User) -> None:
    token = token_for(catalog_admin, "catalog:read")
    assert client.get("/api/v1/regions/", **bearer(token)).status_code == 200
    AccessToken.objects.get().revoke()
    assert client.get("/api/v1/regions/", **bearer(token)).status_code == 401


def test_the_token_of_a_deactivated_user_stops_working(client: Client, catalog_admin: User) -> None:
    token = token_for(catalog_admin, "catalog:read")
    catalog_admin.is_active = False
    catalog_admin.save()
    assert client.get("/api/v1/regions/", **bearer(token)).status_code == 401


def test_a_token_in_the_query_string_is_not_accepted(client: Client, catalog_admin: User) -> None:
    token = token_for(catalog_admin, "catalog:write")
    response = client.post(
        f"/api/v1/departments/?access_token={token}",
        {"region": "411500", "name": "x", "uscc": f.uscc()},
        content_type="application/json",
    )
    assert response.status_code == 403  # anonymous: the token was not looked at
    assert not Department.objects.exists()


def test_the_schema_describes_bearer_tokens(client: Client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
