"""Conformance suite for Amazon Rekognition AssociateFaces and the user-vector operations."""
