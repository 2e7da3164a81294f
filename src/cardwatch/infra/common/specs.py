"""A part of the deployment as neutral specs: each resource's Terraform type, its id and
every input in Terraform's spelling, written once; the CDKTF and Pulumi renderers only
map them to their providers' types (``infra/cdktf/render.py``, ``infra/pulumi/render.py``).

An input a renderer alone can write (another resource's ARN, the key, the account) is a
:class:`Ref`; a string or a JSON document with such values inside is :class:`Text` or
:class:`Json`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from cardwatch.blueprint import Handle

__all__ = [
    "ACCOUNT",
    "KEY_ARN",
    "PARTITION",
    "Apply",
    "Arns",
    "Asset",
    "Digest",
    "Json",
    "Part",
    "Ref",
    "Resolver",
    "Resource",
    "Text",
    "Url",
    "dumps",
]


@dataclass(frozen=True, slots=True)
class Ref:
    """Another resource's attribute (``resource``: its id among the specs rendered
    before it), or, with ``@``, what the renderer's context holds."""

    resource: str
    #: None: the given value itself (a list of another part's ids)
    attribute: str | None = "arn"


@dataclass(frozen=True, slots=True)
class Arns:
    """The ARNs another part registered for a handle: the list, or the one at ``index``."""

    handle: Handle
    index: int | None = None


@dataclass(frozen=True, slots=True)
class Apply:
    """``function(value)`` once the renderer knows ``value`` (the account's id, for a
    policy that writes it into ARNs)."""

    function: Callable[[Any], Any]
    value: Ref


@dataclass(frozen=True, slots=True)
class Asset:
    """A file the deployment uploads (a package): each tool's own asset of it;
    ``archive``: a zip the tool uploads as it is (a function's code)."""

    path: str
    archive: bool = False


@dataclass(frozen=True, slots=True)
class Digest:
    """A SHA-1 of the JSON list of ``values`` once they are known (a change marker: a
    new API deployment whenever one of them changes)."""

    values: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Url:
    """What another part registered as a handle's URL, ARN or id (for an environment)."""

    handle: Handle


#: the data key's ARN, the deploying account's id, and its partition
KEY_ARN = Ref("@key")
ACCOUNT = Ref("@account")
PARTITION = Ref("@partition")


@dataclass(frozen=True, slots=True)
class Text:
    """A string joined from literals and :class:`Ref` values."""

    parts: tuple[str | Ref | Text, ...]


@dataclass(frozen=True, slots=True)
class Json:
    """A JSON document whose strings may be :class:`Ref` values; ``compact``: without
    spaces (as SQS returns a redrive policy), else with sorted keys (policies)."""

    document: Any
    compact: bool = False


@dataclass(frozen=True, slots=True)
class Resource:
    #: Terraform's type (``aws_sqs_queue``)
    kind: str
    #: the resource's id in both renderings
    id: str
    inputs: Mapping[str, Any]
    #: ids of specs this one must follow
    depends_on: tuple[str, ...] = field(default=())
    #: inputs the deployment sets once: later changes (the team's) stand
    ignore_changes: tuple[str, ...] = field(default=())
    #: a replacement is made before the resource it replaces is destroyed
    replace_first: bool = False


@dataclass(frozen=True, slots=True)
class Part:
    """One part of the deployment: its resources, and what it registers for the other
    parts by handle (``arns``: for grants; ``urls``: a URL, ARN or id for an
    environment), each value written as a spec input is."""

    resources: tuple[Resource, ...]
    arns: Mapping[Handle, list[Any]] = field(default_factory=dict)
    urls: Mapping[Handle, Any] = field(default_factory=dict)
    #: what the part's Construct or ComponentResource holds for the other parts:
    #: attribute -> a spec id, a list of them, or a map of them
    exposes: Mapping[str, str | list[str] | Mapping[str, str]] = field(default_factory=dict)

    def expose(self, target: Any, made: Mapping[str, Any]) -> None:
        """Set ``target``'s attributes to the rendered resources they name."""
        for attribute, ids in self.exposes.items():
            if isinstance(ids, str):
                setattr(target, attribute, made[ids])
            elif isinstance(ids, Mapping):
                setattr(target, attribute, {k: made[v] for k, v in ids.items()})
            else:
                setattr(target, attribute, [made[i] for i in ids])


class RenderContext(Protocol):
    """What a renderer's context gives its resolver (both tools' contexts have it)."""

    key_arn: Any
    account_id: Any
    partition: str

    def arn_of(self, handle: Handle) -> list[Any]: ...

    def output_of(self, handle: Handle) -> Any: ...


class Resolver:
    """A spec's inputs with every :class:`Ref`, :class:`Text` and :class:`Json` made the
    renderer's own value; a renderer says how it joins text and writes JSON."""

    def __init__(self, ctx: RenderContext) -> None:
        #: what the renderer's context holds, by the ids of :data:`KEY_ARN` and the rest
        self.context = {
            KEY_ARN.resource: ctx.key_arn,
            ACCOUNT.resource: ctx.account_id,
            PARTITION.resource: ctx.partition,
        }
        self.arns, self.outputs = ctx.arn_of, ctx.output_of
        #: the resources made so far, by spec id
        self.made: dict[str, Any] = {}

    def ref(self, ref: Ref) -> Any:
        if ref.resource.startswith("@"):
            return self.context[ref.resource]
        target = self.made[ref.resource]
        return target if ref.attribute is None else getattr(target, ref.attribute)

    def __call__(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: self(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            spliced: list[Any] = []
            for item in value:  # a handle's ARNs inside a list are its items
                if isinstance(item, Arns) and item.index is None:
                    spliced.extend(self(item))
                else:
                    spliced.append(self(item))
            return spliced
        written = _WRITTEN.get(type(value))
        return getattr(self, written)(value) if written else value

    def _arns(self, found: Arns) -> Any:
        arns = self.arns(found.handle)
        return arns if found.index is None else arns[found.index]

    def _text(self, text: Text) -> Any:
        return self.text([self(part) for part in text.parts])

    def _json(self, doc: Json) -> Any:
        return self.json(self(doc.document), compact=doc.compact)

    def _apply(self, later: Apply) -> Any:
        return self.apply(later.function, self(later.value))

    def _asset(self, asset: Asset) -> Any:
        return self.asset(asset.path, archive=asset.archive)

    def _url(self, url: Url) -> Any:
        return self.outputs(url.handle)

    def _digest(self, digest: Digest) -> Any:
        return self.digest([self(v) for v in digest.values])

    def inputs(self, spec: Resource) -> dict[str, Any]:
        return {k: self(v) for k, v in spec.inputs.items() if v is not None}

    def register(self, part: Part, arns: dict[Handle, list[Any]], urls: dict[Handle, Any]) -> None:
        """Record what ``part`` registers, resolved, in a renderer's context."""
        for handle, values in part.arns.items():
            arns[handle] = [self(v) for v in values]
        for handle, value in part.urls.items():
            urls[handle] = self(value)

    def text(self, parts: list[Any]) -> Any:
        raise NotImplementedError

    def json(self, document: Any, *, compact: bool) -> Any:
        raise NotImplementedError

    def apply(self, function: Callable[[Any], Any], value: Any) -> Any:
        raise NotImplementedError

    def asset(self, path: str, *, archive: bool) -> Any:
        raise NotImplementedError

    def digest(self, values: list[Any]) -> Any:
        raise NotImplementedError


#: each spec value's type -> the Resolver's method that writes it
_WRITTEN: dict[type, str] = {
    Ref: "ref",
    Arns: "_arns",
    Text: "_text",
    Json: "_json",
    Apply: "_apply",
    Asset: "_asset",
    Url: "_url",
    Digest: "_digest",
}


def dumps(document: Any, *, compact: bool) -> str:
    """JSON as both renderings write it: compact, or with sorted keys."""
    if compact:
        return json.dumps(document, separators=(",", ":"))
    return json.dumps(document, sort_keys=True)
