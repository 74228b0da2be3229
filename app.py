"""The WSGI entry point: read the settings once, build the line. `gunicorn app:app`."""

from ivr.config import Config
from ivr.web import create_app

app = create_app(Config.from_env())
