"""Fixtures shared by every test directory (tests/, and each app's tests/)."""

from tests.fixtures import *  # noqa: F403
