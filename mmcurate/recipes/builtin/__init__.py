"""Built-in recipes (``curate run NAME``)."""
