"""The outbox, webhook endpoints, notification preferences and unsubscribes."""
