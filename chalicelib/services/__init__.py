"""Use cases: load, apply a rule, save. Called by web/ and jobs/."""
