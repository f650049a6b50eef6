"""What the class got wrong: the class record (SQLite) and the class report built from it."""
