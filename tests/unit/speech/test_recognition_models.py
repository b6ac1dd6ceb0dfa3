"""Model configuration and the start-up check: clear errors, never a crash mid-call."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import settings as settings_mod
from engine.speech.recognition_models import ModelError, ModelStore, check_models, folder_problems


def _settings(**overrides):
    return settings_mod.load(None, environ={}, **overrides)


def test_default_is_mandarin_in_the_models_cache(tmp_path):
    s = _settings(models_dir=str(tmp_path))
    assert s.speech_model_paths == {"zh": tmp_path / "vosk-model-small-cn-0.22"}


def test_speech_models_lists_folders_per_language(tmp_path):
    s = _settings(models_dir=str(tmp_path), speech_models="zh=/srv/cn, en = english")
    assert s.speech_model_paths == {"zh": Path("/srv/cn"), "en": tmp_path / "english"}


@pytest.mark.parametrize("raw", ["zh", "zh=", "=x", "ZH=/x", "zh=/a,zh=/b"])
def test_malformed_speech_models_stop_start_up(raw):
    with pytest.raises(settings_mod.SettingsError, match="speech_models"):
        _settings(speech_models=raw)


def test_media_ports_may_not_overlap_asterisks_rtp_range():
    with pytest.raises(settings_mod.SettingsError, match="overlap"):
        _settings(media_port_start=20990, media_port_end=21100)


def test_a_missing_model_says_how_to_fetch_it(tmp_path):
    with pytest.raises(ModelError) as info:
        check_models(_settings(models_dir=str(tmp_path)))
    message = info.value.message
    assert "'zh'" in message and "does not exist" in message
    assert "python -m engine models fetch --lang zh" in message


def test_an_unknown_language_without_download_says_so(tmp_path):
    with pytest.raises(ModelError, match="no download is known for 'en'"):
        check_models(_settings(speech_models=f"en={tmp_path}/en"))


def test_a_broken_model_is_a_clear_error(tmp_path):
    pytest.importorskip("vosk")
    folder = tmp_path / "broken"
    for name in ("am/final.mdl", "conf/model.conf", "graph/HCLG.fst"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"not a model")
    assert folder_problems(folder) == []
    with pytest.raises(ModelError, match="failed to load"):
        ModelStore({"zh": folder}).get("zh")


def test_speech_off_needs_no_model(tmp_path):
    store = check_models(_settings(models_dir=str(tmp_path), speech_enabled=False))
    assert store.languages == []
    with pytest.raises(ModelError, match="no speech model configured"):
        store.get("zh")


def test_folder_problems_name_what_is_missing(tmp_path):
    (tmp_path / "am").mkdir()
    (tmp_path / "am" / "final.mdl").write_bytes(b"")
    problems = folder_problems(tmp_path)
    assert "conf/model.conf is missing" in problems
    assert any("graph/HCLG.fst" in p for p in problems)
