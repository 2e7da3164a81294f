"""Neutral specs (:mod:`cardwatch.infra.common.specs`) as CDKTF constructs: the provider's
class for each Terraform type, nested blocks as its structs, references as tokens."""

from __future__ import annotations

import collections.abc
import importlib
import typing
from collections.abc import Callable
from functools import cache
from typing import Any

from cdktf import AssetType, Fn, TerraformAsset, TerraformResourceLifecycle
from constructs import Construct

from cardwatch.infra.cdktf.context import StackContext
from cardwatch.infra.common.specs import Part, Resolver, dumps

__all__ = ["render"]


@cache
def _class(kind: str) -> Any:
    """``aws_cloudwatch_metric_alarm`` -> ``cloudwatch_metric_alarm.CloudwatchMetricAlarm``."""
    name = kind.removeprefix("aws_")
    module = importlib.import_module(f"cdktf_cdktf_provider_aws.{name}")
    title = "".join(part.title() for part in name.split("_"))
    # where a nested block of another resource took the name, the provider adds an A
    return getattr(module, f"{title}A", None) or getattr(module, title)


@cache
def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls.__init__)


def _struct(hint: Any) -> Any:
    """The jsii struct a hint takes (``Union[Struct, Dict, None]``), or ``[Struct]`` for
    a list of them; None for anything else (a map's keys are data, not fields)."""
    origin = typing.get_origin(hint)
    if origin is typing.Union:
        found = [s for s in map(_struct, typing.get_args(hint)) if s is not None]
        return found[0] if found else None
    if origin in (list, collections.abc.Sequence):
        inner = _struct(typing.get_args(hint)[0])
        return [inner] if inner is not None and not isinstance(inner, list) else None
    if isinstance(hint, type) and hasattr(hint, "__jsii_type__"):
        fields = _hints(hint)
        return hint if fields and "scope" not in fields else None
    return None


def _typed(cls: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    """``inputs`` with each nested block made the struct ``cls`` takes there."""
    hints, typed = _hints(cls), {}
    for name, given in inputs.items():
        struct = _struct(hints.get(name))
        # provider 5 writes some single blocks as a list of one
        value = [given] if isinstance(struct, list) and isinstance(given, dict) else given
        if isinstance(struct, list) and isinstance(value, list):
            typed[name] = [
                struct[0](**_typed(struct[0], v)) if isinstance(v, dict) else v for v in value
            ]
        elif struct is not None and not isinstance(struct, list) and isinstance(value, dict):
            typed[name] = struct(**_typed(struct, value))
        else:
            typed[name] = value
    return typed


class _Tokens(Resolver):
    def __init__(self, ctx: StackContext, scope: Construct) -> None:
        super().__init__(ctx)
        self.scope = scope
        #: the spec being rendered (its assets are named after it), and the assets made
        self.current = ""
        self.assets: dict[str, str] = {}

    def asset(self, path: str, *, archive: bool) -> str:
        if path not in self.assets:  # one copy in cdktf.out, whoever names it
            made = TerraformAsset(
                self.scope, f"{self.current}-asset", path=path, type=AssetType.FILE
            )
            self.assets[path] = str(made.path)
        return self.assets[path]

    def text(self, parts: list[Any]) -> str:
        return "".join(str(part) for part in parts)  # tokens are strings

    def digest(self, values: list[Any]) -> str:
        return str(Fn.sha1(Fn.jsonencode(values)))  # Terraform computes it at apply

    def json(self, document: Any, *, compact: bool) -> str:
        # CDKTF resolves its tokens inside; an IAM policy variable (``${aws:username}``)
        # is written ``$${...}``, which Terraform reads as the literal text
        return dumps(document, compact=compact).replace("${aws:", "$${aws:")

    def apply(self, function: Callable[[Any], Any], value: Any) -> Any:
        return function(value)  # a token is a string: written where it goes


def render(
    scope: Construct, ctx: StackContext, part: Part, given: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Make every resource of ``part`` under ``scope`` and register its handles;
    ``given``: other parts' resources its specs name, by the ids they use. Returns the
    constructs by id."""
    resolve = _Tokens(ctx, scope)
    resolve.made.update(given or {})
    for spec in part.resources:
        resolve.current = spec.id
        cls = _class(spec.kind)
        inputs = resolve.inputs(spec)
        options: dict[str, Any] = {}
        if spec.depends_on:
            options["depends_on"] = [resolve.made[d] for d in spec.depends_on]
        if spec.ignore_changes or spec.replace_first:
            options["lifecycle"] = TerraformResourceLifecycle(
                ignore_changes=list(spec.ignore_changes) or None,
                create_before_destroy=spec.replace_first or None,
            )
        resolve.made[spec.id] = cls(scope, spec.id, **_typed(cls, inputs), **options)
    resolve.register(part, ctx.arns, ctx.urls)
    part.expose(scope, resolve.made)
    return resolve.made
