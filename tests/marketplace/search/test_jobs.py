from __future__ import annotations

from sqlalchemy import delete, func, select, update

from core.db import db
from marketplace.search.jobs import rebuild_index
from marketplace.search.models import SearchDocument
from tenants.context import tenant
from tests.marketplace.conftest import make_market, run_index_jobs


def test_a_rebuild_restores_lost_and_stale_documents_of_every_cooperative(app):
    a, b = make_market("32.04.12.2003"), make_market("33.07.07.1006")
    with tenant(a.coop.id):
        kept = a.publish().id
    with tenant(b.coop.id):
        lost = b.publish(title="Gula aren cetak", category="gula", tiers=()).id
    run_index_jobs()
    # the index drifts: one document lost, one stale (wrong price)
    db.session.execute(delete(SearchDocument).where(SearchDocument.listing_id == lost))
    db.session.execute(update(SearchDocument).where(SearchDocument.listing_id == kept).values(price=1))
    db.session.commit()
    assert rebuild_index() == 2
    db.session.expire_all()
    docs = {d.listing_id: d for d in db.session.scalars(select(SearchDocument))}
    assert set(docs) == {kept, lost}
    assert docs[kept].price == 15_000
    assert db.session.scalar(select(func.count()).select_from(SearchDocument)) == 2
