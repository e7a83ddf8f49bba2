"""DynamoDB: pynamodb models (*Item) and the transactions that change them.

Nothing binds on import: the composition roots (app.py, the local run, the test
fixtures, the benchmarks) call `store.db.bind()` with their settings before any
model is used.
"""
