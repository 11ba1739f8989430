"""Index jobs, run from the outbox under the listing's cooperative: a listing (or the stock it
sells) changed, so its search document is written again, or removed when buyers must no longer
find it. Idempotent: running one twice writes the same document."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby
from typing import Any

from flask import current_app
from sqlalchemy import select

from core.db import db
from marketplace.listings import service as listings
from marketplace.listings.models import ListingOwner
from marketplace.search.port import Document, backend
from tenants.context import require_tenant, tenant
from tenants.models import Cooperative


def index_listings(listing_ids: list[int], changed_at: str | None = None, **_: Any) -> int:
    """Write the documents of `listing_ids` (current cooperative) or remove those not to be found."""
    require_tenant()
    engine = backend()
    documents, gone = listings.documents_for(sorted({int(i) for i in listing_ids})[:1000])
    engine.upsert(documents)
    engine.remove(gone)
    return len(documents)


def reindex_cooperative(**_: Any) -> int:
    """Re-index every listing of the current cooperative (after a bulk stock import, say)."""
    return index_listings(listings.all_listing_ids())


def rebuild_index() -> int:
    """Scheduled or by hand: rebuild the whole search index from the listings of every cooperative
    that has any, read as each cooperative in turn (row-level security holds) with a fixed number
    of queries per cooperative; the adapter swaps it in at once."""
    owners = db.session.execute(
        select(ListingOwner.cooperative_id, ListingOwner.listing_id)
        .join(Cooperative, Cooperative.id == ListingOwner.cooperative_id)
        .order_by(ListingOwner.cooperative_id, ListingOwner.listing_id)
    ).all()

    def documents() -> Iterator[Document]:
        for coop_id, rows in groupby(owners, key=lambda row: row[0]):
            with tenant(coop_id):
                found, _gone = listings.documents_for([row[1] for row in rows])
            yield from found

    count = backend().rebuild(documents())
    db.session.commit()
    current_app.logger.info("search index rebuilt: %d documents", count)
    return count
