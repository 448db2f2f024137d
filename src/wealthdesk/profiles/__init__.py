"""Customer 360: the profile table, lifecycle stage and their history."""
