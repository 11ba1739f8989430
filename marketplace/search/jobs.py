"""Index jobs, run from the outbox under the listing's cooperative: a listing (or the stock it
sells) changed, so its search document is written again, or removed when buyers must no longer
find it. Idempotent: running one twice writes the same document."""

from __future__ import annotations

from typing import Any

from flask import current_app

from core.db import db
from marketplace.listings import service as listings
from marketplace.search.port import backend
from tenants.context import require_tenant
from tenants.models import Cooperative


def index_listings(listing_ids: list[int], changed_at: str | None = None, **_: Any) -> int:
    """Write the documents of `listing_ids` (current cooperative) or remove those not to be found."""
    require_tenant()
    engine = backend()
    documents, gone = [], []
    for listing_id in sorted(set(listing_ids))[:1000]:
        document = listings.document_for(int(listing_id))
        if document is None:
            gone.append(int(listing_id))
        else:
            documents.append(document)
    engine.upsert(documents)
    engine.remove(gone)
    return len(documents)


def reindex_cooperative(**_: Any) -> int:
    """Re-index every listing of the current cooperative (after a bulk stock import, say)."""
    return index_listings(listings.all_listing_ids())


def rebuild_index() -> int:
    """Scheduled or by hand: rebuild the whole search index from the listings of every cooperative
    that has any (read as each cooperative in turn); the adapter swaps it in at once."""
    from sqlalchemy import select

    from marketplace.listings.models import ListingOwner
    from tenants.context import tenant

    coop_ids = list(
        db.session.scalars(
            select(ListingOwner.cooperative_id).distinct().order_by(ListingOwner.cooperative_id)
        )
    )

    def documents() -> Any:
        for coop_id in coop_ids:
            if db.session.get(Cooperative, coop_id) is None:
                continue
            with tenant(coop_id):
                for listing_id in listings.all_listing_ids():
                    document = listings.document_for(listing_id)
                    if document is not None:
                        yield document

    count = backend().rebuild(documents())
    db.session.commit()
    current_app.logger.info("search index rebuilt: %d documents", count)
    return count
