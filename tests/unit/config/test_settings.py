"""The config service's settings: names per stage, the TTL, the per-stage route guards."""

from __future__ import annotations

import pytest

from chalicelib.config.settings import ConfigSettings, ConfigSettingsError, route_guards

BASE = {
    "CONFIG_TABLE": "config-dev",
    "CONFIG_API_KEYS_TABLE": "config-api-keys-dev",
    "CONFIG_KMS_KEY": "alias/yubl-config-dev",
}


def test_defaults_read_the_table_in_process_with_a_60_second_ttl():
    settings = ConfigSettings.from_environ(BASE)
    assert (settings.cache_ttl_seconds, settings.service_url, settings.api_key) == (60.0, "", "")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"CONFIG_TABLE": ""}, "environment variable CONFIG_TABLE is not set"),
        ({"CONFIG_CACHE_TTL_SECONDS": "soon"}, "CONFIG_CACHE_TTL_SECONDS must be a number"),
        ({"CONFIG_CACHE_TTL_SECONDS": "7200"}, "CONFIG_CACHE_TTL_SECONDS must be between 0"),
        ({"CONFIG_SERVICE_URL": "https://x"}, "environment variable CONFIG_API_KEY is not set"),
        ({"CONFIG_GATEWAY_API_KEYS": "yes"}, "CONFIG_GATEWAY_API_KEYS must be true or false"),
    ],
)
def test_bad_settings_name_the_variable(extra, message):
    with pytest.raises(ConfigSettingsError, match=message):
        ConfigSettings.from_environ({**BASE, **extra})


def test_route_guards_read_only_their_two_flags():
    assert route_guards({}) == (False, False)
    both = {"CONFIG_GATEWAY_API_KEYS": "true", "CONFIG_IAM_AUTH_ON_WRITES": "TRUE"}
    assert route_guards(both) == (True, True)
