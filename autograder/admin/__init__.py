"""Course administration: create a course, the released notebooks' setup cell, the demo class."""
