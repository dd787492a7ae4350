"""Persistence: SQLAlchemy Core tables, repositories, the database runner, and Alembic migrations."""
