"""The config service's tables through PynamoDB.

``config-<stage>``: one item per version (``key``, ``version`` >= 1) plus a head item
(``version`` 0) that copies the latest version and holds ``current``. A write puts the
new version and moves the head in one transaction, conditioned on the head's version:
that is the compare-and-set. A live head carries ``listed``, which puts it in the sparse
``by-key`` index that prefix listing queries; a deletion drops it from there.

``config-api-keys-<stage>``: one item per API key, holding only the key's hash.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from ..adapters.cursors import decode_cursor, encode_cursor
from .rules import ApiKey, Entry
from .service import HeadMoved

__all__ = [
    "ApiKeyModel",
    "ConfigItemModel",
    "DynamoApiKeyStore",
    "DynamoConfigStore",
    "bind_api_key_model",
    "bind_config_model",
]

HEAD = 0
_LISTED = "live"


class ConfigItemModel(Model):
    key = UnicodeAttribute(hash_key=True)
    version = NumberAttribute(range_key=True)
    current = NumberAttribute(null=True)  # head only
    value = UnicodeAttribute(null=True)  # JSON text, or a secret's envelope ciphertext
    secret = BooleanAttribute(default=False)
    deleted = BooleanAttribute(default=False)
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    listed = UnicodeAttribute(null=True)  # head of a live key only

    def entry(self) -> Entry:
        version = self.current if self.version == HEAD else self.version
        return Entry(
            key=self.key,
            version=int(version or 0),
            value=self.value,
            secret=bool(self.secret),
            updated_at=self.updated_at,
            updated_by=self.updated_by,
            deleted=bool(self.deleted),
        )


class ApiKeyModel(Model):
    key_id = UnicodeAttribute(hash_key=True)
    key_hash = UnicodeAttribute()
    scopes = UnicodeSetAttribute()
    prefix = UnicodeAttribute(default="")
    created_at = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    revoked = BooleanAttribute(default=False)


def _meta(table_name: str, **extra: Any) -> type:
    return type("Meta", (), {"table_name": table_name, **extra})


def bind_config_model(table_name: str) -> type[ConfigItemModel]:
    """A model of this stage's table, with the by-key index bound to it (PynamoDB binds
    an index to the class it is declared on, so each bound model declares its own)."""

    class ByKey(GlobalSecondaryIndex[Any]):
        Meta = _meta(table_name, index_name="by-key", projection=AllProjection())
        listed = UnicodeAttribute(hash_key=True)
        key = UnicodeAttribute(range_key=True)

    attrs = {"Meta": _meta(table_name), "by_key": ByKey()}
    return type("BoundConfigItemModel", (ConfigItemModel,), attrs)


def bind_api_key_model(table_name: str) -> type[ApiKeyModel]:
    return type("BoundApiKeyModel", (ApiKeyModel,), {"Meta": _meta(table_name)})


class DynamoConfigStore:
    def __init__(self, model: type[ConfigItemModel]) -> None:
        self._model = model

    def _get(self, key: str, version: int) -> Entry | None:
        try:
            return self._model.get(key, version, consistent_read=True).entry()
        except self._model.DoesNotExist:
            return None

    def head(self, key: str) -> Entry | None:
        return self._get(key, HEAD)

    def version(self, key: str, version: int) -> Entry | None:
        return None if version < 1 else self._get(key, version)

    def history(self, key: str) -> list[Entry]:
        model = self._model
        return [i.entry() for i in model.query(key, model.version > HEAD, consistent_read=True)]

    def append(self, entry: Entry, previous: int) -> None:
        model = self._model
        fields: dict[str, Any] = {
            "value": entry.value,
            "secret": entry.secret,
            "deleted": entry.deleted,
            "updated_at": entry.updated_at,
            "updated_by": entry.updated_by,
        }
        item = model(entry.key, entry.version, **fields)
        head = model(
            entry.key,
            HEAD,
            current=entry.version,
            listed=None if entry.deleted else _LISTED,
            **fields,
        )
        moved = model.key.does_not_exist() if previous == HEAD else model.current == previous
        try:
            with TransactWrite(connection=model._get_connection().connection) as transaction:
                transaction.save(item, condition=model.key.does_not_exist())
                transaction.save(head, condition=moved)
        except TransactWriteError as err:
            if err.cause_response_code == "TransactionCanceledException":
                raise HeadMoved(entry.key) from None
            raise

    def page(self, prefix: str, limit: int, cursor: str | None) -> tuple[list[Entry], str | None]:
        model = self._model
        after = decode_cursor(cursor)
        start = None
        if after is not None:
            start = {"listed": {"S": _LISTED}, "key": {"S": after}, "version": {"N": "0"}}
        condition = model.key.startswith(prefix) if prefix else None
        index = model.by_key  # type: ignore[attr-defined]
        results = index.query(_LISTED, condition, limit=limit, last_evaluated_key=start)
        entries = [i.entry() for i in results]
        more = results.last_evaluated_key is not None and len(entries) == limit
        return entries, encode_cursor(entries[-1].key) if more and entries else None


class DynamoApiKeyStore:
    def __init__(self, model: type[ApiKeyModel]) -> None:
        self._model = model

    @staticmethod
    def _api_key(item: ApiKeyModel) -> ApiKey:
        return ApiKey(
            key_id=item.key_id,
            scopes=frozenset(item.scopes),
            prefix=item.prefix,
            created_at=item.created_at,
            revoked=bool(item.revoked),
            description=item.description,
        )

    def put(self, api_key: ApiKey, key_hash: str) -> None:
        item = self._model(
            api_key.key_id,
            key_hash=key_hash,
            scopes=set(api_key.scopes),
            prefix=api_key.prefix,
            created_at=api_key.created_at,
            description=api_key.description,
        )
        item.save(condition=self._model.key_id.does_not_exist())

    def get(self, key_id: str) -> tuple[ApiKey, str] | None:
        try:
            item = self._model.get(key_id, consistent_read=True)
        except self._model.DoesNotExist:
            return None
        return self._api_key(item), item.key_hash

    def all(self) -> list[ApiKey]:
        return [self._api_key(item) for item in self._model.scan()]

    def revoke(self, key_id: str) -> bool:
        try:
            item = self._model.get(key_id, consistent_read=True)
        except self._model.DoesNotExist:
            return False
        item.update(actions=[self._model.revoked.set(True)])
        return True
