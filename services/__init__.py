"""Domain operations the views and commands call: no request or response objects."""
