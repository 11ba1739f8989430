"""Kophub, the marketplace that joins the cooperatives."""
