"""The newsletter's admin, one module per entity; importing them registers them."""

from newsletter.admin import deliveries, issues, subscribers  # noqa: F401
