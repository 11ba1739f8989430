"""Membership: the member register, its lifecycle, and the member card."""
