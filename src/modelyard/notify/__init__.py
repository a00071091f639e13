"""Delivery of notifications (low-balance alerts) by email and signed webhooks, off the request path."""
