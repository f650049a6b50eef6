"""A class run (`learnathon autograde`): many submissions through intake -> sandbox -> grading -> outputs."""
