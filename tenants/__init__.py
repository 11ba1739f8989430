"""Cooperatives as tenants: registry, memberships, tenant context and its enforcement, regions."""
