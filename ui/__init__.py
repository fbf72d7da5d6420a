"""PySide6 widgets over the services in `app`. Widgets never hold a database session."""
