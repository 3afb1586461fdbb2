"""The settings of the services that share the app, sign-in, observability and the HTTP limits."""

from __future__ import annotations

from . import Section, Setting

_SHORTENER = "the HTTP API (shortener routes)"
_CONFIG = "every function (the config client library), the HTTP API (/config routes)"

SHORTENER = Section(
    "URL shortener",
    "Read by the shortener's routes only ([URL shortener](../shortener.md)).",
    (
        Setting(
            "SHORT_LINKS_TABLE",
            "DynamoDB table of short links, URL claims and the code counter",
            _SHORTENER,
            required=True,
        ),
        Setting(
            "SHORTENER_CODE_KEY",
            "key of the permutation that turns counter values into codes",
            _SHORTENER,
            required=True,
            kind="text of 16 or more characters",
        ),
        Setting(
            "SHORTENER_CODE_BLOCK_SIZE",
            "codes a container takes per counter write",
            _SHORTENER,
            default="100",
            low=1,
            high=100_000,
            kind="integer",
        ),
        Setting(
            "SHORTENER_BASE_URL",
            "base of short URLs, e.g. a custom domain `https://yu.bl`; unset: the request's "
            "host. A stage's `api_gateway_custom_domain` sets it",
            _SHORTENER,
            kind="http(s) URL",
        ),
        Setting(
            "SHORTENER_REDIRECT_STATUS",
            "the status of a redirect",
            _SHORTENER,
            default="308",
            low=301,
            high=308,
            choices=("301", "302", "307", "308"),
            kind="integer",
        ),
        Setting(
            "SHORTENER_REDIRECT_MAX_AGE",
            "seconds a browser may cache a redirect (capped at the link's expiry)",
            _SHORTENER,
            default="300",
            low=0,
            high=31_536_000,
            kind="integer",
        ),
        Setting(
            "SHORTENER_BLOCKED_HOSTS",
            "domains that links may not point at (subdomains too)",
            _SHORTENER,
            kind="comma-separated list",
        ),
        Setting(
            "APPLE_APP_SITE_ASSOCIATION",
            "the JSON served at `/apple-app-site-association`",
            _SHORTENER,
            default='{"applinks": {"details": []}}',
            kind="JSON object",
        ),
    ),
)

CONFIG = Section(
    "Config service",
    "The service's table, key and the client library's cache ([Config "
    "service](../config-service.md)).",
    (
        Setting(
            "CONFIG_TABLE",
            "DynamoDB table of config versions (`config-<stage>`)",
            _CONFIG,
            required=True,
        ),
        Setting(
            "CONFIG_API_KEYS_TABLE",
            "DynamoDB table of config API keys, hashes only (`config-api-keys-<stage>`)",
            _CONFIG,
            required=True,
        ),
        Setting(
            "CONFIG_KMS_KEY",
            "KMS key (id, ARN or alias) that encrypts secrets' data keys "
            "(`alias/yubl-config-<stage>`)",
            _CONFIG,
            required=True,
        ),
        Setting(
            "CONFIG_CACHE_TTL_SECONDS",
            "how long the client library serves a value before refreshing it in the background "
            "(the local stage sets 5)",
            _CONFIG,
            default="60",
            low=0,
            high=3600,
            kind="number",
        ),
        Setting(
            "CONFIG_SERVICE_URL",
            "for a service outside this app: the client reads this API instead of the table",
            "the config client library",
            kind="URL",
        ),
        Setting(
            "CONFIG_API_KEY",
            "the API key the client sends with `CONFIG_SERVICE_URL` (required with it)",
            "the config client library",
        ),
        Setting(
            "CONFIG_GATEWAY_API_KEYS",
            "`true` (dev, prod): the /config routes also require an API Gateway API key (usage "
            "plan throttling)",
            "the HTTP API (read when the routes are declared)",
            default="false",
            choices=("true", "false"),
            kind="flag",
        ),
        Setting(
            "CONFIG_IAM_AUTH_ON_WRITES",
            "`true`: PUT, DELETE and rollback also require IAM (SigV4) auth on API Gateway",
            "the HTTP API (read when the routes are declared)",
            default="false",
            choices=("true", "false"),
            kind="flag",
        ),
    ),
)

IDENTITY = Section(
    "Sign-in",
    "The user pool whose tokens the API accepts, and the browsers' origins "
    "([Signing in](../signing-in.md)).",
    (
        Setting(
            "USER_POOL_ID",
            "Cognito user pool whose tokens the API accepts (`us-east-1_AbC123`); `make deploy` "
            "and the local stack set it",
            "the HTTP API (user routes), notify_mentioned",
            required=True,
        ),
        Setting(
            "USER_POOL_CLIENT_ID",
            "its app client: an id token's `aud`, an access token's `client_id`",
            "the HTTP API (user routes)",
            required=True,
        ),
        Setting(
            "USER_POOL_ISSUER",
            "the tokens' `iss`; unset: `https://cognito-idp.<region>.amazonaws.com/<pool id>`",
            "the HTTP API (user routes)",
            kind="URL",
        ),
        Setting(
            "USER_POOL_JWKS_URL",
            "where the pool's signing keys are fetched; unset: the issuer + "
            "`/.well-known/jwks.json`. The local stack sets the emulator's copy",
            "the HTTP API (user routes)",
            kind="URL",
        ),
        Setting(
            "CORS_ALLOW_ORIGINS",
            "origins (`https://app.example.com`) that browsers may call the API from; `*` is "
            "refused",
            "the HTTP API",
            kind="comma-separated list",
        ),
    ),
)

OBSERVABILITY = Section(
    "Logs, metrics and tracing",
    "Read on each use, so a bad value never stops a log line "
    "([Tracing and metrics](../tracing-and-metrics.md)).",
    (
        Setting(
            "POWERTOOLS_SERVICE_NAME",
            "`service` key of every log line and metric",
            "every function",
            default="yubl-fanout",
        ),
        Setting(
            "METRICS_NAMESPACE",
            "CloudWatch namespace of the EMF metrics",
            "every function",
            default="YublFanout",
        ),
        Setting(
            "DEBUG_LOG_SAMPLE_RATE",
            "fraction of requests that log at debug level along their whole path",
            "every function",
            default="0.01",
            low=0,
            high=1,
            kind="number",
        ),
        Setting(
            "MAX_CALL_CHAIN_LENGTH",
            "hops a record may take before the loop guard refuses it",
            "every function",
            default="10",
            low=0,
            high=10_000,
            kind="integer",
        ),
        Setting(
            "CHALICE_FUNCTION_PREFIX",
            "deployed name prefix (`yubl-fanout-dev`) stripped from `function_name` in logs",
            "every function",
        ),
        Setting(
            "LOCAL_LOG_FILE",
            "also append every log line and metric to this file (the local stack sets it; "
            "`make trace` reads it)",
            "every function, make trace",
        ),
    ),
)

HTTP = Section(
    "HTTP limits",
    "Read by `chalicelib/api/limits.py` for every request ([Bad "
    "input](../bad-input.md#size-limits)).",
    (
        Setting(
            "MAX_REQUEST_BODY_BYTES",
            "a larger body answers 413 (room for the config service's 64 KiB values)",
            "the HTTP API",
            default="131072",
            low=1,
            high=10 * 1024 * 1024,
            kind="integer",
        ),
        Setting(
            "MAX_REQUEST_HEADER_BYTES",
            "all headers together; more answers 431",
            "the HTTP API",
            default="16384",
            low=1024,
            high=1024 * 1024,
            kind="integer",
        ),
    ),
)

SECTIONS = (SHORTENER, CONFIG, IDENTITY, OBSERVABILITY, HTTP)
