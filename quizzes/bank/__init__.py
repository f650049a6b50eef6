"""Question-bank files (YAML) and their JSON Schema; a package so that packaging ships them."""
