"""ClinicDesk domain and services. Nothing in this package imports Qt."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("clinicdesk")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
