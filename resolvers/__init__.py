"""Root resolvers, one module per area: parse arguments, check the role, call services."""
