"""Settings: unknown ENGINE_* variables stop start-up like unknown TOML keys do."""

from __future__ import annotations

import pytest

from engine import settings as settings_mod
from engine.settings import NON_SETTING_VARIABLES, SettingsError


def test_a_known_variable_is_read():
    s = settings_mod.load(None, environ={"ENGINE_HTTP_PORT": "9100", "OTHER": "x"})
    assert s.http_port == 9100


def test_an_unknown_variable_is_refused_with_a_did_you_mean():
    with pytest.raises(SettingsError) as err:
        settings_mod.load(None, environ={"ENGINE_REDIS_ULR": "redis://x"})
    assert "unknown variable ENGINE_REDIS_ULR" in str(err.value)
    assert "did you mean ENGINE_REDIS_URL?" in str(err.value)


def test_an_unknown_variable_far_from_any_setting_gets_no_hint():
    with pytest.raises(SettingsError) as err:
        settings_mod.load(None, environ={"ENGINE_ZZZZZZZZZZZZ": "1"})
    assert "unknown variable ENGINE_ZZZZZZZZZZZZ" in str(err.value)
    assert "did you mean" not in str(err.value)


def test_the_config_path_is_not_a_setting_but_is_allowed(tmp_path):
    config = tmp_path / "engine.toml"
    config.write_text('log_level = "info"\n')
    assert {"ENGINE_CONFIG"} == NON_SETTING_VARIABLES
    s = settings_mod.load(None, environ={"ENGINE_CONFIG": str(config)})
    assert s.log_level == "info"


def test_variables_without_the_prefix_are_not_ours():
    s = settings_mod.load(None, environ={"ENGINEX_FOO": "1", "NOT_ENGINE_FOO": "2"})
    assert s.http_port == settings_mod.Settings().http_port


def test_every_setting_has_a_variable():
    names = {f"ENGINE_{name.upper()}" for name in settings_mod.documented_names()}
    env = dict.fromkeys(names, "")
    # empty strings are wrong for typed settings; what matters is that no name is refused
    for key in sorted(names):
        try:
            settings_mod.load(None, environ={key: env[key]})
        except SettingsError as exc:
            assert "unknown variable" not in str(exc), key


def test_unknown_toml_keys_still_stop_start_up(tmp_path):
    config = tmp_path / "engine.toml"
    config.write_text('redis_ulr = "redis://x"\n')
    with pytest.raises(SettingsError, match="did you mean 'redis_url'"):
        settings_mod.load(config, environ={})
