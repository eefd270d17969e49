"""Fetchers turn a configured source into raw documents (bytes as received); see base.Fetcher."""
