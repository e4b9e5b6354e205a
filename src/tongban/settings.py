"""Django settings, all read from TONGBAN_* variables through tongban.config."""

from __future__ import annotations

import secrets

import dj_database_url
from django.utils.translation import gettext_lazy as _

from tongban.config import BASE_DIR, env, env_bool, var_dir

VAR_DIR = var_dir()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    given = env("TONGBAN_SECRET_KEY")
    if given:
        return given
    # A key per working folder, made once, so sessions survive restarts without a key in the code.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("TONGBAN_DEBUG")
ALLOWED_HOSTS = [h.strip() for h in env("TONGBAN_ALLOWED_HOSTS").split(",") if h.strip()]
if env("TONGBAN_ALLOWED_HOSTS") == "*":
    ALLOWED_HOSTS = ["*"]

TONGBAN_NODE_ID = env("TONGBAN_NODE_ID")
TONGBAN_REGION = env("TONGBAN_REGION")
TONGBAN_MAX_UPLOAD_BYTES = int(env("TONGBAN_MAX_UPLOAD_MB")) * 1024 * 1024
TONGBAN_PUBLIC_URL = env("TONGBAN_PUBLIC_URL") or f"http://{env('TONGBAN_HOST')}:{env('TONGBAN_PORT')}"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "tongban.core",
    "tongban.identity",
    "tongban.catalog",
    "tongban.workdays",
    "tongban.cases",
    "tongban.credit",
    "tongban.federation",
    "tongban.licenses",
    "tongban.frontdesk",
    "tongban.bundles",
    "tongban.web",
    "django_tasks",
    "django_tasks_db",
    "oauth2_provider",
    "mozilla_django_oidc",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "tongban.core.middleware.ApiLanguageMiddleware",
    "tongban.core.middleware.ApiBodyLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tongban.urls"
WSGI_APPLICATION = "tongban.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tongban.web.context.site",
            ],
        },
    },
]

_db_url = env("TONGBAN_DATABASE_URL")
if _db_url:
    DATABASES = {"default": dj_database_url.parse(_db_url, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "tongban.sqlite3",
            "OPTIONS": {
                # WAL lets readers go on while one writer commits; IMMEDIATE avoids the
                # deadlock-then-fail of upgrading a read transaction to a write one.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            "TEST": {"NAME": None},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env("TONGBAN_LANGUAGE")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env("TONGBAN_STORAGE_DIR") or str(VAR_DIR / "files")},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the app folders: `make demo` works without a collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

DATA_UPLOAD_MAX_MEMORY_SIZE = TONGBAN_MAX_UPLOAD_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGIN_URL = "/admin/login/"

# Background work (notices, deadline warnings, the art. 32 rule): a database queue that `tongban worker`
# drains; no other server needed.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tongban.identity.permissions.PolicyPermission"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "tongban.core.errors.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "tongban API",
    "DESCRIPTION": "政务服务通办平台 API: catalog (事项库), and more as the platform grows.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "LimitUnitEnum": "tongban.catalog.choices.LimitUnit",
        "ItemKindEnum": "tongban.catalog.choices.ItemKind",
        "DepartmentKindEnum": "tongban.catalog.choices.DepartmentKind",
        "WindowKindEnum": "tongban.catalog.choices.WindowKind",
        "AgreementKindEnum": "tongban.catalog.choices.AgreementKind",
        "CaseStatusEnum": "tongban.cases.choices.Status",
        "GuideStatusEnum": "tongban.catalog.choices.GuideStatus",
        "MaterialEvidenceEnum": "tongban.cases.choices.MaterialEvidence",
        "AuthorisationEvidenceEnum": "tongban.identity.choices.Evidence",
        "MaterialStateEnum": "tongban.cases.choices.MaterialState",
        "CommitmentStateEnum": "tongban.cases.choices.CommitmentState",
        "VerificationStateEnum": "tongban.cases.choices.VerificationState",
        "NoticeStateEnum": "tongban.cases.choices.NoticeState",
        "OrderStateEnum": "tongban.cases.choices.OrderState",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "tongban.core.schema.describe_every_field",
    ],
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("TONGBAN_SECURE"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint reports every step of every render at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- identity: login, lockout, sessions, OAuth2 / OIDC (owned by tongban.identity.auth) ---
# Everything below is read from TONGBAN_* variables declared in tongban.config; docs/sso.md explains it.
from tongban.identity.auth.keys import private_key_pem as _oidc_private_key_pem  # noqa: E402

# Sessions: a working day at most, and gone when the browser closes (a shared counter PC at a window).
TONGBAN_SESSION_HOURS = int(env("TONGBAN_SESSION_HOURS"))
SESSION_COOKIE_AGE = TONGBAN_SESSION_HOURS * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Cookies ignore the port: several nodes on one host (the demo, the SSO test) would overwrite each
# other's session and CSRF cookies under Django's fixed names, so each node names its own.
_cookie_node = "".join(ch if ch.isalnum() else "_" for ch in TONGBAN_NODE_ID) or "node"
SESSION_COOKIE_NAME = f"tongban_session_{_cookie_node}"
CSRF_COOKIE_NAME = f"tongban_csrf_{_cookie_node}"
CSRF_FAILURE_VIEW = "tongban.identity.auth.views.csrf_failure"

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:account"
LOGOUT_REDIRECT_URL = "accounts:logged_out"

# Failed logins are counted in a cache every web process shares: the database (no extra server).
# `createcachetable` makes its table; the test database gets it from Django's test set-up.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "security": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "tongban_security_cache"},
}
TONGBAN_LOGIN_MAX_FAILURES = int(env("TONGBAN_LOGIN_MAX_FAILURES"))
TONGBAN_LOGIN_WINDOW_SECONDS = 15 * 60
TONGBAN_LOGIN_LOCK_SECONDS = int(env("TONGBAN_LOGIN_LOCK_MINUTES")) * 60
TONGBAN_LOGIN_IP_MAX_FAILURES = int(env("TONGBAN_LOGIN_IP_MAX_FAILURES"))
TONGBAN_LOGIN_IP_WINDOW_SECONDS = 10 * 60
TONGBAN_PROXY_HOPS = int(env("TONGBAN_PROXY_HOPS"))

AUTHENTICATION_BACKENDS = [
    # Django's ModelBackend (password hashers, is_active) with the lockout in front of it, so the
    # admin's login form is covered too.
    "tongban.identity.auth.lockout.LockoutModelBackend",
    # Single sign-on: maps the provider's claims to an existing local user; inert without an issuer.
    "tongban.identity.auth.oidc.ClaimsBackend",
]

# The login pages' own strings (Chinese by default, English under /en/).
LOCALE_PATHS = [*LOCALE_PATHS, BASE_DIR / "identity" / "auth" / "locale"]

# Security headers: a Content-Security-Policy on every response (Django sets the others above).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "tongban.identity.auth.middleware.ContentSecurityPolicyMiddleware",
)
# A bearer token that is forged or expired gets a 401 in the API's error shape before DRF runs.
MIDDLEWARE.insert(
    MIDDLEWARE.index("tongban.core.middleware.ApiBodyLimitMiddleware") + 1,
    "tongban.identity.auth.tokens.BearerTokenMiddleware",
)

# API: `Authorization: Bearer <token>` beside the session; after it, so that a call without any
# credentials keeps answering 403 as before, and each token is held to its scopes.
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    *REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"],
    "tongban.identity.auth.bearer.ScopedOAuth2Authentication",
]

# OAuth2 / OIDC provider (django-oauth-toolkit). Tokens for integrations work on every node; the
# OpenID Connect part (ID tokens, userinfo, discovery) only on the federation's provider.
TONGBAN_OIDC_PROVIDER = env_bool("TONGBAN_OIDC_PROVIDER")
TONGBAN_SECURE = env_bool("TONGBAN_SECURE")
OAUTH2_PROVIDER = {
    "SCOPES": {
        "openid": "OpenID Connect sign-in",
        "profile": "name, username and the identifier that maps you to accounts on other nodes",
        "catalog:read": "read the service catalog",
        "catalog:write": "change the service catalog",
        "cases:read": "read cases",
        "cases:write": "act on cases",
        "identity:read": "read persons, organisations and staff assignments",
        "identity:write": "change persons, organisations and staff assignments",
    },
    "DEFAULT_SCOPES": ["catalog:read"],
    "OAUTH2_VALIDATOR_CLASS": "tongban.identity.auth.oidc.ClaimsValidator",
    "OIDC_ENABLED": TONGBAN_OIDC_PROVIDER,
    "OIDC_RSA_PRIVATE_KEY": (
        _oidc_private_key_pem(env("TONGBAN_OIDC_KEY_FILE"), VAR_DIR) if TONGBAN_OIDC_PROVIDER else ""
    ),
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "client_credentials", "refresh_token"],
    "PKCE_REQUIRED": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "ID_TOKEN_EXPIRE_SECONDS": 3600,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 14 * 24 * 3600,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # RFC 9700 (OAuth 2.0 security best practice): refuse the implicit and password grants, "plain"
    # PKCE and tokens in query strings; keep only hashes of tokens; say who issued a code.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    # Plain-http redirect URIs only off production: the demo and tests run nodes on 127.0.0.1.
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"] if TONGBAN_SECURE else ["http", "https"],
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": TONGBAN_SECURE,
}

# OIDC relying party (mozilla-django-oidc): log in through the federation's provider. Every tongban
# provider publishes the same paths under its issuer, so the issuer alone gives every endpoint.
TONGBAN_OIDC_ISSUER = env("TONGBAN_OIDC_ISSUER").rstrip("/")
OIDC_RP_CLIENT_ID = env("TONGBAN_OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env("TONGBAN_OIDC_CLIENT_SECRET")
OIDC_OP_AUTHORIZATION_ENDPOINT = f"{TONGBAN_OIDC_ISSUER}/authorize/" if TONGBAN_OIDC_ISSUER else ""
OIDC_OP_TOKEN_ENDPOINT = f"{TONGBAN_OIDC_ISSUER}/token/" if TONGBAN_OIDC_ISSUER else ""
OIDC_OP_USER_ENDPOINT = f"{TONGBAN_OIDC_ISSUER}/userinfo/" if TONGBAN_OIDC_ISSUER else ""
OIDC_OP_JWKS_ENDPOINT = f"{TONGBAN_OIDC_ISSUER}/.well-known/jwks.json" if TONGBAN_OIDC_ISSUER else ""
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid profile"
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_CREATE_USER = False  # a claim maps to an existing local user, or the login fails
OIDC_TIMEOUT = 10
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/?sso=failed"
