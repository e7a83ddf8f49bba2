"""The ledger: every balance change, exactly once.

    engine        apply: read, replay?, rule, one transaction (Change, Context, Receipt)
    idempotency   the record of a key's first answer, the request hash, replays
    operations    stamps, purchases, redemptions, voids; reading the ledger back
    documents     API.md's transaction and reward documents, and a change's answer

`from chalicelib.services import ledger` gives the names callers use.
"""

from chalicelib.services.ledger.documents import reward_doc, transaction_doc
from chalicelib.services.ledger.engine import SYSTEM, Change, Context, apply, system_claims
from chalicelib.services.ledger.idempotency import Receipt
from chalicelib.services.ledger.operations import (
    add_stamps,
    find_transaction,
    record_purchase,
    redeem,
    staff_transactions,
    transactions,
    void_transaction,
)

__all__ = [
    "SYSTEM",
    "Change",
    "Context",
    "Receipt",
    "add_stamps",
    "apply",
    "find_transaction",
    "record_purchase",
    "redeem",
    "reward_doc",
    "staff_transactions",
    "system_claims",
    "transaction_doc",
    "transactions",
    "void_transaction",
]
