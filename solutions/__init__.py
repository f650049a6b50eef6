"""Trusted reference implementations the autograder compares students against.

Never copied into a student's sandbox and never released to students.
"""
