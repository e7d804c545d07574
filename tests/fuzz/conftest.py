"""The suite's shared fixtures (mofan/conftest.py) for the fuzz tests, which live outside the package."""

from mofan.conftest import district, fast_password_hashing, login, make_learner, make_user

__all__ = ["district", "fast_password_hashing", "login", "make_learner", "make_user"]
