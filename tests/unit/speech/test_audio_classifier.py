"""The optional transformers path, on a tiny randomly initialised model saved locally.

Needs the `emotion` extra (torch + transformers); without it this test is skipped and
says so. Nothing is downloaded: the model is built here and loaded from its folder
with the hub switched off.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine.speech.emotion.audio_classifier import AudioEmotionModel, EmotionModelError


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    transformers = pytest.importorskip(
        "transformers", reason="transformers is not installed (extra `emotion`)"
    )
    pytest.importorskip("torch", reason="torch is not installed (extra `emotion`)")
    config = transformers.Wav2Vec2Config(
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        conv_dim=(16, 16),
        conv_stride=(5, 4),
        conv_kernel=(10, 8),
        num_conv_pos_embeddings=8,
        num_conv_pos_embedding_groups=2,
        classifier_proj_size=8,
        num_labels=3,
        id2label={0: "neutral", 1: "angry", 2: "happy"},
        label2id={"neutral": 0, "angry": 1, "happy": 2},
    )
    folder = tmp_path_factory.mktemp("tiny-emotion")
    transformers.Wav2Vec2ForSequenceClassification(config).save_pretrained(folder)
    transformers.Wav2Vec2FeatureExtractor(sampling_rate=16000).save_pretrained(folder)
    return folder


def test_loads_offline_and_scores_negative_labels(tiny_model_dir, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = AudioEmotionModel(tiny_model_dir)
    samples = np.random.default_rng(0).normal(0, 0.1, 16000)
    labels = model.labels(samples)
    assert set(labels) == {"neutral", "angry", "happy"}
    assert sum(labels.values()) == pytest.approx(1.0, abs=1e-4)
    assert model.negative(samples) == pytest.approx(labels["angry"], abs=1e-6)
    assert model.negative(samples[:100]) == 0.0  # too short to say anything


def test_a_folder_without_a_model_is_a_clear_error(tmp_path):
    with pytest.raises(EmotionModelError, match=r"no config\.json"):
        AudioEmotionModel(tmp_path).load()
