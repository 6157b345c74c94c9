"""Accounts: sign-in, roles, lock-outs and remembered browser sessions."""
