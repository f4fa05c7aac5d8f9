"""Adapters that run despin inside other frameworks (each imports its framework lazily)."""
