"""Strawberry object types, one module per area of the domain."""
