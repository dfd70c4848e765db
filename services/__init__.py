"""The domain: lifecycle rules, progression, scoring, events, webhooks, live channels."""
