"""Word lists are written as one spaced string each; this turns one into a set."""

from __future__ import annotations


def words(text: str) -> frozenset[str]:
    """The space-separated words of `text`, as a set."""
    return frozenset(text.split())
