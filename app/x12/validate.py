"""Check X12 text against its implementation guide with pyx12, in process.

pyx12 (4.0) reports every problem as an ERROR record on its "pyx12" logger, and it
writes 999 and report files only when given streams for them. So the check passes no
output streams and reads the errors from a temporary logging handler.
"""

import io
import logging
import threading

import pyx12.errors  # type: ignore[import-untyped]
import pyx12.params  # type: ignore[import-untyped]
import pyx12.x12n_document  # type: ignore[import-untyped]

_PYX12_LOGGER = "pyx12"

# pyx12 keeps its errors on one shared logger, so two checks at once would mix them.
_lock = threading.Lock()


class _ErrorCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def pyx12_errors(text: str) -> list[str]:
    """Validate X12 text with pyx12 and return its error messages; [] means valid.

    A leading byte-order mark is removed first because pyx12 rejects it. A file that
    pyx12 cannot start on (no map for its version) is one error, not an exception. The "pyx12"
    logger's level, handlers and propagation are restored afterwards, so its messages
    never reach ClinicDesk's log, which must not contain claim content.
    """
    source = io.StringIO(text.removeprefix("\ufeff"))
    logger = logging.getLogger(_PYX12_LOGGER)
    collector = _ErrorCollector()

    with _lock:
        saved = (logger.level, logger.propagate, list(logger.handlers))
        logger.handlers = [collector]
        logger.propagate = False
        logger.setLevel(logging.ERROR)
        try:
            valid = pyx12.x12n_document.x12n_document(
                param=pyx12.params.params(),
                src_file=source,
                fd_997=None,
                fd_html=None,
                fd_xmldoc=None,
                fd_json=None,
            )
        except (pyx12.errors.EngineError, pyx12.errors.X12Error) as error:
            # Raised for a file pyx12 cannot start on, such as an unknown GS08 version.
            valid = False
            collector.messages.append(f"pyx12 could not read the file: {error}")
        finally:
            logger.setLevel(saved[0])
            logger.propagate = saved[1]
            logger.handlers = saved[2]

    if not valid and not collector.messages:
        return ["pyx12 rejected the file without naming an error"]
    return collector.messages
