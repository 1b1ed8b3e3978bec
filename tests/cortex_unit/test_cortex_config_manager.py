from __future__ import annotations

import pytest
import yaml


@pytest.fixture
def cfg_mod(load):
    return load("config_manager")


def test_defaults_and_round_trip(cfg_mod, tmp_path):
    path = tmp_path / "conf" / "config.yaml"
    cfg = cfg_mod.ConfigManager(config_path=path)
    assert cfg.get("llm.provider") == "offline"
    assert cfg.get("llm.nope", 7) == 7
    assert cfg.get("llm.model.deeper") is None
    cfg.set("llm.model", "mistral")
    cfg.set("plugins.extra.enabled", True)
    on_disk = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert on_disk["llm"]["model"] == "mistral"
    assert on_disk["plugins"] == {"extra": {"enabled": True}}
    # Simulate a fresh process reading the file back.
    cfg._prefs = {}
    assert cfg.load()["llm"]["model"] == "mistral"
    assert cfg.get("install.package_manager") == "apt"  # defaults merged in
    assert cfg.unset("plugins.extra.enabled") is True
    assert cfg.unset("plugins.missing.key") is False
    assert cfg.get("plugins.extra") == {}


def test_reset_and_export(cfg_mod, tmp_path):
    path = tmp_path / "config.yaml"
    cfg = cfg_mod.ConfigManager(config_path=path)
    cfg.set("ui.color", False)
    cfg.reset()
    assert cfg.get("ui.color") is True
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == cfg_mod.DEFAULT_PREFERENCES
    out = cfg.export(tmp_path / "export.yaml")
    assert yaml.safe_load(out.read_text(encoding="utf-8")) == cfg.as_dict()
    snapshot = cfg.as_dict()
    snapshot["ui"]["color"] = "mutated"
    assert cfg.get("ui.color") is True


def test_existing_file_is_merged_and_bad_file_rejected(cfg_mod, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("llm:\n  timeout: 5\ncustom: 1\n", encoding="utf-8")
    cfg = cfg_mod.ConfigManager(config_path=path)
    assert cfg.get("llm.timeout") == 5
    assert cfg.get("llm.model") == "llama3"
    assert cfg.get("custom") == 1
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ValueError):
        cfg.load()


def test_singleton_and_accessor(cfg_mod, home, tmp_path):
    first = cfg_mod.get_config_manager()
    assert cfg_mod.get_config_manager() is first
    assert cfg_mod.ConfigManager() is first
    # __init__ is idempotent: later arguments do not re-initialise.
    assert cfg_mod.ConfigManager(config_path=tmp_path / "other.yaml").config_path == home / ".cortex" / "config.yaml"
    first.set("install.confirm", False)
    assert (home / ".cortex" / "config.yaml").exists()
