"""Segments (客群): named, saved boolean expressions over profile columns and tags, their members and exports."""
