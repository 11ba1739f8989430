"""The search contract runs against every adapter: postgres always, elasticsearch when
KOPDES_ELASTICSEARCH_URL names a server (each test then uses its own alias)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest

from marketplace.search import port

ES_URL = os.environ.get("KOPDES_ELASTICSEARCH_URL")


@pytest.fixture(params=["postgres", "elasticsearch"])
def engine(request, app, monkeypatch) -> Iterator[port.SearchBackend]:
    if request.param == "elasticsearch":
        if not ES_URL:
            pytest.skip("KOPDES_ELASTICSEARCH_URL is not set: no Elasticsearch server to run the contract on")
        from marketplace.search import elasticsearch as es_adapter

        alias = f"kophub-test-{uuid.uuid4().hex[:8]}"
        monkeypatch.setattr(es_adapter, "ALIAS", alias)
        app.config["KOPDES"] = replace(
            app.config["KOPDES"], search_backend="elasticsearch", elasticsearch_url=ES_URL
        )
        backend = port.backend()
        yield backend
        for index in backend.current_indices():  # type: ignore[attr-defined]
            backend.client.indices.delete(index=index, ignore_unavailable=True)  # type: ignore[attr-defined]
        app.config["KOPDES"] = replace(app.config["KOPDES"], search_backend="postgres")
    else:
        yield port.backend()
