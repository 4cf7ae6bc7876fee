"""`alliance rotate-keys [--check]`: bring every encrypted value under the first key.

The procedure (docs/security-encryption.md): generate a key, put it first in
ALLIANCE_ENCRYPTION_KEYS, restart, run this, and remove the old key once ``--check`` reports 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import models, router, transaction
from django.db.models import ExpressionWrapper, F, Value
from django.utils.translation import gettext, ngettext

from alliance import crypto
from alliance.commands import AllianceCommand, gettext_lazy
from alliance.crypto import TokenState

EXAMPLES = 5


def _values(count: int) -> str:
    return ngettext("%(count)s value", "%(count)s values", count) % {"count": count}


def _in_state(state: TokenState, count: int) -> str:
    """``--check``'s count of one state: "3 under the first key"."""
    words = {
        TokenState.CURRENT: gettext("%(count)s under the first key"),
        TokenState.OLDER_KEY: gettext("%(count)s under an older key"),
        TokenState.PLAIN: gettext("%(count)s not encrypted"),
        TokenState.UNREADABLE: gettext("%(count)s unreadable with any configured key"),
    }
    return words[state] % {"count": count}


def _stored_values(
    model: type[models.Model],
    field: crypto.EncryptedTextField,
    *,
    using: str,
    batch_size: int,
    lock: bool,
) -> Iterator[list[tuple[Any, str | None]]]:
    """Pages of (pk, value as stored), without decrypting; ``lock`` inside a transaction."""
    # Typed as a plain TextField, the column comes back as stored: the ciphertext.
    stored = ExpressionWrapper(F(field.name), output_field=models.TextField())
    rows = model._base_manager.db_manager(using).order_by("pk").annotate(stored=stored)
    last: Any = None
    while True:
        page = rows if last is None else rows.filter(pk__gt=last)
        if lock:
            page = page.select_for_update()
        values = list(page.values_list("pk", "stored")[:batch_size])
        if not values:
            return
        yield values
        last = values[-1][0]


class Command(AllianceCommand):
    help = gettext_lazy(
        "Re-encrypt every encrypted value under the first key in ALLIANCE_ENCRYPTION_KEYS "
        "(plain text found in an encrypted column is encrypted too). With --check, only count."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help=gettext_lazy(
                "count values not under the first key, change nothing; exit 1 if there are any"
            ),
        )
        parser.add_argument(
            "--batch-size", type=int, default=500, help=gettext_lazy("rows per transaction")
        )

    def handle(self, *args: Any, check: bool, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError(gettext("--batch-size must be at least 1."))
        totals: Counter[TokenState] = Counter()
        unreadable: list[str] = []
        for model, field in crypto.encrypted_fields():
            label = f"{model._meta.label}.{field.name}"
            using = router.db_for_write(model)
            if check:
                counts = self._count(
                    model, field, using=using, batch_size=batch_size, unreadable=unreadable
                )
                self.stdout.write(
                    gettext("%(field)s: %(values)s; %(states)s")
                    % {
                        "field": label,
                        "values": _values(counts.total()),
                        "states": ", ".join(_in_state(s, counts[s]) for s in TokenState),
                    }
                )
            else:
                counts = self._rotate(
                    model, field, using=using, batch_size=batch_size, unreadable=unreadable
                )
                self.stdout.write(
                    gettext(
                        "%(field)s: %(values)s; %(older)s re-encrypted under the first key, "
                        "%(plain)s found as plain text and encrypted, %(current)s already under "
                        "it, %(unreadable)s unreadable (left as stored)"
                    )
                    % {
                        "field": label,
                        "values": _values(counts.total()),
                        "older": counts[TokenState.OLDER_KEY],
                        "plain": counts[TokenState.PLAIN],
                        "current": counts[TokenState.CURRENT],
                        "unreadable": counts[TokenState.UNREADABLE],
                    }
                )
            totals.update(counts)
        if check and unreadable:
            # Only after a key is lost: the rows to look at (or to blank) one by one.
            self.stdout.write(gettext("Unreadable with any configured key:"))
            for where in unreadable:
                self.stdout.write(f"  {where}")
        self._conclude(totals, check=check, unreadable=unreadable)

    def _count(
        self,
        model: type[models.Model],
        field: crypto.EncryptedTextField,
        *,
        using: str,
        batch_size: int,
        unreadable: list[str],
    ) -> Counter[TokenState]:
        counts: Counter[TokenState] = Counter()
        for page in _stored_values(model, field, using=using, batch_size=batch_size, lock=False):
            for pk, value in page:
                if value is None:
                    continue
                state = crypto.token_state(value)
                counts[state] += 1
                if state is TokenState.UNREADABLE:
                    unreadable.append(f"{model._meta.label}.{field.name} pk={pk}")
        return counts

    def _rotate(
        self,
        model: type[models.Model],
        field: crypto.EncryptedTextField,
        *,
        using: str,
        batch_size: int,
        unreadable: list[str],
    ) -> Counter[TokenState]:
        counts: Counter[TokenState] = Counter()
        pages = _stored_values(model, field, using=using, batch_size=batch_size, lock=True)
        while True:
            # One transaction per page: a value is read, locked and rewritten together, and an
            # interrupted run leaves every value readable under one of the configured keys.
            with transaction.atomic(using=using):
                page = next(pages, None)
                if page is None:
                    break
                changed = []
                for pk, value in page:
                    if value is None:
                        continue
                    state = crypto.token_state(value)
                    counts[state] += 1
                    if state is TokenState.UNREADABLE:
                        unreadable.append(f"{model._meta.label}.{field.name} pk={pk}")
                    elif state is not TokenState.CURRENT:
                        row = model(pk=pk)
                        # An expression is written as it is: the field must not encrypt again.
                        new = Value(crypto.rotate(value), output_field=models.TextField())
                        setattr(row, field.attname, new)
                        changed.append(row)
                if changed:
                    model._base_manager.db_manager(using).bulk_update(changed, [field.name])
        return counts

    def _conclude(self, totals: Counter[TokenState], *, check: bool, unreadable: list[str]) -> None:
        if totals[TokenState.UNREADABLE]:
            examples = "; ".join(unreadable[:EXAMPLES])
            lost = totals[TokenState.UNREADABLE]
            raise CommandError(
                ngettext(
                    "%(count)s value cannot be decrypted with any key in %(variable)s "
                    "(%(examples)s). Add the key that encrypted it at the end of the list, "
                    "restart and run `alliance rotate-keys` again. Keep every old key until "
                    "`alliance rotate-keys --check` reports 0.",
                    "%(count)s values cannot be decrypted with any key in %(variable)s (e.g. "
                    "%(examples)s). Add the key that encrypted them at the end of the list, "
                    "restart and run `alliance rotate-keys` again. Keep every old key until "
                    "`alliance rotate-keys --check` reports 0.",
                    lost,
                )
                % {"count": lost, "variable": crypto.KEYS_VARIABLE, "examples": examples}
            )
        if check:
            behind = totals[TokenState.OLDER_KEY] + totals[TokenState.PLAIN]
            if behind:
                raise CommandError(
                    ngettext(
                        "%(count)s value is not under the first key yet; run "
                        "`alliance rotate-keys`. Keep the older keys until this reports 0.",
                        "%(count)s values are not under the first key yet; run "
                        "`alliance rotate-keys`. Keep the older keys until this reports 0.",
                        behind,
                    )
                    % {"count": behind}
                )
            self.stdout.write(
                gettext(
                    "0 values left to rotate (%(count)s under the first key): keys other than "
                    "the first can be removed."
                )
                % {"count": totals.total()}
            )
        else:
            self.stdout.write(
                ngettext(
                    "Done: %(count)s value under the first key. Confirm with "
                    "`alliance rotate-keys --check` before removing an old key.",
                    "Done: %(count)s values under the first key. Confirm with "
                    "`alliance rotate-keys --check` before removing an old key.",
                    totals.total(),
                )
                % {"count": totals.total()}
            )
