"""DynamoDB: pynamodb models (*Item) and the transactions that change them."""
