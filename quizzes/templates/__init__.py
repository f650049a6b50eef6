"""Jinja2 templates, one per export output; a package so that packaging ships them."""
