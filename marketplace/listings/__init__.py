"""Kophub listings: what a cooperative offers from its stock, and the public read of a listing."""
