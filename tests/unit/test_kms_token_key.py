"""The card-token key derivation, on a fake of KMS's GenerateMac."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from cardwatch.adapters.kms_token_key import TOKEN_KEY_LABEL, derive_card_token_key


class FakeKms:
    """GenerateMac with a key material of its own, as KMS keeps it."""

    def __init__(self, material: bytes, algorithm: str = "HMAC_SHA_256") -> None:
        self._material, self._algorithm = material, algorithm
        self.calls: list[dict[str, Any]] = []

    def generate_mac(self, **request: Any) -> dict[str, Any]:
        self.calls.append(request)
        digest = hashlib.sha512 if self._algorithm == "HMAC_SHA_512" else hashlib.sha256
        return {"Mac": hmac.new(self._material, request["Message"], digest).digest()}


def test_the_token_key_is_the_kms_keys_mac_of_the_label() -> None:
    kms = FakeKms(b"m" * 32)
    key = derive_card_token_key(kms, "alias/k")
    assert key == hmac.new(b"m" * 32, TOKEN_KEY_LABEL, hashlib.sha256).digest()
    assert kms.calls == [
        {"KeyId": "alias/k", "MacAlgorithm": "HMAC_SHA_256", "Message": TOKEN_KEY_LABEL}
    ]
    assert derive_card_token_key(FakeKms(b"n" * 32), "alias/k") != key


def test_a_mac_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="64-byte MAC"):
        derive_card_token_key(FakeKms(b"m" * 32, "HMAC_SHA_512"), "alias/k")
