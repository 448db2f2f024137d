"""Who may see what: users and roles, API tokens kept only as hashes, the client scope of each role, the audit log."""
