"""Single sign-on in one process: the provider's code flow and claims, the relying party's mapping.

The two real nodes in two processes are in test_sso_e2e.py; here every step is checked on its own,
with the relying party's calls to the provider routed into the same Django (one database).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import Group, User
from django.core.cache import caches
from django.core.management import CommandError, call_command
from django.test import Client
from jwcrypto import jwk, jwt
from oauth2_provider.models import Application

from tongban.identity.auth import keys
from tongban.identity.auth.oidc import ClaimsBackend
from tongban.identity.models import Person, StaffProfile

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"
REDIRECT = "http://testserver/oidc/callback/"
ISSUER = "http://testserver/o"
ID_NUMBER = "411502199001011237"
OTHER_ID_NUMBER = "320502198512034563"


@pytest.fixture(scope="module")
def rsa_pem(tmp_path_factory: pytest.TempPathFactory) -> str:
    return keys.private_key_pem("", tmp_path_factory.mktemp("oidc-key"))


@pytest.fixture
def provider(settings: Any, rsa_pem: str) -> None:
    """This test's Django is the federation's OIDC provider."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "OIDC_ENABLED": True,
        "OIDC_RSA_PRIVATE_KEY": rsa_pem,
        # The views cache their OAuth server per class; the settings change between tests.
        "ALWAYS_RELOAD_OAUTHLIB_CORE": True,
    }
    caches["security"].clear()


@pytest.fixture
def client_app(provider: None) -> tuple[Application, str, str]:
    """Node B registered with `tongban oidc_client`: (application, client id, secret)."""
    out = io.StringIO()
    call_command("oidc_client", "node-b", REDIRECT, stdout=out, stderr=io.StringIO())
    values = dict(line.split("=", 1) for line in out.getvalue().split())
    app = Application.objects.get(name="node-b")
    return app, values["TONGBAN_OIDC_CLIENT_ID"], values["TONGBAN_OIDC_CLIENT_SECRET"]


@pytest.fixture
def li_na() -> User:
    """A staff member who is also registered as a resident."""
    user = User.objects.create_user("li.na", password=PASSWORD, is_staff=True)
    StaffProfile.objects.create(user=user, staff_number="XY-0042", name="李娜")
    Person.objects.create(user=user, name="李娜", id_type="resident_id", id_number=ID_NUMBER, region_id="411500")
    return user


def pkce() -> tuple[str, str]:
    verifier = base64.urlsafe_b64encode(hashlib.sha256(b"verifier").digest() * 2).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize(client: Client, client_id: str, **overrides: str) -> Any:
    _, challenge = pkce()
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid profile",
        "state": "state-1",
        "nonce": "nonce-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **overrides,
    }
    return client.get("/o/authorize/?" + urlencode({k: v for k, v in params.items() if v}))


def query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def code_flow(client: Client, client_id: str, secret: str) -> dict[str, Any]:
    response = authorize(client, client_id)
    assert response.status_code == 302 and response["Location"].startswith(REDIRECT)
    answer = query(response["Location"])
    assert answer["state"] == "state-1" and answer["iss"] == ISSUER
    verifier, _ = pkce()
    token = Client().post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": REDIRECT,
            "client_id": client_id,
            "client_secret": secret,
            "code_verifier": verifier,
        },
    )
    assert token.status_code == 200, token.content
    return token.json()


def verified_claims(id_token: str) -> dict[str, Any]:
    keyset = jwk.JWKSet.from_json(Client().get("/o/.well-known/jwks.json").content.decode())
    return json.loads(jwt.JWT(jwt=id_token, key=keyset, algs=["RS256"]).claims)


# --- provider -------------------------------------------------------------------------------------


def test_the_provider_signs_an_id_token_without_the_id_number(client_app: Any, li_na: User, client: Client) -> None:
    _, client_id, secret = client_app
    client.force_login(li_na)
    tokens = code_flow(client, client_id, secret)
    claims = verified_claims(tokens["id_token"])
    assert claims["iss"] == ISSUER and claims["aud"] == client_id and claims["nonce"] == "nonce-1"
    assert claims["sub"] == str(li_na.pk)
    assert claims["name"] == "李娜" and claims["preferred_username"] == "li.na"
    assert claims["staff_number"] == "XY-0042"
    assert "id_number" not in claims  # ID tokens pass through browsers; the number stays on the back channel


def test_userinfo_gives_the_id_number_to_the_registered_node(client_app: Any, li_na: User, client: Client) -> None:
    _, client_id, secret = client_app
    client.force_login(li_na)
    tokens = code_flow(client, client_id, secret)
    info = Client().get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").json()
    assert info == {
        "sub": str(li_na.pk),
        "name": "李娜",
        "preferred_username": "li.na",
        "staff_number": "XY-0042",
        "id_number": ID_NUMBER,
    }


def test_a_person_without_a_staff_profile_gets_no_staff_number_claim(client_app: Any, client: Client) -> None:
    _, client_id, secret = client_app
    resident = User.objects.create_user("resident", password=PASSWORD)
    Person.objects.create(user=resident, name="张伟", id_type="resident_id", id_number=ID_NUMBER, region_id="411500")
    client.force_login(resident)
    info = (
        Client()
        .get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {code_flow(client, client_id, secret)['access_token']}")
        .json()
    )
    assert info["id_number"] == ID_NUMBER and info["name"] == "张伟"
    assert "staff_number" not in info


def test_pkce_is_required_and_must_be_s256(client_app: Any, li_na: User, client: Client) -> None:
    _, client_id, _ = client_app
    client.force_login(li_na)
    without = authorize(client, client_id, code_challenge="", code_challenge_method="")
    assert "code" not in query(without["Location"]) and query(without["Location"])["error"] == "invalid_request"
    plain = authorize(client, client_id, code_challenge="x" * 43, code_challenge_method="plain")
    assert "code" not in query(plain["Location"])


def test_a_code_is_not_sent_to_an_unregistered_address(client_app: Any, li_na: User, client: Client) -> None:
    _, client_id, _ = client_app
    client.force_login(li_na)
    response = authorize(client, client_id, redirect_uri="https://evil.example/oidc/callback/")
    assert response.status_code == 400
    assert "evil.example" not in response.get("Location", "")


def test_someone_not_logged_in_on_the_provider_is_sent_to_its_login_page(client_app: Any, client: Client) -> None:
    _, client_id, _ = client_app
    response = authorize(client, client_id)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/o/authorize/")


def test_the_discovery_document_lists_the_claims_and_only_the_code_flow(provider: None, client: Client) -> None:
    doc = client.get("/o/.well-known/openid-configuration").json()
    assert doc["issuer"] == ISSUER
    assert doc["response_types_supported"] == ["code"]
    assert {"sub", "name", "preferred_username", "staff_number", "id_number"} <= set(doc["claims_supported"])
    assert doc["jwks_uri"] == f"{ISSUER}/.well-known/jwks.json"
    [key] = client.get("/o/.well-known/jwks.json").json()["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256"


def test_no_one_can_register_clients_through_the_web(provider: None, client: Client, li_na: User) -> None:
    client.force_login(li_na)
    assert client.get("/o/applications/register/").status_code == 404


def test_oidc_client_prints_a_secret_that_only_the_provider_s_hash_knows(client_app: Any) -> None:
    app, client_id, secret = client_app
    assert app.client_id == client_id and app.redirect_uris == REDIRECT
    assert app.skip_authorization and app.algorithm == "RS256" and app.client_type == "confidential"
    assert app.client_secret != secret and check_password(secret, app.client_secret)
    # Run again: same client, the secret is kept unless a new one is asked for.
    out = io.StringIO()
    call_command(
        "oidc_client", "node-b", REDIRECT, "https://b.example/oidc/callback/", stdout=out, stderr=io.StringIO()
    )
    assert out.getvalue().strip() == f"TONGBAN_OIDC_CLIENT_ID={client_id}"
    assert Application.objects.get(name="node-b").client_secret == app.client_secret
    out = io.StringIO()
    call_command("oidc_client", "node-b", REDIRECT, "--new-secret", stdout=out, stderr=io.StringIO())
    assert "TONGBAN_OIDC_CLIENT_SECRET=" in out.getvalue()
    assert Application.objects.get(name="node-b").client_secret != app.client_secret


def test_oidc_client_refuses_bad_addresses_and_nodes_that_are_not_the_provider(provider: None, settings: Any) -> None:
    with pytest.raises(CommandError, match="redirect_uris"):
        call_command("oidc_client", "node-c", "ftp://c.example/cb", stdout=io.StringIO(), stderr=io.StringIO())
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ENABLED": False}
    with pytest.raises(CommandError, match="TONGBAN_OIDC_PROVIDER=1"):
        call_command("oidc_client", "node-c", REDIRECT, stdout=io.StringIO(), stderr=io.StringIO())
    assert not Application.objects.filter(name="node-c").exists()


# --- relying party --------------------------------------------------------------------------------


@pytest.fixture
def relying_party(settings: Any, client_app: Any) -> None:
    """This Django also logs in through the provider at http://testserver/o (itself)."""
    _, client_id, secret = client_app
    settings.TONGBAN_OIDC_ISSUER = ISSUER
    settings.OIDC_RP_CLIENT_ID = client_id
    settings.OIDC_RP_CLIENT_SECRET = secret
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{ISSUER}/authorize/"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{ISSUER}/token/"
    settings.OIDC_OP_USER_ENDPOINT = f"{ISSUER}/userinfo/"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{ISSUER}/.well-known/jwks.json"


class Routed:
    """A requests.Response made from a Django test response (the provider answering in-process)."""

    def __init__(self, url: str, response: Any) -> None:
        self.url = url
        self.status_code = response.status_code
        self.headers = dict(response.headers)
        self.text = response.content.decode()

    def json(self) -> Any:
        return json.loads(self.text)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise requests.HTTPError(f"{self.status_code} from {self.url}", response=self)  # type: ignore[arg-type]


@pytest.fixture
def provider_in_process(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Route the relying party's server-to-server calls into this Django; returns the URLs called."""
    called: list[str] = []
    server = Client()

    def post(url: str, data: dict[str, str], auth: Any = None, **_: Any) -> Routed:
        called.append(url)
        return Routed(url, server.post(urlsplit(url).path, data))

    def get(url: str, headers: dict[str, str] | None = None, **_: Any) -> Routed:
        called.append(url)
        extra = {"HTTP_AUTHORIZATION": headers["Authorization"]} if headers else {}
        return Routed(url, server.get(urlsplit(url).path, **extra))

    monkeypatch.setattr("mozilla_django_oidc.auth.requests.post", post)
    monkeypatch.setattr("mozilla_django_oidc.auth.requests.get", get)
    return called


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def start_sso(client: Client, next_page: str = "") -> dict[str, str]:
    response = client.get("/oidc/authenticate/" + (f"?next={next_page}" if next_page else ""))
    assert response.status_code == 302
    return query(response["Location"])


def test_the_sso_button_sends_the_browser_to_the_provider_with_pkce_and_a_nonce(
    relying_party: None, client: Client
) -> None:
    params = start_sso(client)
    assert client.get("/oidc/authenticate/")["Location"].startswith(f"{ISSUER}/authorize/?")
    assert params["response_type"] == "code" and params["scope"] == "openid profile"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert params["nonce"] and params["state"] and params["redirect_uri"] == REDIRECT


def test_a_full_sign_on_logs_in_the_user_the_claims_point_to(
    relying_party: None, provider_in_process: list[str], li_na: User, client: Client
) -> None:
    client.force_login(li_na)  # logged in on the provider
    start = client.get("/oidc/authenticate/?next=/accounts/")
    at_provider = client.get(local(start["Location"]))
    assert at_provider["Location"].startswith(REDIRECT)
    # Provider and relying party share this one session here: drop the provider's login, so that the
    # callback has to log in by the claims alone, as a second node would.
    session = client.session
    for key in ("_auth_user_id", "_auth_user_backend", "_auth_user_hash"):
        del session[key]
    session.save()
    back = client.get(local(at_provider["Location"]))
    assert back.status_code == 302 and back["Location"] == "/accounts/"
    assert provider_in_process == [f"{ISSUER}/token/", f"{ISSUER}/.well-known/jwks.json", f"{ISSUER}/userinfo/"]
    assert client.session["_auth_user_backend"] == "tongban.identity.auth.oidc.ClaimsBackend"
    assert int(client.session["_auth_user_id"]) == li_na.pk
    assert "统一身份认证" in client.get("/accounts/").content.decode()


@pytest.fixture
def claims_from_provider(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The claims the provider will answer with (token exchange and signature checks stubbed out)."""
    claims: dict[str, Any] = {"sub": "7"}
    monkeypatch.setattr(ClaimsBackend, "get_token", lambda self, payload: {"id_token": "i", "access_token": "a"})
    monkeypatch.setattr(ClaimsBackend, "verify_token", lambda self, token, **kw: {"nonce": kw.get("nonce")})
    monkeypatch.setattr(ClaimsBackend, "get_userinfo", lambda self, access, id_token, payload: dict(claims))
    return claims


def finish_sso(client: Client) -> Any:
    state = start_sso(client)["state"]
    return client.get(f"/oidc/callback/?code=the-code&state={state}")


def test_the_resident_id_number_maps_to_the_person_s_login(
    relying_party: None, claims_from_provider: dict[str, Any], client: Client
) -> None:
    resident = User.objects.create_user("zhang.wei", password=PASSWORD)
    Person.objects.create(user=resident, name="张伟", id_type="resident_id", id_number=ID_NUMBER, region_id="411500")
    claims_from_provider["id_number"] = ID_NUMBER
    assert finish_sso(client)["Location"] == "/accounts/"
    assert int(client.session["_auth_user_id"]) == resident.pk


def test_roles_never_come_from_claims(
    relying_party: None, claims_from_provider: dict[str, Any], client: Client, li_na: User
) -> None:
    li_na.is_staff = False
    li_na.save()
    claims_from_provider.update(
        staff_number="XY-0042", is_staff=True, is_superuser=True, groups=["catalog admins"], roles=["supervisor"]
    )
    assert finish_sso(client)["Location"] == "/accounts/"
    li_na.refresh_from_db()
    assert not li_na.is_staff and not li_na.is_superuser and not li_na.groups.exists()
    assert not Group.objects.exists()


def test_claims_that_match_no_local_user_log_no_one_in_and_say_why(
    relying_party: None, claims_from_provider: dict[str, Any], client: Client, li_na: User
) -> None:
    claims_from_provider.update(staff_number="SZ-9999", id_number=OTHER_ID_NUMBER, name="李娜")
    response = finish_sso(client)
    assert response["Location"] == "/accounts/login/?sso=failed"
    assert "_auth_user_id" not in client.session
    assert not User.objects.exclude(pk=li_na.pk).exists()  # no account is made from claims
    page = client.get(response["Location"]).content.decode()
    assert "统一身份认证已确认您的身份，但本节点没有与之对应的账号" in page


def test_claims_pointing_at_two_different_users_log_no_one_in(
    relying_party: None, claims_from_provider: dict[str, Any], client: Client, li_na: User
) -> None:
    other = User.objects.create_user("other", password=PASSWORD)
    Person.objects.create(user=other, name="王五", id_type="resident_id", id_number=OTHER_ID_NUMBER, region_id="411500")
    claims_from_provider.update(staff_number="XY-0042", id_number=OTHER_ID_NUMBER)
    assert finish_sso(client)["Location"] == "/accounts/login/?sso=failed"
    assert "_auth_user_id" not in client.session


def test_an_inactive_local_user_is_not_logged_in(
    relying_party: None, claims_from_provider: dict[str, Any], client: Client, li_na: User
) -> None:
    li_na.is_active = False
    li_na.save()
    claims_from_provider["staff_number"] = "XY-0042"
    assert finish_sso(client)["Location"] == "/accounts/login/?sso=failed"
    assert "_auth_user_id" not in client.session


def test_an_unreachable_provider_sends_the_person_back_with_a_clear_message(
    relying_party: None, monkeypatch: pytest.MonkeyPatch, client: Client
) -> None:
    def down(*args: Any, **kwargs: Any) -> None:
        raise requests.ConnectionError("connection refused")

    monkeypatch.setattr("mozilla_django_oidc.auth.requests.post", down)
    response = finish_sso(client)
    assert response["Location"] == "/accounts/login/?sso=failed"
    page = client.get(response["Location"]).content.decode()
    assert "暂时无法连接统一身份认证服务" in page


def test_a_password_login_never_calls_the_provider(
    relying_party: None, monkeypatch: pytest.MonkeyPatch, client: Client, li_na: User
) -> None:
    def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the provider was called during a password login")

    monkeypatch.setattr("mozilla_django_oidc.auth.requests.post", never)
    response = client.post("/accounts/login/?code=x&state=y", {"username": "li.na", "password": "wrong-password"})
    assert response.status_code == 200
    response = client.post("/accounts/login/?code=x&state=y", {"username": "li.na", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_backend"] == "tongban.identity.auth.lockout.LockoutModelBackend"
