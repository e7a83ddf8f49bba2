"""Pure rules over plain data: no boto3, no clock, no I/O."""
