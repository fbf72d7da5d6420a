"""Password hashing (Argon2id) and the password policy."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.problems import Problem

_hasher = PasswordHasher()  # argon2-cffi's defaults follow RFC 9106's second recommendation


def hash_password(password: str) -> str:
    """Return the Argon2id PHC string for `password`."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Return True when `password` matches `password_hash`."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Return True when the hash was made with older cost settings."""
    return _hasher.check_needs_rehash(password_hash)


def check_password_policy(password: str, min_length: int, username: str = "") -> list[Problem]:
    """Return every way `password` breaks the policy (empty when it passes)."""
    problems = []
    if len(password) < min_length:
        problems.append(Problem("password", f"Use at least {min_length} characters."))
    if password.strip() != password:
        problems.append(Problem("password", "Remove spaces at the start or end."))
    if username and username.casefold() in password.casefold():
        problems.append(Problem("password", "Do not include the user name in the password."))
    if len(set(password)) < 4:
        problems.append(Problem("password", "Use more different characters."))
    return problems
