from __future__ import annotations

from collections.abc import Iterator

import pytest

from tenants.context import tenant
from tenants.models import Cooperative
from tests.conftest import make_cooperative


@pytest.fixture
def coop(app) -> Iterator[Cooperative]:
    """A cooperative, active as the current tenant."""
    cooperative = make_cooperative()
    with tenant(cooperative.id):
        yield cooperative
