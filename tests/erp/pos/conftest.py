"""The POS tests use the inventory shop: a cooperative with books, a gerai and a gudang."""

from tests.erp.inventory.conftest import shop  # noqa: F401
