"""The tuning page blueprint (placeholder until the page lands)."""

from flask import Blueprint

bp = Blueprint("page", __name__)
