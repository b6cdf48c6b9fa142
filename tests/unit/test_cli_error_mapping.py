"""run_reporting_errors without a Milvus: which pymilvus errors are bad input (exit 2), and always one line on
stderr."""

from __future__ import annotations

import pytest
from pymilvus.exceptions import MilvusException, ParamError

from sparsebolt.cli_errors import EXIT_USAGE, milvus_refusal, run_reporting_errors
from sparsebolt.milvus.sources import DataError
from sparsebolt.sparse.segmenters import MissingSegmenterError


def _raise(exc: BaseException):
    def run() -> int:
        raise exc
    return run


@pytest.mark.parametrize("exc, code, said", [
    (ParamError(message="`limit` value 0 is illegal"), EXIT_USAGE, "`limit` value 0 is illegal"),
    (MilvusException(code=1100, message="invalid parameter"), EXIT_USAGE, "invalid parameter (Milvus error 1100)"),
    (MilvusException(code=2000, message=" => expr type check failed, actual type: JSON at /src/query/PlanProto.cpp:550"
                                        "\n: segcore error"), EXIT_USAGE, "expr type check failed, actual type: JSON"),
    (MilvusException(code=1100, message="cannot parse expression: year >, error: line 1:6 no viable alternative"),
     EXIT_USAGE, "cannot parse expression: year >"),
    (MilvusException(code=65535, message="service internal error: segment lost\nsecond line"), 1,
     "service internal error: segment lost (Milvus error 65535)"),
    (DataError("corpus.jsonl:3: not valid JSON (Expecting value)"), EXIT_USAGE, "corpus.jsonl:3: not valid JSON"),
    (MissingSegmenterError("Korean needs MeCab: pip install 'sparsebolt[ko]'"), EXIT_USAGE, "sparsebolt[ko]"),
    (ImportError("No module named 'yaml'"), 1, "No module named 'yaml'"),
])
def test_one_line_and_exit_code(exc, code, said, capsys):
    assert run_reporting_errors("sparsebolt search", _raise(exc), verbose=False) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("sparsebolt search: error: ") and said in err
    assert "MilvusException" not in err and "Traceback" not in err


def test_verbose_adds_the_traceback_and_keeps_the_exit_code(capsys):
    exc = MilvusException(code=1100, message="invalid parameter")
    assert run_reporting_errors("sparsebolt search", _raise(exc), verbose=True) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "Traceback" in err and err.splitlines()[-1].startswith("sparsebolt search: error: Milvus refused")


def test_other_errors_are_not_refusals():
    assert milvus_refusal(ValueError("x")) is None
    assert milvus_refusal(ParamError(message="bad")).invalid
    assert not milvus_refusal(MilvusException(code=65535, message="internal")).invalid
