"""The machinery of building the public site: freezer, workers, state, links, search, publish."""
