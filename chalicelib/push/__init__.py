"""Pass update delivery: tell Apple (APNs) and Google that a pass changed.

`apns` holds the APNs client for Wallet passes: one long-lived HTTP/2 connection
authenticated with the Pass Type ID certificate, many concurrent streams, and an
outcome per push token that the delivery worker acts on (delete the registration,
keep it pending, or done). No DynamoDB and no routes here.
"""
