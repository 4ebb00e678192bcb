"""hashwatch."""
