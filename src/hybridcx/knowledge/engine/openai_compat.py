"""LLMProvider for any OpenAI-compatible chat server: vLLM, Ollama, llama.cpp, hosted APIs."""

from __future__ import annotations

from typing import Any

import httpx

from hybridcx.knowledge.engine.errors import LLMProviderError
from hybridcx.knowledge.engine.llm import ChatMessage
from hybridcx.privacy.pii import redact_secrets


class OpenAICompatibleProvider:
    """POST {base_url}/v1/chat/completions with a bearer key; returns the first choice's text.

    `base_url` may end with or without `/v1`. Deterministic by default (temperature 0), since
    support answers should not vary between two customers asking the same thing.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        model: str,
        timeout: float = 30.0,
        *,
        temperature: float = 0.0,
        max_tokens: int = 400,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        root = base_url.rstrip("/")
        self.url = (root if root.endswith("/v1") else f"{root}/v1") + "/chat/completions"
        self.model = model
        self.temperature = temperature
        self.max_tokens = max_tokens
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout, headers=headers, transport=transport)

    def complete(self, messages: list[ChatMessage]) -> str:
        body = {
            "model": self.model,
            # A last guard on whatever a caller put in the prompt: no card, CVV, IBAN or
            # national id ever goes to a model server.
            "messages": [{**m, "content": redact_secrets(m["content"])} for m in messages],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        try:
            response = self._client.post(self.url, json=body)
        except httpx.TimeoutException as exc:
            raise LLMProviderError(f"LLM server at {self.url} timed out") from exc
        except httpx.HTTPError as exc:
            raise LLMProviderError(f"LLM server at {self.url} is unreachable: {exc}") from exc
        if response.status_code >= 400:
            raise LLMProviderError(
                f"LLM server answered {response.status_code}: {_error_message(response)}"
            )
        return _first_choice_text(response)

    def close(self) -> None:
        self._client.close()


def _error_message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error)[:200]
    return str(error or data)[:200]


def _first_choice_text(response: httpx.Response) -> str:
    try:
        data: Any = response.json()
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise LLMProviderError("LLM server sent a response without choices[0].message") from exc
    if not isinstance(content, str):
        raise LLMProviderError("LLM server sent a non-text message content")
    return content
