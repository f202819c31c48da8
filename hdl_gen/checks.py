"""Parameter checking shared by the generators."""

from __future__ import annotations

import functools

__all__ = ["silence_if_refused"]


def silence_if_refused(init):
    """Decorate a component's ``__init__`` that validates its parameters.

    A component whose parameters are refused is never elaborated, so Amaranth's "created but
    never used" warning about it is noise, and it is raised late (at garbage collection, inside
    whatever code runs then). The refused instance is marked silent before the error propagates.
    """
    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        try:
            init(self, *args, **kwargs)
        except (TypeError, ValueError):
            self._MustUse__silence = True
            raise
    return wrapper
