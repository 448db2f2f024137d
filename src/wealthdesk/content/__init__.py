"""Content for clients: the library of research, advisor views, events and investor education, and matching."""
