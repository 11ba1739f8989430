"""Sembako inventory: products, locations, the stock-move ledger and on-hand balances."""
