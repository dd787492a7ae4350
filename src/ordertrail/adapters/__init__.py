"""I/O that is not a use case: barcode decoding, webhook destination checks (DNS), rate-limit counters."""
