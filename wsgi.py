"""The WSGI entry point for gunicorn (`wsgi:app`): the staff app, configured from the environment.

Each worker compiles every template here, before it takes its first request: a fresh worker (at
start, or when gunicorn replaces one after `max_requests`) would otherwise compile them one by one
inside the requests of its first minute, about a second of CPU in all, which shows as the slowest
requests under load (bench/load.py).
"""
from app import compile_templates, create_app

app = create_app()
compile_templates(app)
