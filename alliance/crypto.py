"""Encryption at rest of free text, with key rotation.

What clients and therapists write in their own words (check-in comments, repair notes, the plan
for the next session, the note on closing an alert) is stored as a Fernet token from the
``cryptography`` package: AES-128-CBC with a random IV, authenticated with HMAC-SHA256. Numbers
stay in plain columns so they remain queryable; see docs/security-encryption.md for what is
covered and what is not.

Keys come from ``ALLIANCE_ENCRYPTION_KEYS``: comma-separated Fernet keys, the first encrypts and
every one decrypts (``MultiFernet``). Settings hold the validated key strings; the Fernet objects
are built from whatever the settings say at the time of use, so ``override_settings`` changes
them in tests.
"""

from __future__ import annotations

import base64
import enum
import functools
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models

KEYS_VARIABLE = "ALLIANCE_ENCRYPTION_KEYS"
# Every stored value starts with this, so plain text written around the field (raw SQL, an old
# row) is told apart from ciphertext, and a future format can be introduced as "enc2:".
PREFIX = "enc1:"
# Public on purpose: used only when DEBUG or TESTING is on and no key is configured, like the
# insecure development SECRET_KEY. Anything encrypted with it is as good as plain text.
INSECURE_DEVELOPMENT_KEY = base64.urlsafe_b64encode(b"alliance-insecure-test-key-32byt").decode()
KEY_FORMAT = "32 url-safe base64-encoded bytes"
_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}=")
_KEY_LENGTH = 44


class DecryptionError(Exception):
    """A stored value that no configured key decrypts, or that was never encrypted."""


def generate_key() -> str:
    """A new random Fernet key, as it goes into ``ALLIANCE_ENCRYPTION_KEYS``."""
    return Fernet.generate_key().decode("ascii")


def _key_problem(key: str) -> str | None:
    # The messages describe the key without quoting it: it is a secret and ends up in logs.
    if _KEY_PATTERN.fullmatch(key):
        return None
    if len(key) != _KEY_LENGTH:
        return f"it has {len(key)} characters, a key has {_KEY_LENGTH}"
    if "+" in key or "/" in key:
        return "it uses standard base64 ('+' or '/'); Fernet keys use '-' and '_'"
    return "it has characters other than A-Z, a-z, 0-9, '-', '_' and one final '='"


def parse_keys(value: str | None, *, insecure_ok: bool) -> tuple[str, ...]:
    """Validate the value of ``ALLIANCE_ENCRYPTION_KEYS``; the first key comes first.

    Unset or blank is allowed only when ``insecure_ok`` (DEBUG or TESTING), and then gives
    :data:`INSECURE_DEVELOPMENT_KEY`. A value that is set is always checked in full.

    Raises
    ------
    ImproperlyConfigured
        Naming the variable, the position of the bad key and what is wrong with it.
    """
    if value is None or value.strip() == "":
        if insecure_ok:
            return (INSECURE_DEVELOPMENT_KEY,)
        raise ImproperlyConfigured(
            f"{KEYS_VARIABLE} must be set: one or more Fernet keys, comma-separated, the first "
            "one encrypts. Make one with `alliance generate-key` and keep a copy apart from "
            "the database backups (see docs/security-encryption.md)."
        )
    keys = tuple(part.strip() for part in value.split(","))
    for position, key in enumerate(keys, start=1):
        if not key:
            raise ImproperlyConfigured(
                f"{KEYS_VARIABLE}: key {position} is empty; remove the stray comma."
            )
        problem = _key_problem(key)
        if problem:
            raise ImproperlyConfigured(
                f"{KEYS_VARIABLE}: key {position} is not a valid Fernet key ({KEY_FORMAT}): "
                f"{problem}. Make one with `alliance generate-key`."
            )
        if key in keys[: position - 1]:
            first = keys.index(key) + 1
            raise ImproperlyConfigured(
                f"{KEYS_VARIABLE}: key {position} is the same as key {first}; "
                "a new key was probably meant."
            )
    return keys


def keys_from_env(environ: Mapping[str, str], *, insecure_ok: bool) -> tuple[str, ...]:
    """:func:`parse_keys` on ``environ[ALLIANCE_ENCRYPTION_KEYS]``, for settings."""
    return parse_keys(environ.get(KEYS_VARIABLE), insecure_ok=insecure_ok)


def demo_key(path: Path) -> str:
    """The demo's key, kept in ``path`` (created readable by its owner only on first use)."""
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(generate_key())
    return parse_keys(path.read_text(), insecure_ok=False)[0]


@functools.lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...]) -> tuple[MultiFernet, Fernet]:
    # Settings validated the environment already; this catches a bad override_settings value.
    parse_keys(",".join(keys), insecure_ok=False)
    fernets = [Fernet(key) for key in keys]
    return MultiFernet(fernets), fernets[0]


def _configured() -> tuple[MultiFernet, Fernet]:
    return _fernets(tuple(settings.ALLIANCE_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    """``PREFIX`` and a Fernet token of ``plaintext`` under the first key."""
    multi, _ = _configured()
    return PREFIX + multi.encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(stored: str, *, where: str = "an encrypted value") -> str:
    """The plain text of a stored value, with any configured key.

    Raises
    ------
    DecryptionError
        If ``stored`` is not encrypted or no configured key decrypts it; ``where`` names the
        column in the message. The stored value itself never appears in the message.
    """
    if stored == "":
        return ""  # nothing was written; see EncryptedTextField for why "" stays ""
    if not stored.startswith(PREFIX):
        raise DecryptionError(
            f"{where} is stored as plain text, not encrypted: something wrote it around the "
            "field (raw SQL, a bulk load). Run `alliance rotate-keys` to encrypt it."
        )
    multi, _ = _configured()
    try:
        return multi.decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        count = len(settings.ALLIANCE_ENCRYPTION_KEYS)
        raise DecryptionError(
            f"Cannot decrypt {where}: none of the {count} key(s) in {KEYS_VARIABLE} fits. "
            "Either the key that encrypted it was removed too early (add it back at the end of "
            "the list and run `alliance rotate-keys`), or the database belongs to another "
            "installation. See docs/security-encryption.md."
        ) from None


class TokenState(enum.Enum):
    CURRENT = "under the first key"
    OLDER_KEY = "under an older key"
    PLAIN = "not encrypted"
    UNREADABLE = "unreadable with any configured key"


def token_state(stored: str) -> TokenState:
    """Which key a stored value is under (Fernet tokens carry no key id, so try the first)."""
    if stored == "":
        return TokenState.CURRENT  # an empty value holds nothing to rotate
    if not stored.startswith(PREFIX):
        return TokenState.PLAIN
    multi, first = _configured()
    token = stored[len(PREFIX) :].encode("ascii")
    try:
        first.decrypt(token)
        return TokenState.CURRENT
    except InvalidToken:
        pass
    try:
        multi.decrypt(token)
        return TokenState.OLDER_KEY
    except InvalidToken:
        return TokenState.UNREADABLE


def rotate(stored: str) -> str:
    """``stored`` re-encrypted under the first key (plain text is encrypted).

    Raises
    ------
    DecryptionError
        If no configured key decrypts ``stored``.
    """
    if stored == "":
        return ""
    if not stored.startswith(PREFIX):
        return encrypt(stored)
    multi, _ = _configured()
    try:
        return PREFIX + multi.rotate(stored[len(PREFIX) :].encode("ascii")).decode("ascii")
    except InvalidToken:
        raise DecryptionError(
            f"Cannot rotate a value: none of the keys in {KEYS_VARIABLE} fits."
        ) from None


# django-stubs makes fields generic; Django's class cannot be subscripted at run time.
class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Text stored as ``enc1:`` and a Fernet token; read back as the plain text.

    The empty string is stored as itself: a Fernet token's length already shows that nothing
    was written (an empty text's token is 105 characters), so encrypting it would hide nothing,
    while it cost a quarter of a full signal recomputation (every new alert has an empty close
    note). The database cannot compare ciphertext, so every lookup but ``isnull`` is refused
    rather than silently matching nothing.
    """

    description = "Text encrypted at rest"

    def _where(self) -> str:
        model = getattr(self, "model", None)
        if model is None:
            return "an encrypted value"
        return f"{model._meta.label}.{self.name}"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value, where=self._where())

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def _refuse(self, name: str) -> FieldError:
        return FieldError(
            f"{self._where()} is encrypted, so the database cannot compare or search it "
            f"('{name}' refused; only 'isnull' works). Filter on other columns and compare the "
            "text in Python."
        )

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise self._refuse(lookup_name)

    def get_transform(self, lookup_name: str) -> Any:
        raise self._refuse(lookup_name)


def encrypted_fields() -> Iterator[tuple[type[models.Model], EncryptedTextField]]:
    """Every encrypted column of every installed model."""
    from django.apps import apps

    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field


def _rows_in_batches(
    model: type[models.Model], field_names: Sequence[str], *, using: str, batch_size: int
) -> Iterator[list[models.Model]]:
    # Keyset pages by primary key: no OFFSET scans, and the table may be written while paging.
    manager = model._base_manager.db_manager(using)
    last: Any = None
    while True:
        page = manager.order_by("pk").only("pk", *field_names)
        if last is not None:
            page = page.filter(pk__gt=last)
        rows = list(page[:batch_size])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def encrypt_plain_rows(
    model: type[models.Model], field_names: Sequence[str], *, using: str, batch_size: int = 1000
) -> int:
    """Encrypt the values of plain-text columns that are not encrypted yet; for migrations.

    ``model`` is a historical model whose fields are still plain ``TextField``s, so values are
    read and written as stored. Idempotent: values that already carry :data:`PREFIX` are left
    alone. Returns how many values were encrypted.
    """
    changed = 0
    for rows in _rows_in_batches(model, field_names, using=using, batch_size=batch_size):
        dirty = []
        for row in rows:
            touched = False
            for name in field_names:
                value = getattr(row, name)
                if value and not value.startswith(PREFIX):
                    setattr(row, name, encrypt(value))
                    touched = True
                    changed += 1
            if touched:
                dirty.append(row)
        if dirty:
            model._base_manager.db_manager(using).bulk_update(dirty, list(field_names))
    return changed


def decrypt_encrypted_rows(
    model: type[models.Model], field_names: Sequence[str], *, using: str, batch_size: int = 1000
) -> int:
    """The reverse of :func:`encrypt_plain_rows`: back to plain text, for unapplying."""
    changed = 0
    for rows in _rows_in_batches(model, field_names, using=using, batch_size=batch_size):
        dirty = []
        for row in rows:
            touched = False
            for name in field_names:
                value = getattr(row, name)
                if value is not None and value.startswith(PREFIX):
                    setattr(row, name, decrypt(value, where=f"{model._meta.label}.{name}"))
                    touched = True
                    changed += 1
            if touched:
                dirty.append(row)
        if dirty:
            model._base_manager.db_manager(using).bulk_update(dirty, list(field_names))
    return changed
