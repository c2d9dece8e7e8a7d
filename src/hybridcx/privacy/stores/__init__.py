"""The built-in personal-data stores (see ``hybridcx.privacy.registry``): how each table and file
store with customer data is erased, retained and exported. Importing this package registers
them all."""

from hybridcx.privacy.stores import (
    chat,  # web chat attachments
    core,
    email,
    records,
)
from hybridcx.privacy.stores.core import anonymise_events, customer_query, strip_text

__all__ = ["anonymise_events", "chat", "core", "customer_query", "email", "records", "strip_text"]
