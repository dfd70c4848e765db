"""The GraphQL face: Strawberry types, inputs, payloads and the Schema object."""
