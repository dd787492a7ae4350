"""Recording scans: the scan transaction and group commit."""
