"""Staff accounts: roles and what each may see and do, passwords, invitations, sessions, the audit log."""
