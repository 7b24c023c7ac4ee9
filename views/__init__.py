"""Blueprints of the internal app, one per area; `public` (the "Dân biết" pages) comes later."""
