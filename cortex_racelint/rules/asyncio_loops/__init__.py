"""CRL5xx: asyncio objects shared between the event loops of several threads."""
