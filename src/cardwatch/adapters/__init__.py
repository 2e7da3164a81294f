"""Adapters: the only modules that import boto3. Each takes an optional client."""
