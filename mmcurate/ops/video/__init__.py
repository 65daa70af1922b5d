"""Video filters and mappers."""
