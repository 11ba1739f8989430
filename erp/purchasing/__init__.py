"""Purchasing: suppliers, purchase orders, goods receipts, supplier invoices and payments."""
