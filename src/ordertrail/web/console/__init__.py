"""The operations console under /console: sign-in, invitations, the overview, the parcel list and its export."""
