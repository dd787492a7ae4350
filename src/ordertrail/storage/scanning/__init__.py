"""Scan events (append-only), proofs of delivery, unmatched scans."""
