"""The ledger: double-entry books every other module posts to through `erp.ledger.service`."""
