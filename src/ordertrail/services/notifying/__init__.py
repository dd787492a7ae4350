"""The outbox (notifications written with their events), delivery bookkeeping, webhook endpoints, preferences."""
