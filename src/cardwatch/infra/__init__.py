"""The two deployments (CDKTF and Pulumi), both rendered from :mod:`cardwatch.blueprint`,
and what they share: the Lambda package and the IAM policies."""
