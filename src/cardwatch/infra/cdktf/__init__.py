"""The CDKTF deployment: one stack of Constructs, each rendering a part of the blueprint.

Importing this package starts no Node process; :func:`cardwatch.infra.cdktf.app.synth`
does.
"""
