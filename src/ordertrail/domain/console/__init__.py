"""The console's reading rules: the parcel list's filters, search terms, sort orders and cursors."""
