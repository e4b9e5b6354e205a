"""Applicants, staff assignments and the record of access to personal data."""
