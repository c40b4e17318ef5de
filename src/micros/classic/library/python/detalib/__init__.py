"""micros' stand-in for Deta Cloud's runtime library (the deta SDK imports App from detalib.app)."""
from .app import App, Event, app  # noqa: F401
