"""The WSGI entry point for gunicorn (`wsgi:app`): the staff app, configured from the environment."""
from app import create_app

app = create_app()
