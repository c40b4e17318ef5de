"""micros' stand-in for the deta library Deta Cloud's runtime pre-installed, used only when the
micro installs none itself: app and App (with app.lib.cron and app.lib.run). Deta Base and Drive
come from the deta SDK: a micro that uses them lists deta in requirements.txt."""
from detalib.app import App, Event, app  # noqa: F401

_SDK = ("Deta", "Base", "Drive", "AsyncBase", "send_email")


def __getattr__(name):
    if name in _SDK:
        raise ImportError("deta.%s comes from the deta SDK, which this micro does not install: add 'deta' to requirements.txt"
                          " (Deta Cloud pre-installed it; micros provides only app and App)" % name)
    raise AttributeError("module 'deta' has no attribute %r" % name)
