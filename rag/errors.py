"""Errors raised by the retrieval layer."""

from __future__ import annotations


class RagError(Exception):
    """Base class for retrieval problems."""


class GuideFormatError(RagError):
    """A guide file is malformed (missing front matter, id or title)."""


class SectionNotFound(RagError):
    """No guide section has the requested id."""

    def __init__(self, section_id: str) -> None:
        self.section_id = section_id
        super().__init__(f"no guide section with id {section_id!r}")


class EmbedderUnavailable(RagError):
    """The embedding model could not be loaded (wrong name or path, or weights missing offline)."""


class StoreUnavailable(RagError):
    """The vector store could not be reached or opened."""
