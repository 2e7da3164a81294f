"""Entry point for ``pulumi up`` (Pulumi.yaml sets ``main`` to this folder)."""

from cardwatch.infra.pulumi.program import blueprint_from_config, build

build(blueprint_from_config())
