"""The Pulumi deployment: ComponentResources with the same part names as the CDKTF
Constructs, each rendering its part of the blueprint.

(The package is not named ``pulumi`` so that it never shadows the Pulumi SDK.)
"""
