"""DynamoDB: pynamodb models (*Item) and the transactions that change them.

Importing the package binds the models to the configured endpoint and table
prefix, so that no code path (a Lambda handler, a job, a worker) can reach a
model before its table name is set; tests and the local run re-bind after
changing the environment.
"""

from chalicelib.store.db import bind

bind()
