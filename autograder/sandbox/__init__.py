"""Stage 2, sandbox: run student code isolated from the grader and talk to it with plain data.

``launcher`` starts the sandbox host, ``host`` forks one confined child per run from it, ``session`` is a
live submission as the hidden tests see it, ``worker/`` is the code that runs inside, ``diagnose`` is
`learnathon sandbox`."""
