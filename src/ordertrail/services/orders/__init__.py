"""Placing and reading orders, opening an order without an account, shipping labels."""
