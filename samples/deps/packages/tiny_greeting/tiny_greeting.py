"""A one-function package, shipped as a wheel in py/vendor/ so the sample installs offline."""


def greet(name):
    return "Hello, %s! (from tiny_greeting 1.0, installed by micros into the micro's own virtualenv)" % name
