"""The shortener's settings: defaults, and errors that name the variable."""

from __future__ import annotations

import pytest

from chalicelib.settings import SettingsError
from chalicelib.shortener.settings import ShortenerSettings

BASE = {"SHORT_LINKS_TABLE": "short-links-test", "SHORTENER_CODE_KEY": "k" * 16}


def test_defaults():
    settings = ShortenerSettings.from_environ(BASE)
    assert settings == ShortenerSettings(
        table="short-links-test",
        code_key=b"k" * 16,
        base_url=None,
        code_block_size=100,
        redirect_status=308,
        redirect_max_age=300,
        blocked_hosts=frozenset(),
        apple_app_site_association='{"applinks":{"details":[]}}',
    )


def test_every_setting_is_read():
    settings = ShortenerSettings.from_environ(
        {
            **BASE,
            "SHORTENER_BASE_URL": "https://yu.bl/",
            "SHORTENER_CODE_BLOCK_SIZE": "7",
            "SHORTENER_REDIRECT_STATUS": "302",
            "SHORTENER_REDIRECT_MAX_AGE": "0",
            "SHORTENER_BLOCKED_HOSTS": " Bad.Example., evil.test ,",
            "APPLE_APP_SITE_ASSOCIATION": '{ "webcredentials": {"apps": ["T.app"]} }',
        }
    )
    assert (settings.base_url, settings.code_block_size) == ("https://yu.bl", 7)
    assert (settings.redirect_status, settings.redirect_max_age) == (302, 0)
    assert settings.blocked_hosts == frozenset({"bad.example", "evil.test"})
    assert settings.apple_app_site_association == '{"webcredentials":{"apps":["T.app"]}}'


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"SHORT_LINKS_TABLE": ""}, "environment variable SHORT_LINKS_TABLE is not set"),
        ({"SHORTENER_CODE_KEY": "short"}, "SHORTENER_CODE_KEY must be at least 16 characters"),
        ({"SHORTENER_REDIRECT_STATUS": "303"}, "SHORTENER_REDIRECT_STATUS must be one of"),
        ({"SHORTENER_REDIRECT_STATUS": "200"}, "SHORTENER_REDIRECT_STATUS must be between"),
        ({"SHORTENER_CODE_BLOCK_SIZE": "0"}, "SHORTENER_CODE_BLOCK_SIZE must be between"),
        ({"SHORTENER_BASE_URL": "yu.bl"}, "SHORTENER_BASE_URL must be an http(s) URL"),
        ({"APPLE_APP_SITE_ASSOCIATION": "[]"}, "APPLE_APP_SITE_ASSOCIATION must be a JSON object"),
        ({"APPLE_APP_SITE_ASSOCIATION": "{"}, "APPLE_APP_SITE_ASSOCIATION must be a JSON object"),
    ],
)
def test_bad_setting_names_the_variable(change, error):
    with pytest.raises(SettingsError) as raised:
        ShortenerSettings.from_environ({**BASE, **change})
    assert str(raised.value).startswith(error)
