from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from cursorapi import crypto
from tokens.models import Token


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored Cursor token with the first key of TOKEN_ENCRYPTION_KEY. Run it after "
        "putting a new key first (keeping the old ones after it); then the old keys can be dropped."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        table = Token._meta.db_table
        rotated = 0
        with transaction.atomic(), connection.cursor() as cursor:
            # Raw SQL: the model field would decrypt on read, and we want the stored ciphertext.
            cursor.execute(f"SELECT id, primary_token, secondary_token FROM {table}")
            for pk, primary, secondary in cursor.fetchall():
                new_primary = crypto.rotate(primary)
                new_secondary = crypto.rotate(secondary) if secondary else secondary
                cursor.execute(
                    f"UPDATE {table} SET primary_token = %s, secondary_token = %s WHERE id = %s",
                    [new_primary, new_secondary, pk],
                )
                rotated += 1
        self.stdout.write(f"re-encrypted {rotated} tokens with the newest key")
