"""The local run: the embedded DynamoDB, dev secrets, seeding and a real HTTP server.

Nothing here is packaged into the Lambda functions (Chalice ships app.py and chalicelib/).
"""
