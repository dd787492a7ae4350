"""Request schemas, one module per capability; each converts to the domain's own input types."""
