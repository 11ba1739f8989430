"""Benchmark: `tenants.regions.import_regions` of the whole Kemendagri list into an empty `regions`
table, against a bare `COPY` of villages.csv into an equivalent table with the same primary key.

Runs on its own fresh database (`kopdes_bench`) on the embedded PostgreSQL, as the owner role, and
prints one line per figure, ending in the ratio to the baseline. Targets: ratio ≤ 2, under 10 s.

Besides ours (into an empty table, then again with nothing to change), a ladder of bare COPYs
explains the ratio: each step makes the target table more like `regions` (all four files, then
`level` and `lower_name` as generated columns, then each secondary index). Its last step is as
cheap as loading these rows into a table shaped like `regions` can be with COPY alone; the gap
between it and ours is the cost of the import itself (staging, the merge).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine

from tenants.regions import DATA_DIR, FILES, import_regions

from common import fresh_database

BENCH_DB = "kopdes_bench"
REPEATS = 7
TARGET_RATIO = 2.0
TARGET_SECONDS = 10.0

_PLAIN_COLUMNS = "code varchar(13) PRIMARY KEY, parent_code varchar(13), name varchar(120), kind varchar(12)"
_DERIVED_COLUMNS = (
    "code varchar(13) PRIMARY KEY, parent_code varchar(13),"
    " level smallint NOT NULL GENERATED ALWAYS AS (array_length(string_to_array(code, '.'), 1)) STORED"
    " CHECK (level BETWEEN 1 AND 4),"
    " name varchar(120) NOT NULL, lower_name varchar(120) NOT NULL GENERATED ALWAYS AS (lower(name)) STORED,"
    " kind varchar(12)"
)
_PARENT_INDEX = "CREATE INDEX ON {table} (parent_code, name)"
_NAME_INDEX = "CREATE INDEX ON {table} (level, lower_name text_pattern_ops)"


@dataclass
class Figure:
    label: str
    run: Callable[[Connection], int]
    table: str | None  # emptied before each run; None: run on top of the previous figure
    seconds: list[float] = field(default_factory=list)
    rows: int = 0


def bare_copy(table: str, files: list[str]) -> Callable[[Connection], int]:
    """Each file streamed as is into `table` with COPY; the callable returns the rows copied."""

    def run(conn: Connection) -> int:
        raw = conn.connection.driver_connection
        assert raw is not None
        rows = 0
        with raw.cursor() as cur:
            for filename in files:
                with (
                    cur.copy(
                        f"COPY {table} ({FILES[filename]}) FROM STDIN WITH (FORMAT csv, HEADER true)"
                    ) as copy,
                    (DATA_DIR / filename).open("rb") as f,
                ):
                    while chunk := f.read(1 << 20):
                        copy.write(chunk)
                rows += cur.rowcount
        return rows

    return run


def create_tables(engine: Engine) -> None:
    statements = [
        f"CREATE TABLE bench_villages ({_PLAIN_COLUMNS})",
        f"CREATE TABLE bench_plain ({_PLAIN_COLUMNS})",
        f"CREATE TABLE bench_derived ({_DERIVED_COLUMNS})",
        f"CREATE TABLE bench_parent ({_DERIVED_COLUMNS})",
        _PARENT_INDEX.format(table="bench_parent"),
        f"CREATE TABLE bench_shaped ({_DERIVED_COLUMNS})",
        _PARENT_INDEX.format(table="bench_shaped"),
        _NAME_INDEX.format(table="bench_shaped"),
    ]
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def empty(engine: Engine, table: str) -> None:
    with engine.begin() as conn:
        # CASCADE reaches only the (empty) tables referring to regions, such as cooperatives.
        conn.execute(text(f"TRUNCATE {table} CASCADE"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"VACUUM ANALYZE {table}"))


def timed(engine: Engine, work: Callable[[Connection], int]) -> tuple[float, int]:
    """Seconds for `work` in one transaction, commit included, and what it returned."""
    start = time.perf_counter()
    with engine.begin() as conn:
        result = work(conn)
    return time.perf_counter() - start, result


def main() -> None:
    _, owner_url = fresh_database(BENCH_DB)
    engine = create_engine(owner_url)
    create_tables(engine)
    all_files = list(FILES)
    figures = [
        Figure(
            "baseline: COPY villages.csv, PK only",
            bare_copy("bench_villages", ["villages.csv"]),
            "bench_villages",
        ),
        Figure("ours: import_regions into empty regions", import_regions, "regions"),
        Figure("ours: import_regions again", import_regions, None),
        Figure("ladder: COPY 4 files, PK only", bare_copy("bench_plain", all_files), "bench_plain"),
        Figure(
            "ladder: + level, lower_name generated", bare_copy("bench_derived", all_files), "bench_derived"
        ),
        Figure("ladder: + index (parent_code, name)", bare_copy("bench_parent", all_files), "bench_parent"),
        Figure("ladder: + index (level, lower_name)", bare_copy("bench_shaped", all_files), "bench_shaped"),
    ]
    for _ in range(REPEATS):
        # Interleaved, so that drift on a shared machine affects every figure alike.
        for figure in figures:
            if figure.table:
                empty(engine, figure.table)
            seconds, figure.rows = timed(engine, figure.run)
            figure.seconds.append(seconds)

    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM regions")).scalar_one()
        villages = conn.execute(text("SELECT count(*) FROM regions WHERE level = 4")).scalar_one()
    engine.dispose()
    baseline, ours, again = figures[0], figures[1], figures[2]
    assert baseline.rows == villages and ours.rows == total and again.rows == 0
    assert all(f.rows == total for f in figures[3:])

    base = min(baseline.seconds)
    print(
        f"regions: {total} rows ({villages} villages); seconds, best and median of {REPEATS} runs "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    for figure in figures:
        best, median = min(figure.seconds), statistics.median(figure.seconds)
        label = f"{figure.label} ({figure.rows} rows)"
        print(f"{label:<56} best {best:6.3f} s  median {median:6.3f} s  ratio {best / base:5.2f}")
    shaped = min(figures[-1].seconds)
    label = "ours / COPY into a table shaped like regions (last ladder step)"
    print(f"{label:<84} ratio {min(ours.seconds) / shaped:5.2f}")
    ok = min(ours.seconds) / base <= TARGET_RATIO and min(ours.seconds) < TARGET_SECONDS
    print(f"target ratio <= {TARGET_RATIO:.0f} and < {TARGET_SECONDS:.0f} s: {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
