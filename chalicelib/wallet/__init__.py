"""Apple Wallet and Google Wallet: pass builders, signing, clients. No DynamoDB here."""
