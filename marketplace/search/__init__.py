"""Kophub search: one port (`marketplace.search.port`), a postgres and an elasticsearch adapter."""
