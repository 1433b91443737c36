"""Survey intake: reading real survey exports and paper tallies into the store."""
