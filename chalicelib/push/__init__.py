"""The clients that tell Apple a pass changed: no DynamoDB, no routes, no services.

`apns` holds the APNs client for Wallet passes: one long-lived HTTP/2 connection
authenticated with the Pass Type ID certificate, many concurrent streams, and an
outcome per push token that the caller acts on (delete the registration, keep it
pending, or done). Delivering the outbox with it is services.delivery's job.
"""
