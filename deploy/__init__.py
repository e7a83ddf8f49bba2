"""Deploying to an AWS account: what `chalice package` does not make.

Nothing here is shipped in the Lambda package (`chalice package` zips only
`app.py`, `chalicelib/` and the runtime requirements). The DynamoDB tables are
generated from the pynamodb models, so the template and the code cannot drift
apart; the IAM policy per stage is written out to `.chalice/policy-<stage>.json`
from the declared access in `deploy/policy.py`.
"""
