"""URI handling: Lite paths vs server addresses, bad URIs, and secrets kept out of messages."""

from __future__ import annotations

import pytest

from sparsebolt.milvus.connection import connect, is_lite_uri, redact_uri


@pytest.mark.parametrize("uri, lite", [
    ("./milvus.db", True), ("/tmp/x/data.db", True), ("milvus.db", True),
    ("http://localhost:19530", False), ("https://user:pw@host:443/db.db", False), ("unix:/tmp/m.sock", False),
])
def test_lite_or_server(uri, lite):
    assert is_lite_uri(uri) is lite


@pytest.mark.parametrize("uri", ["", "localhost:19530", "ftp://host", "./milvus.sqlite"])
def test_bad_uris_say_what_is_expected(uri):
    with pytest.raises(ValueError, match="uri"):
        connect(uri)


def test_passwords_are_redacted():
    assert redact_uri("https://root:s3cret@host:19530") == "https://root:***@host:19530"
    assert redact_uri("http://host:19530") == "http://host:19530"
