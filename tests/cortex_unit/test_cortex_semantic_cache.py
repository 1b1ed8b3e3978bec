from __future__ import annotations

import pytest


@pytest.fixture
def sc(load):
    return load("semantic_cache")


@pytest.fixture
def cache(sc, tmp_path):
    return sc.SemanticCache(db_path=tmp_path / "cache.db", threshold=0.8)


def test_similarity_helpers(sc):
    a = sc.tokenize("Please install Docker for me")
    assert set(a) == {"install", "docker"}
    assert sc.cosine_similarity(a, sc.tokenize("install docker")) == pytest.approx(1.0)
    assert sc.cosine_similarity(a, sc.tokenize("remove nginx")) == 0.0
    assert sc.cosine_similarity(a, sc.tokenize("")) == 0.0


def test_exact_and_similar_hits(cache):
    cache.put("install docker on ubuntu", "sudo apt-get install -y docker.io")
    hit = cache.get("install docker on ubuntu")
    assert hit.response == "sudo apt-get install -y docker.io"
    assert hit.similarity == pytest.approx(1.0)
    similar = cache.get("please install docker on ubuntu 22.04")
    assert similar is not None and similar.response == "sudo apt-get install -y docker.io"
    assert 0.8 <= similar.similarity < 1.0
    assert similar.hits == 2
    assert cache.get("compile the linux kernel") is None
    assert cache.get("") is None
    assert cache.stats() == {"entries": 1, "hits": 2}


def test_best_match_wins_and_models_are_separate(cache):
    cache.put("install nginx web server", "nginx answer")
    cache.put("install apache web server", "apache answer")
    assert cache.get("install nginx web server please").response == "nginx answer"
    assert cache.get("install nginx web server", model="gpt") is None
    cache.put("install nginx web server", "gpt answer", model="gpt")
    assert cache.get("install nginx web server", model="gpt").response == "gpt answer"


def test_put_overwrites_and_evicts(sc, tmp_path):
    cache = sc.SemanticCache(db_path=tmp_path / "small.db", max_entries=2)
    cache.put("install one", "1")
    cache.put("install one", "1b")
    assert cache.stats()["entries"] == 1
    assert cache.get("install one").response == "1b"
    cache.put("install two", "2")
    cache.put("install three", "3")
    assert cache.stats()["entries"] == 2
    assert cache.get("install three").response == "3"
    assert cache.clear(model="other") == 0
    assert cache.clear() == 2


def test_accessor_is_keyed_by_path(sc, home, tmp_path):
    default = sc.get_semantic_cache()
    assert sc.get_semantic_cache() is default
    assert (home / ".cortex" / "semantic_cache.db").exists()
    other = sc.get_semantic_cache(tmp_path / "other.db")
    assert other is not default
    assert sc.get_semantic_cache(tmp_path / "other.db") is other
