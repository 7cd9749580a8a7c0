"""Accounts (the partner's customers), sub-accounts and account users."""
