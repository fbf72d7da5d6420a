"""Engine, SQLCipher keying, sessions, migrations and column types."""
