"""The keyed seal of history rows: an HMAC-SHA256 of each row's chain hash under a key kept outside the
database (``HOSO_HISTORY_KEY``).

The SHA-256 chain alone shows that rows were changed, removed or reordered, but someone who can write to the
database can edit a row and recompute every later hash, and the chain is whole again. The seal cannot be
recomputed without the key: a rewritten row keeps a seal that no longer matches. Each seal names the key
that made it (``key_id``, a digest of the key, not the key), so keys can be rotated: the current key seals,
earlier keys still verify.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field

from config.settings import Settings

DEVELOPMENT_HISTORY_KEY = b"development-only-history-key-never-use-in-production"
"""The same value as ``config.settings.DEVELOPMENT_HISTORY_KEY``: what a development server seals with."""
SEAL_CONTEXT = b"hoso-history-seal-v1"


def key_id_of(key: bytes) -> str:
    return hashlib.sha256(b"hoso-history-key-id|" + key).hexdigest()[:16]


@dataclass(frozen=True)
class HistoryKeys:
    current: bytes
    previous: tuple[bytes, ...] = ()
    _by_id: dict[str, bytes] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for key in (self.current, *self.previous):
            self._by_id[key_id_of(key)] = key

    @classmethod
    def of(cls, current: bytes, previous: Sequence[bytes] = ()) -> HistoryKeys:
        return cls(current, tuple(previous))

    @property
    def current_id(self) -> str:
        return key_id_of(self.current)

    def seal(self, dossier_id: str, seq: int, row_hash: str) -> tuple[str, str]:
        """(key id, seal) of a history row under the current key."""
        return self.current_id, _mac(self.current, dossier_id, seq, row_hash)

    def check(self, dossier_id: str, seq: int, row_hash: str, key_id: str | None, seal: str | None) -> str | None:
        """None when the seal is right; else why not: ``unsealed``, ``unknown_key`` or ``seal_mismatch``."""
        if not seal or not key_id:
            return "unsealed"
        key = self._by_id.get(key_id)
        if key is None:
            return "unknown_key"
        if not hmac.compare_digest(_mac(key, dossier_id, seq, row_hash), seal):
            return "seal_mismatch"
        return None


def _mac(key: bytes, dossier_id: str, seq: int, row_hash: str) -> str:
    message = b"|".join((SEAL_CONTEXT, dossier_id.encode(), str(seq).encode(), row_hash.encode()))
    return hmac.new(key, message, hashlib.sha256).hexdigest()


DEVELOPMENT_KEYS = HistoryKeys(DEVELOPMENT_HISTORY_KEY)


def keys_from_settings(settings: Settings) -> HistoryKeys:
    return HistoryKeys.of(*settings.history_key_bytes())
