"""Rule tags (a safe expression language over profile columns), keyword tags and model tags."""
