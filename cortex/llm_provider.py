"""LLM provider interface.

* :class:`OfflineProvider` answers deterministically without any network,
  with a configurable artificial latency. Tests, benchmarks and
  ``cortex --offline`` use it.
* :class:`OpenAICompatibleProvider` talks to any server exposing the OpenAI
  ``/v1/chat/completions`` API (Ollama, llama.cpp server, vLLM...).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Iterable, Optional

Message = dict[str, str]


class LLMError(RuntimeError):
    """The provider could not produce an answer."""


@dataclass(frozen=True)
class LLMResponse:
    text: str
    tokens: int
    model: str
    latency: float


class LLMProvider(ABC):
    name = "abstract"

    @abstractmethod
    def complete(self, messages: list[Message], *, temperature: float = 0.0, max_tokens: int = 512) -> LLMResponse:
        """Return the assistant reply to ``messages``."""

    def ask(self, prompt: str, system: Optional[str] = None) -> str:
        messages = [{"role": "system", "content": system}] if system else []
        messages.append({"role": "user", "content": prompt})
        return self.complete(messages).text


_INSTALL_RE = re.compile(r"\b(?:install|set up|setup|add)\s+([A-Za-z0-9][\w.+-]*)", re.I)
_REMOVE_RE = re.compile(r"\b(?:remove|uninstall)\s+([A-Za-z0-9][\w.+-]*)", re.I)


class OfflineProvider(LLMProvider):
    """Deterministic canned answers; the same prompt always gives the same reply."""

    name = "offline"

    def __init__(self, latency: float = 0.0, model: str = "offline-1", fail_on: Iterable[str] = ()) -> None:
        self.latency = latency
        self.model = model
        self.fail_on = frozenset(fail_on)

    def complete(self, messages: list[Message], *, temperature: float = 0.0, max_tokens: int = 512) -> LLMResponse:
        started = time.monotonic()
        prompt = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
        if any(word in prompt for word in self.fail_on):
            raise LLMError(f"offline provider configured to fail on: {prompt!r}")
        if self.latency > 0:
            time.sleep(self.latency)
        text = self.answer(prompt)
        words = text.split()[:max_tokens]
        prompt_tokens = sum(len(m.get("content", "").split()) for m in messages)
        return LLMResponse(" ".join(words), prompt_tokens + len(words), self.model, time.monotonic() - started)

    @staticmethod
    def answer(prompt: str) -> str:
        digest = hashlib.sha256(prompt.encode()).hexdigest()[:8]
        match = _INSTALL_RE.search(prompt)
        if match:
            pkg = match.group(1).lower()
            return f"sudo apt-get update && sudo apt-get install -y {pkg} # ref {digest}"
        match = _REMOVE_RE.search(prompt)
        if match:
            return f"sudo apt-get remove -y {match.group(1).lower()} # ref {digest}"
        return f"echo 'No offline answer for this request' # ref {digest}"


class OpenAICompatibleProvider(LLMProvider):
    """Chat completions over HTTP with urllib (no third-party client)."""

    name = "openai-compatible"

    def __init__(
        self,
        base_url: str = "http://localhost:11434",
        model: str = "llama3",
        api_key: Optional[str] = None,
        timeout: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.timeout = timeout

    def build_request(self, messages: list[Message], temperature: float, max_tokens: int) -> urllib.request.Request:
        body = json.dumps(
            {"model": self.model, "messages": messages, "temperature": temperature, "max_tokens": max_tokens}
        ).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return urllib.request.Request(f"{self.base_url}/v1/chat/completions", data=body, headers=headers, method="POST")

    def complete(self, messages: list[Message], *, temperature: float = 0.0, max_tokens: int = 512) -> LLMResponse:
        request = self.build_request(messages, temperature, max_tokens)
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                payload = json.load(resp)
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            raise LLMError(f"{self.base_url}: {exc}") from exc
        try:
            text = payload["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise LLMError(f"unexpected response shape: {str(payload)[:200]}") from exc
        tokens = (payload.get("usage") or {}).get("total_tokens") or len(text.split())
        return LLMResponse(text, int(tokens), payload.get("model", self.model), time.monotonic() - started)


def get_provider(name: str = "offline", **kwargs) -> LLMProvider:
    """Factory used by the CLI (``llm.provider`` in the config)."""
    providers = {"offline": OfflineProvider, "openai": OpenAICompatibleProvider, "ollama": OpenAICompatibleProvider}
    try:
        return providers[name](**kwargs)
    except KeyError:
        raise ValueError(f"unknown provider {name!r}; choose from {sorted(providers)}") from None
