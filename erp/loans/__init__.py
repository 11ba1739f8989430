"""Loans (pinjaman anggota): products, applications, approval, disbursement, schedules, repayment."""
