"""Encryption at rest, hashing and other security primitives."""
