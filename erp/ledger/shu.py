"""SHU distribution: a closed year's SHU split into the AD/ART's pools, and the members' pools
(jasa modal, jasa usaha) split among members, previewed per member, then posted as one entry.

Every split into whole rupiah is `core.money.split` (largest remainder; ties to the earlier pool
or the lower member number), so pools sum to the SHU and members' shares to their pool, to the
rupiah. A members' pool no member can share (nobody has savings or transactions) is not lost: it
is shown as undistributed and posted to cadangan. A year is distributed once.

Member figures come from the modules that own them through `sources`, a small registry:

    sources.register("members", membership_service.active_members)     # () -> [MemberRef]
    sources.register("jasa_modal", savings_service.equity_balances)    # (as_of) -> {member_id: Rp}
    sources.register("jasa_usaha", pos_service.member_purchases)       # (start, end) -> {member_id: Rp}
    sources.register("member_statistics", membership_service.rat_rows) # (year) -> [(label, n)]
    sources.register("loan_portfolio", loans_service.portfolio_quality) # (as_of) -> PortfolioLike

Several `jasa_usaha` (and `jasa_modal`) sources add up (purchases, loan interest paid…).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core import audit
from core.db import db
from core.errors import DomainError, ErrorCode
from core.money import InvariantViolation, split
from erp.ledger import service, statements
from erp.ledger.models import EquityBasis, JournalEntry, ShuAllocation
from erp.ledger.service import NewEntry, credit, debit
from tenants.context import require_tenant

SHU_SOURCE = "ledger.shu"

# Where each pool goes when the distribution is posted (credit side; 3-5000 is debited).
POOL_ACCOUNTS = {
    "cadangan": "3-4000",
    "jasa_modal": "2-1330",
    "jasa_usaha": "2-1330",
    "pembangunan_desa": "2-1380",
    "pengurus": "2-1340",
    "karyawan": "2-1350",
    "pendidikan": "2-1360",
    "sosial": "2-1370",
}


class MemberLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def member_number(self) -> str: ...
    @property
    def name(self) -> str: ...


class PortfolioLike(Protocol):
    """Loan portfolio quality on a day, as the lending module reports it: outstanding principal
    of running loans, the part at risk beyond 1, 30 and 90 days past due, and by kolektibilitas
    class (`lancar`, `kurang_lancar`, `diragukan`, `macet`); `closed` when these are the figures
    the day's close of business recorded, not worked out from the loans as they stand now."""

    @property
    def outstanding(self) -> int: ...
    @property
    def at_risk(self) -> dict[int, int]: ...
    @property
    def by_class(self) -> dict[str, int]: ...
    @property
    def closed(self) -> bool: ...


class Sources:
    """Providers of member figures, registered by the modules that own them."""

    KINDS = ("members", "jasa_modal", "jasa_usaha", "member_statistics", "loan_portfolio")

    def __init__(self) -> None:
        self._providers: dict[str, list[Callable[..., Any]]] = {kind: [] for kind in self.KINDS}

    def register(self, kind: str, provider: Callable[..., Any]) -> None:
        if kind not in self._providers:
            raise ValueError(f"unknown SHU source {kind!r}; one of {self.KINDS}")
        if provider not in self._providers[kind]:
            self._providers[kind].append(provider)

    def unregister(self, kind: str, provider: Callable[..., Any]) -> None:
        if provider in self._providers.get(kind, []):
            self._providers[kind].remove(provider)

    def members(self) -> list[MemberLike]:
        found: dict[int, MemberLike] = {}
        for provider in self._providers["members"]:
            for member in provider():
                found.setdefault(member.id, member)
        return sorted(found.values(), key=lambda m: (m.member_number, m.id))

    def sum(self, kind: str, *args: Any) -> dict[int, int]:
        total: dict[int, int] = {}
        for provider in self._providers[kind]:
            for member_id, amount in provider(*args).items():
                if isinstance(amount, bool) or not isinstance(amount, int):
                    raise InvariantViolation(f"SHU source {kind} gave a non-integer amount")
                total[member_id] = total.get(member_id, 0) + amount
        return total

    def statistics(self, year: int) -> list[tuple[Any, int]]:
        """Rows for the RAT pack (`("Anggota aktif", 120)`, …) from whoever keeps the members."""
        rows: list[tuple[Any, int]] = []
        for provider in self._providers["member_statistics"]:
            rows += list(provider(year))
        return rows

    def portfolios(self, as_of: date) -> list[PortfolioLike]:
        """Loan portfolio quality on `as_of` from each lending module (none: no lending)."""
        found: list[PortfolioLike] = []
        for provider in self._providers["loan_portfolio"]:
            quality = provider(as_of)
            if quality.outstanding < 0 or any(
                v < 0 for v in (*quality.at_risk.values(), *quality.by_class.values())
            ):
                raise InvariantViolation("loan portfolio source gave a negative amount")
            if sum(quality.by_class.values()) != quality.outstanding:
                raise InvariantViolation("loan portfolio classes do not add up to the outstanding")
            found.append(quality)
        return found

    def ready(self) -> bool:
        return bool(self._providers["members"])


sources = Sources()


class ShuRefused(DomainError):
    code = ErrorCode.INVALID_INPUT
    status = 422


@dataclass(frozen=True)
class Pool:
    name: str
    percent: Decimal
    amount: int
    account_code: str


@dataclass(frozen=True)
class MemberShare:
    member_id: int
    member_number: str
    name: str
    equity: int
    transactions: int
    jasa_modal: int
    jasa_usaha: int

    @property
    def total(self) -> int:
        return self.jasa_modal + self.jasa_usaha


@dataclass(frozen=True)
class Distribution:
    """A year's SHU split: pools, members' shares, and what of the members' pools no member could
    share (posted to cadangan). `entry` is the posting, once made."""

    year: int
    shu: int
    year_closed: bool
    pools: list[Pool]
    members: list[MemberShare]
    undistributed: int
    equity_basis: str
    entry: JournalEntry | None = None

    def pool(self, name: str) -> int:
        return next(p.amount for p in self.pools if p.name == name)


def year_shu(year: int) -> int:
    """The year's SHU: its income less expenses, the year-end closing entry left out."""
    accounts = statements._accounts()
    return statements._result(accounts, statements._activity(statements.Span.of(year)))


def preview(year: int) -> Distribution:
    """The distribution of `year`'s SHU as it would be posted (or as it was, once posted)."""
    require_tenant()
    settings = service.settings()
    shu = year_shu(year)
    posted = _posted(year)
    if shu <= 0:
        return Distribution(year, shu, _closed(year), [], [], 0, settings.equity_basis, posted)
    shares = service.shu_shares(settings)
    amounts = split(shu, list(shares.values()))
    pools = [
        Pool(name, shares[name], amount, POOL_ACCOUNTS[name])
        for name, amount in zip(shares, amounts, strict=True)
    ]
    members = sources.members()
    equity = _equity(year, settings.equity_basis)
    usage = sources.sum("jasa_usaha", date(year, 1, 1), date(year, 12, 31))
    equity_weights = [max(equity.get(m.id, 0), 0) for m in members]
    usage_weights = [max(usage.get(m.id, 0), 0) for m in members]
    pool_of = {p.name: p.amount for p in pools}
    modal = split(pool_of["jasa_modal"], equity_weights)
    jasa_usaha = split(pool_of["jasa_usaha"], usage_weights)
    shares_list = [
        MemberShare(m.id, m.member_number, m.name, e, t, jm, ju)
        for m, e, t, jm, ju in zip(members, equity_weights, usage_weights, modal, jasa_usaha, strict=True)
    ]
    undistributed = pool_of["jasa_modal"] - sum(modal) + pool_of["jasa_usaha"] - sum(jasa_usaha)
    if sum(p.amount for p in pools) != shu:
        raise InvariantViolation("SHU pools do not sum to the SHU")
    if posted is not None:
        shares_list = _posted_shares(year, {m.id: m.name for m in members})
    return Distribution(
        year, shu, _closed(year), pools, shares_list, undistributed, settings.equity_basis, posted
    )


def distribute(year: int, *, on: date, posted_by: int | None = None) -> Distribution:
    """Post `year`'s distribution: debit SHU tahun berjalan, credit cadangan, the funds, and Utang
    SHU Anggota with the members' shares, which are recorded per member. The year must be closed
    (its SHU sits in SHU tahun berjalan). Once only: again returns the posted distribution."""
    require_tenant()
    draft = preview(year)
    if draft.entry is not None:
        return draft
    if not draft.year_closed:
        raise ShuRefused(_l("Tutup buku tahun %(year)s dulu; SHU dibagi dari SHU Tahun Berjalan.", year=year))
    if draft.shu <= 0:
        raise ShuRefused(_l("Tahun %(year)s tidak menghasilkan SHU untuk dibagi.", year=year))
    if on.year <= year:
        raise ShuRefused(
            _l("Tanggal pembagian harus sesudah tahun buku %(year)s (biasanya tanggal RAT).", year=year),
            fields={"on": [_l("Tanggal tidak sah.")]},
        )
    credits: dict[str, int] = {}
    for pool in draft.pools:
        amount = pool.amount
        if pool.name in ("jasa_modal", "jasa_usaha"):
            amount = sum(m.jasa_modal if pool.name == "jasa_modal" else m.jasa_usaha for m in draft.members)
        credits[pool.account_code] = credits.get(pool.account_code, 0) + amount
    credits[POOL_ACCOUNTS["cadangan"]] += draft.undistributed
    lines = [debit(service.SHU_BERJALAN, draft.shu)]
    lines += [credit(code, amount) for code, amount in sorted(credits.items()) if amount > 0]
    entry = service.post(
        NewEntry(
            entry_date=on,
            description=f"Pembagian SHU tahun {year}",
            source_module=SHU_SOURCE,
            source_id=year,
            idempotency_key=f"{SHU_SOURCE}:{year}",
            lines=lines,
        ),
        posted_by=posted_by,
    )
    db.session.add_all(
        ShuAllocation(
            year=year,
            member_id=m.member_id,
            member_number=m.member_number,
            equity_weight=m.equity,
            transaction_weight=m.transactions,
            jasa_modal=m.jasa_modal,
            jasa_usaha=m.jasa_usaha,
            journal_entry_id=entry.id,
        )
        for m in draft.members
        if m.total > 0
    )
    db.session.flush()
    audit.record(
        "ledger.shu_distributed",
        "shu",
        year,
        after={
            "shu": draft.shu,
            "pools": {p.name: p.amount for p in draft.pools},
            "members": sum(1 for m in draft.members if m.total),
            "undistributed": draft.undistributed,
            "journal_entry_id": entry.id,
        },
        actor_id=posted_by,
    )
    return Distribution(
        year, draft.shu, True, draft.pools, draft.members, draft.undistributed, draft.equity_basis, entry
    )


def _equity(year: int, basis: str) -> dict[int, int]:
    if basis == EquityBasis.AVERAGE.value:
        # The average of the twelve month-end balances; as weights, their sum does the same.
        total: dict[int, int] = {}
        for month in range(1, 13):
            month_end = date(year, month, calendar.monthrange(year, month)[1])
            for member_id, amount in sources.sum("jasa_modal", month_end).items():
                total[member_id] = total.get(member_id, 0) + amount
        return total
    return sources.sum("jasa_modal", date(year, 12, 31))


def _closed(year: int) -> bool:
    return service.year_end_entry(year) is not None


def _posted(year: int) -> JournalEntry | None:
    return db.session.scalar(
        select(JournalEntry).where(JournalEntry.idempotency_key == f"{SHU_SOURCE}:{year}")
    )


def _posted_shares(year: int, names: dict[int, str]) -> list[MemberShare]:
    rows = db.session.scalars(
        select(ShuAllocation).where(ShuAllocation.year == year).order_by(ShuAllocation.member_number)
    )
    return [
        MemberShare(
            r.member_id,
            r.member_number,
            names.get(r.member_id, ""),
            r.equity_weight,
            r.transaction_weight,
            r.jasa_modal,
            r.jasa_usaha,
        )
        for r in rows
    ]


def member_shares(member_id: int) -> list[ShuAllocation]:
    """A member's SHU as posted, newest year first (for the member portal)."""
    return list(
        db.session.scalars(
            select(ShuAllocation)
            .where(ShuAllocation.member_id == member_id)
            .order_by(ShuAllocation.year.desc())
        )
    )


MEMBERS_SHU_PAYABLE = POOL_ACCOUNTS["jasa_modal"]  # Utang SHU Anggota: members' shares until paid


def allocations(year: int) -> list[ShuAllocation]:
    """The members' shares of `year` as posted, by member number."""
    stmt = select(ShuAllocation).where(ShuAllocation.year == year)
    return list(db.session.scalars(stmt.order_by(ShuAllocation.member_number)))
