"""The newsletter's writes with side effects, one module per entity: subscribers, issues, deliveries."""
