"""Staff accounts: invitations, passwords, sign-in with lockout, sessions, and the audit log."""
