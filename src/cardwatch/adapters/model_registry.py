"""The model registry on AWS: artifacts in a versioned S3 bucket (encrypted with the
deployment's CMK by the bucket's default), the pointer in an SSM parameter.

Each artifact is written once under ``models/<version>.json`` (a conditional write); the
bucket's versioning keeps every write of every key besides. The pointer is a
``SecureString`` under the same CMK, like the rules; SSM keeps its history
(``get-parameter-history``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from cardwatch.domain.engine.model_pointer import (
    ARTIFACT_PREFIX,
    ModelPointer,
    PointerError,
    VersionTaken,
    valid_version,
)

__all__ = ["S3ModelRegistry"]

_PUBLISH_ATTEMPTS = 5


class S3ModelRegistry:
    """:class:`~cardwatch.domain.ports.ModelRegistry` on S3 and SSM Parameter Store."""

    def __init__(
        self,
        bucket: str,
        parameter: str,
        s3: Any,
        ssm: Any,
        key_id: str | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._bucket, self._parameter, self._key_id = bucket, parameter, key_id
        self._s3, self._ssm, self._sleep = s3, ssm, sleep

    def pointer(self) -> ModelPointer:
        try:
            found = self._ssm.get_parameter(Name=self._parameter, WithDecryption=True)
            value = found["Parameter"]["Value"]
        except ClientError as error:
            if error.response["Error"]["Code"] == "ParameterNotFound":
                return ModelPointer()
            raise
        return ModelPointer.from_json(value)

    def move(self, pointer: ModelPointer) -> None:
        if self._key_id is None:
            raise PointerError("this registry reads only: it has no key to write the pointer")
        self._ssm.put_parameter(
            Name=self._parameter,
            Value=pointer.to_json(),
            Type="SecureString",
            KeyId=self._key_id,
            Overwrite=True,
        )

    def publish(self, version: str, artifact: str) -> None:
        # S3's conditional write: the object is created only if the key is free, so two
        # runs publishing one version cannot overwrite each other. 412: it was taken;
        # 409: another write of the key was in flight, which S3 asks to be retried.
        key = self._key(version)
        for attempt in range(_PUBLISH_ATTEMPTS):
            try:
                self._s3.put_object(
                    Bucket=self._bucket,
                    Key=key,
                    Body=artifact.encode(),
                    ContentType="application/json",
                    IfNoneMatch="*",
                )
                return
            except ClientError as error:
                code = error.response["Error"]["Code"]
                if code in {"ConditionalRequestConflict", "409"}:
                    self._sleep(0.1 * 2**attempt)
                    continue
                if code not in {"PreconditionFailed", "412"}:
                    raise
                if self.artifact(version) != artifact:
                    raise VersionTaken(f"model version {version} is published already") from None
                return
        raise VersionTaken(f"model version {version}: other writes of it kept conflicting")

    def artifact(self, version: str) -> str:
        try:
            body = self._s3.get_object(Bucket=self._bucket, Key=self._key(version))["Body"]
        except ClientError as error:
            if error.response["Error"]["Code"] in {"NoSuchKey", "404"}:
                raise KeyError(version) from None
            raise
        return str(body.read().decode("utf-8"))

    def versions(self) -> list[str]:
        found: list[str] = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket, Prefix=ARTIFACT_PREFIX
        ):
            for entry in page.get("Contents", []):
                name = entry["Key"][len(ARTIFACT_PREFIX) :].removesuffix(".json")
                if valid_version(name):
                    found.append(name)
        return sorted(found)  # a version starts with its UTC time: oldest first

    @staticmethod
    def _key(version: str) -> str:
        if not valid_version(version):
            raise PointerError(f"not a model version name: {version[:100]!r}")
        return f"{ARTIFACT_PREFIX}{version}.json"
