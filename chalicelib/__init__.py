"""The loyalty backend: everything app.py's routes and schedules call."""
