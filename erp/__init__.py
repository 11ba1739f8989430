"""Business modules of a cooperative: one package per domain."""
