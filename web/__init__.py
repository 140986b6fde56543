"""Page templates and static files, installed as package data (lightctl.web)."""
