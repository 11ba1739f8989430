"""Savings (simpanan): products, member accounts, desk deposits and withdrawals, interest."""
