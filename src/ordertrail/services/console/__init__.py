"""The console's reads: who is reading (a staff user or an API key) and over which merchants, the parcel list and
its export, the overview."""
