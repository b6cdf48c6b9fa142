"""How sparsebolt's command lines report: exit codes, one line per error (a traceback with --verbose), and
pymilvus's own logging kept quiet. Shared by ``sparsebolt`` and ``python -m sparsebolt.ray``."""

from __future__ import annotations

import logging
import re
import sys
import traceback
from typing import Callable, NamedTuple, Optional

from sparsebolt.sparse.segmenters._common import MissingSegmenterError as MissingExtraError

__all__ = ["EXIT_USAGE", "EXIT_UNAVAILABLE", "EXIT_INGEST", "CliError", "MilvusRefusal", "configure_logging",
           "milvus_refusal", "run_reporting_errors"]

EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
EXIT_INGEST = 4

# Milvus error codes (merr) for a request refused as malformed: ParameterInvalid, ParameterMissing, ParameterTooLarge.
_INPUT_ERROR_CODES = frozenset({1100, 1101, 1102})
# Words of Milvus's and pymilvus's messages for refused input, where the code does not say (Lite 2.5 reports a
# broken filter as code 2000 "expr type check failed"). Transient errors never get here: retry.py turns them
# into MilvusUnavailableError first.
_INPUT_ERROR_WORDS = ("invalid", "illegal", "cannot parse expression", "expr", "limit", "topk", "out of range")


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def configure_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    _quiet_pymilvus(verbose)


def _quiet_pymilvus(verbose: bool) -> None:
    """pymilvus logs every failed RPC at ERROR with a traceback; our own one-line message says what matters.

    Importing pymilvus runs ``logging.config.dictConfig`` (pymilvus/settings.py, ``init_log("WARNING")``): it
    gives the ``pymilvus`` logger its own stderr handler at WARNING, with ``propagate=False``, and
    ``pymilvus.milvus_client`` and ``pymilvus.bulk_writer`` handlers of their own at INFO. A level set before
    that import is overwritten by it, so import pymilvus first, then set the levels: ``pymilvus`` at CRITICAL
    (WARNING, its own default, with --verbose), and its configured children back to inheriting that.
    """
    try:
        import pymilvus  # noqa: F401,PLC0415 - for its logging setup, which must happen before ours
    except ImportError:
        return
    logging.getLogger("pymilvus").setLevel(logging.WARNING if verbose else logging.CRITICAL)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if name.startswith("pymilvus.") and isinstance(logger, logging.Logger):
            logger.setLevel(logging.NOTSET)


class MilvusRefusal(NamedTuple):
    """What Milvus (or pymilvus) refused: ``invalid`` when the request's input is at fault, not the service."""

    invalid: bool
    text: str
    code: Optional[int]

    def __str__(self) -> str:
        return f"{self.text} (Milvus error {self.code})" if self.code else self.text


def milvus_refusal(exc: BaseException) -> Optional[MilvusRefusal]:
    """A pymilvus MilvusException (ParamError included) as one line and whether it is bad input; None otherwise.

    Only the first line of Milvus's message is kept, without the C++ source location Milvus Lite appends.
    """
    module = sys.modules.get("pymilvus.exceptions")  # a pymilvus error means pymilvus is imported
    base = getattr(module, "MilvusException", None)
    if base is None or not isinstance(exc, base):
        return None
    message = str(getattr(exc, "message", "") or "")
    lines = [line.strip() for line in message.splitlines() if line.strip(" =>:")]
    text = type(exc).__name__
    if lines:
        text = re.sub(r"\s+at \S+\.(?:cpp|cc|h|hpp|go):\d+$", "", lines[0].lstrip("=> "))
    raw_code = getattr(exc, "code", None)
    code = int(raw_code) if isinstance(raw_code, int) and int(raw_code) > 1 else None  # 1: pymilvus's "unexpected"
    invalid = (isinstance(exc, getattr(module, "ParamError", ())) or getattr(exc, "is_input_error", False) is True
               or code in _INPUT_ERROR_CODES or any(word in message.lower() for word in _INPUT_ERROR_WORDS))
    return MilvusRefusal(invalid=invalid, text=text, code=code)


def _print_traceback(exc: BaseException) -> None:
    traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)


def _engine_log_hint(exc: BaseException, verbose: bool) -> str:
    """The embedded engine's log is dropped without --verbose (see _connect): say so when its death is reported."""
    died = any(type(e).__name__ == "EngineDiedError" for e in (exc, exc.__cause__))
    return " (The engine's own log is shown with --verbose.)" if died and not verbose else ""


def run_reporting_errors(
    prog: str, run: Callable[[], int], *, verbose: bool,
    usage_errors: tuple[type[BaseException], ...] = (ValueError, TypeError, FileNotFoundError, MissingExtraError),
) -> int:
    """Runs a command and turns its errors into one line on stderr and an exit code (shared by `sparsebolt` and
    `python -m sparsebolt.ray`): usage 2 (bad input records, a DataError, an optional extra the options need and
    that is not installed, and requests Milvus refuses as invalid),
    Milvus unreachable 3, ingestion stopped 4, interrupted 130, other 1 (other Milvus errors included). Always
    one line; with ``verbose`` the traceback as well."""
    from sparsebolt.milvus.ingest import IngestError  # noqa: PLC0415
    from sparsebolt.milvus.retry import MilvusUnavailableError  # noqa: PLC0415

    try:
        return run()
    except CliError as exc:
        if verbose and exc.__cause__ is not None:
            _print_traceback(exc)
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return exc.code
    except MilvusUnavailableError as exc:
        if verbose:
            _print_traceback(exc)
        print(f"{prog}: error: {exc}{_engine_log_hint(exc, verbose)}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except IngestError as exc:
        if verbose:
            _print_traceback(exc)
        print(f"{prog}: error: {exc}{_engine_log_hint(exc, verbose)}", file=sys.stderr)
        return EXIT_INGEST
    except usage_errors as exc:
        if verbose:
            _print_traceback(exc)
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; re-run the same command to resume", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - last resort: a message, not a traceback
        refusal = milvus_refusal(exc)
        if refusal is not None:
            if verbose:
                _print_traceback(exc)
            what = "Milvus refused the request" if refusal.invalid else "Milvus failed"
            print(f"{prog}: error: {what}: {refusal}", file=sys.stderr)
            return EXIT_USAGE if refusal.invalid else 1
        print(f"{prog}: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        if verbose:
            raise
        return 1
