"""Staff accounts, invitations, sessions, sign-in failures and the audit log."""
