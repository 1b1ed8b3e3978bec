"""Encryption of stored secrets (API keys in the config, cached credentials).

The master key lives in ``~/.cortex/master.key``, created on first use with owner-only
permissions. Every component that stores a secret asks the key store for the key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Optional

from cortex.utils.fileio import locked

KEY_BYTES = 32
NONCE_BYTES = 16


class EncryptionKeyStore:
    """Owns the master key file and encrypts small secrets with it."""

    def __init__(self, key_dir: Optional[Path] = None):
        self._key_dir = Path(key_dir) if key_dir is not None else Path.home() / ".cortex"
        self._key_path = self._key_dir / "master.key"

    def _generate_key(self) -> bytes:
        return secrets.token_bytes(KEY_BYTES)

    def get_key(self) -> bytes:
        """The master key, created on first use."""
        with locked(self._key_path):
            if self._key_path.exists():
                return self._key_path.read_bytes()
            self._key_dir.mkdir(parents=True, exist_ok=True)
            key = self._generate_key()
            # owner-only: nobody else may read the key
            try:
                fd = os.open(self._key_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            except FileExistsError:
                return self._key_path.read_bytes()
            try:
                os.write(fd, key)
            finally:
                os.close(fd)
        return key

    @staticmethod
    def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
        blocks = []
        counter = 0
        while sum(len(b) for b in blocks) < length:
            blocks.append(hmac.new(key, nonce + counter.to_bytes(8, "big"), hashlib.sha256).digest())
            counter += 1
        return b"".join(blocks)[:length]

    def encrypt(self, plaintext: str) -> bytes:
        key = self.get_key()
        nonce = secrets.token_bytes(NONCE_BYTES)
        data = plaintext.encode("utf-8")
        body = bytes(a ^ b for a, b in zip(data, self._keystream(key, nonce, len(data))))
        tag = hmac.new(key, nonce + body, hashlib.sha256).digest()
        return nonce + tag + body

    def decrypt(self, token: bytes) -> str:
        key = self.get_key()
        nonce, tag, body = token[:NONCE_BYTES], token[NONCE_BYTES : NONCE_BYTES + 32], token[NONCE_BYTES + 32 :]
        if not hmac.compare_digest(tag, hmac.new(key, nonce + body, hashlib.sha256).digest()):
            raise ValueError("secret was encrypted with another key (or is corrupt)")
        return bytes(a ^ b for a, b in zip(body, self._keystream(key, nonce, len(body)))).decode("utf-8")
