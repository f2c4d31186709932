"""SQLAlchemy 2.0 async adapters for the core's repository ports (SQLite and PostgreSQL)."""
