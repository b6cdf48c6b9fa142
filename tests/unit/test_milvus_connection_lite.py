"""connect() on Milvus Lite files: create=False never creates a database, and lite_output takes the engine's output."""

from __future__ import annotations

import time

import pytest

from sparsebolt.milvus.connection import connect

pytestmark = pytest.mark.integration


def test_create_false_refuses_a_missing_file_and_creates_nothing(tmp_path):
    folder = tmp_path / "nested"
    with pytest.raises(FileNotFoundError, match="no Milvus Lite database at .*m.db"):
        connect(str(folder / "m.db"), create=False)
    assert not folder.exists()
    with pytest.raises(FileNotFoundError):
        connect(str(tmp_path / "m.db"), create=False)
    assert list(tmp_path.iterdir()) == []


def test_create_false_opens_an_existing_file(tmp_path):
    uri = str(tmp_path / "m.db")
    connect(uri).close()
    client = connect(uri, create=False)
    try:
        assert client.list_collections() == []
    finally:
        client.close()


def test_lite_output_takes_the_engines_own_messages(tmp_path, capfd):
    from pymilvus import DataType, MilvusClient
    from pymilvus.exceptions import MilvusException

    log = tmp_path / "engine.log"
    client = connect(str(tmp_path / "m.db"), lite_output=str(log))
    try:
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=True)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("v", DataType.FLOAT_VECTOR, dim=2)
        index = client.prepare_index_params()
        index.add_index(field_name="v", index_type="FLAT", metric_type="L2")
        client.create_collection("c", schema=schema, index_params=index)
        client.insert("c", [{"id": 1, "v": [0.0, 1.0], "year": 2020}])
        with pytest.raises(MilvusException):
            client.search("c", data=[[0.0, 1.0]], anns_field="v", limit=1, filter="year >")
    finally:
        client.close()
    for _ in range(50):  # the engine writes from its own process
        if "no viable alternative" in log.read_text(encoding="utf-8", errors="replace"):
            break
        time.sleep(0.1)
    assert "no viable alternative" in log.read_text(encoding="utf-8", errors="replace")
    captured = capfd.readouterr()
    assert "no viable alternative" not in captured.err and captured.out == ""
