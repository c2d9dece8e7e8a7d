"""Connecting the company's own systems (issue 20): connectors behind ``CompanyBackend``."""
