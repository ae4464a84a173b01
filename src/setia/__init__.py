"""Setia: a cashier (POS) with a built-in customer loyalty program."""

__version__ = "0.1.0"
