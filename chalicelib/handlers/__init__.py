"""The Lambda entry points other than the HTTP API, registered by app.py.

`outbox`: the outbox table's stream and the sweeper (delivery); `schedules`: the
hourly jobs; `operations`: the operator's one-off commands. Each is a Blueprint
that calls services, importing them inside its handlers, so that every other
Lambda of the app (which imports them all with app.py) loads none of it.
"""
