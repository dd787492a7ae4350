"""Delivering notifications: the outbox worker, and its email (SMTP) and webhook (Standard Webhooks) channels."""
