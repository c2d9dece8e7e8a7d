"""Connecting the company's own systems: connectors behind ``CompanyBackend``."""
