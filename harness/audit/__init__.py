"""The auditor's analysis of a vendor's access roster and audit-log export, and the prohibited-purpose list."""
