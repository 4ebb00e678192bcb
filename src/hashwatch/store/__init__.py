"""Persistence: the one module that owns database engines and sessions, and the migrations."""
