"""The console's reads across capabilities: the filtered parcel list and the overview counts."""
