"""Code that runs *inside* the sandbox, next to student code.

Nothing here may import the rest of ``autograder``: the worker is started with ``python -I``
on ``worker/main.py`` and sees only this folder, the scratch folder and site-packages.
"""
