"""Exceptions of event generation: each names the cause and the fix, and is raised
before any expensive work (matrix-element calls, training) starts."""

from __future__ import annotations

__all__ = [
    "BatchFailedError",
    "GenerationError",
    "NoPhaseSpaceError",
    "ProcessError",
    "SettingsError",
]


class GenerationError(ValueError):
    """Base class of the errors raised when setting up a generation run."""


class ProcessError(GenerationError):
    """A process description that cannot be used: unknown particle names or PDG ids, or a
    library whose particle count or masses do not match the process."""


class SettingsError(GenerationError):
    """Run settings that cannot work: energy below threshold, bad batch sizes or options."""


class NoPhaseSpaceError(GenerationError):
    """The cuts remove every phase-space point of a pilot sample."""


class BatchFailedError(GenerationError):
    """A frozen batch failed where it was computed (on a worker process or a Dask
    worker): the library raised, or the process computing it died; the message names
    the batch and the cause."""
