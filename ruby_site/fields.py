"""An encrypted text field that refuses to hand back ciphertext.

django-encrypted-model-fields swallows cryptography's InvalidToken and returns the ciphertext
as if it were the value — with a wrong FIELD_ENCRYPTION_KEY, MSAL would then be handed garbage
and the cache silently overwritten. This field raises instead. Keys come from settings at use
time (not import time) so a rotated list works and tests can swap keys.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from encrypted_model_fields.fields import EncryptedTextField


class DecryptionError(RuntimeError):
    """Stored ciphertext could not be read with any configured FIELD_ENCRYPTION_KEY."""


@lru_cache(maxsize=8)
def _crypter(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def crypter() -> MultiFernet:
    keys = settings.FIELD_ENCRYPTION_KEY
    if isinstance(keys, str):
        keys = [keys]
    return _crypter(tuple(keys))


def encrypt_text(value: str) -> str:
    return crypter().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_text(value: str) -> str:
    try:
        return crypter().decrypt(value.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError) as exc:
        raise DecryptionError("Stored encrypted data cannot be read with the configured FIELD_ENCRYPTION_KEY.") from exc


class StrictEncryptedTextField(EncryptedTextField):
    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt_text(value)

    def to_python(self, value):
        # Values from forms and Python code are plaintext; only the database holds ciphertext.
        return value

    def get_db_prep_save(self, value, connection):
        if value is None:
            return None
        if value == "":
            return ""
        return encrypt_text(str(value))
