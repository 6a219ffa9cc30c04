"""Reading what the configured console handler (settings.LOGGING) writes, as production would."""

import contextlib
import io
import logging


@contextlib.contextmanager
def console_output():
    """The text the root logger's `console` handler writes meanwhile, with its filter and
    formatter, whatever the test runner adds around it."""
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)
