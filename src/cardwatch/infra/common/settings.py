"""The deployment settings both entry points take, parsed once: Pulumi's stack config
(``pulumi config set cardwatch:ops_email ...``) and the CDKTF synth's ``--set
ops_email=...`` (or ``CARDWATCH_OPS_EMAIL``) give the same names the same meaning."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cardwatch.blueprint import FUNCTION_KEYS, RUNTIMES, ApiLogging

__all__ = ["SETTINGS", "SettingError", "overrides"]


class SettingError(ValueError):
    """A setting's value is not of its kind: the message names the setting."""


def _bool(text: str) -> bool:
    if text.strip().lower() in {"true", "1", "yes"}:
        return True
    if text.strip().lower() in {"false", "0", "no"}:
        return False
    raise ValueError("expected true or false")


def _api_logging(text: str) -> ApiLogging:
    try:
        return ApiLogging(text.strip().lower())
    except ValueError:
        raise ValueError(f"one of {', '.join(ApiLogging)}") from None


def _runtime(text: str) -> str:
    if text.strip() not in RUNTIMES:
        raise ValueError(f"one of {', '.join(RUNTIMES)}")
    return text.strip()


def _names(text: str) -> frozenset[str]:
    names = frozenset(n.strip() for n in text.split(",") if n.strip())
    unknown = names - set(FUNCTION_KEYS)
    if unknown:
        raise ValueError(f"not functions: {', '.join(sorted(unknown))}")
    return names


def _degraded(text: str) -> str:
    if text.strip().lower() not in {"fail-open", "fail-closed"}:
        raise ValueError("one of fail-open, fail-closed")
    return text.strip().lower()


#: setting -> (the blueprint field it sets, how its text is read)
SETTINGS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "log_retention_days": ("log_retention_days", int),
    "api_rate_limit_per_second": ("api_rate_limit_per_second", int),
    "api_burst_limit": ("api_burst_limit", int),
    # 0: no daily quota
    "api_quota_per_day": ("api_quota_per_day", lambda t: int(t) or None),
    # one number for every function
    "reserved_concurrency": (
        "reserved_concurrency",
        lambda t: dict.fromkeys(FUNCTION_KEYS, int(t)),
    ),
    "vpc_functions": ("vpc_functions", _names),
    "alert_email": ("alert_email", str),
    "ops_email": ("ops_email", str),
    "email_subscription": ("email_subscription", _bool),
    "api_logging": ("api_logging", _api_logging),
    "genuine_share": ("genuine_share", float),
    "runtime": ("runtime", _runtime),
    "audit_deletion_protection": ("audit_deletion_protection", _bool),
    "decision_degraded_policy": ("decision_degraded_policy", _degraded),
}


def overrides(values: Mapping[str, str | None]) -> dict[str, Any]:
    """The blueprint's overrides from the settings given (unknown names refused)."""
    unknown = set(values) - set(SETTINGS)
    if unknown:
        raise SettingError(f"unknown settings: {', '.join(sorted(unknown))}")
    found: dict[str, Any] = {}
    for name, text in values.items():
        if text is None:
            continue
        field, read = SETTINGS[name]
        try:
            found[field] = read(text)
        except ValueError as error:
            raise SettingError(f"{name}: {error}") from None
    return found
