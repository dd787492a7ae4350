"""Pure domain: statuses, transition rules, status derivation, identifiers and errors (standard library only)."""
