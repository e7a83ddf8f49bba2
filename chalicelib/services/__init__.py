"""Use cases: load, apply a rule, save. Called by web/, jobs/ and handlers/."""
