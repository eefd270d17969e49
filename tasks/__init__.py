"""Prefect tasks: thin wrappers that give the pure stages retries, logging and names in the UI."""
