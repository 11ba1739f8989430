"""Point of sale at the gerai: checkout, receipts and member purchases for SHU."""
