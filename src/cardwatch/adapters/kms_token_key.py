"""The card-token key, derived from a KMS HMAC key (PCI DSS 3.5: keyed hashes of the PAN,
with the key managed).

The KMS key (key spec HMAC_256) never leaves KMS. At a cold start ingest asks KMS for
the MAC of a fixed label with it; those 32 bytes are the key of the card tokens' HMAC
for the life of the Lambda environment: one GenerateMac request per cold start, not per
transaction, so the token costs neither a KMS round trip nor a share of KMS's request
quota on the hot path. No key is generated at deploy time, so none is in a synthesized
template, a program's inputs, a state file or a parameter. Rotating means a new KMS key
(or a new label): every card token, and with it every card's history, starts afresh.
"""

from __future__ import annotations

from typing import Any

__all__ = ["TOKEN_KEY_LABEL", "derive_card_token_key"]

#: What the KMS key MACs into the token key; a new version makes a new key.
TOKEN_KEY_LABEL = b"cardwatch card-token key v1"


def derive_card_token_key(kms: Any, key_id: str, label: bytes = TOKEN_KEY_LABEL) -> bytes:
    """The 32-byte card-token key: HMAC-SHA-256 of ``label`` under the KMS key ``key_id``
    (an ARN, a key id or an alias name), computed inside KMS."""
    response = kms.generate_mac(KeyId=key_id, MacAlgorithm="HMAC_SHA_256", Message=label)
    mac = bytes(response["Mac"])
    if len(mac) != 32:
        raise ValueError(f"KMS key {key_id} gave a {len(mac)}-byte MAC, not HMAC_SHA_256's 32")
    return mac
