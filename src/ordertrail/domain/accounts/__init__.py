"""Who may do what: API keys and roles, device pairing codes."""
