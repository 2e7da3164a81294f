"""cardwatch: serverless real-time card-fraud detection for AWS."""

__version__ = "0.1.0"
