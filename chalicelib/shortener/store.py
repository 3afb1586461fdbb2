"""The shortener's DynamoDB table through PynamoDB: links, the URL claims, the code counter.

One table, one string key ``pk``: a link under its code; a claim under ``#url#<hash>``;
the counter under ``#counter``. ``#`` is in no code or slug, so the kinds never meet.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.models import Model

from ..adapters.sdk_session import share_session
from .rules import Link

__all__ = ["DynamoLinkStore", "bind_models"]

_COUNTER_KEY = "#counter"
_CLAIM_PREFIX = "#url#"


class LinkModel(Model):
    pk = UnicodeAttribute(hash_key=True)
    url = UnicodeAttribute()
    created_at = UnicodeAttribute()
    expires_at = UnicodeAttribute(null=True)
    visits = NumberAttribute(default=0)


class ClaimModel(Model):
    pk = UnicodeAttribute(hash_key=True)
    code = UnicodeAttribute()


class CounterModel(Model):
    pk = UnicodeAttribute(hash_key=True)
    next_value = NumberAttribute(default=0)


def _bind(model: type[Model], table_name: str) -> Any:
    class Meta:
        pass

    Meta.table_name = table_name  # type: ignore[attr-defined]
    return type(f"Bound{model.__name__}", (model,), {"Meta": Meta})


def bind_models(table_name: str) -> tuple[Any, Any, Any]:
    """The link, claim and counter models, bound to the stage's table."""
    return (
        _bind(LinkModel, table_name),
        _bind(ClaimModel, table_name),
        _bind(CounterModel, table_name),
    )


def _conditional_failed(err: Exception) -> bool:
    return getattr(err, "cause_response_code", None) == "ConditionalCheckFailedException"


def _link(item: LinkModel) -> Link:
    return Link(
        code=item.pk,
        url=item.url,
        created_at=item.created_at,
        expires_at=item.expires_at,
        visits=int(item.visits or 0),
    )


class DynamoLinkStore:
    def __init__(self, table_name: str) -> None:
        self._links, self._claims, self._counter = map(share_session, bind_models(table_name))

    def allocate_block(self, size: int) -> int:
        counter = self._counter(_COUNTER_KEY)
        counter.update(actions=[self._counter.next_value.add(size)])
        return int(counter.next_value) - size

    def create(self, link: Link) -> bool:
        item = self._links(
            link.code,
            url=link.url,
            created_at=link.created_at,
            expires_at=link.expires_at,
            visits=link.visits,
        )
        try:
            item.save(condition=self._links.pk.does_not_exist())
        except PutError as err:
            if _conditional_failed(err):
                return False
            raise
        return True

    def delete(self, code: str) -> None:
        self._links(code).delete()

    def get(self, code: str) -> Link | None:
        try:
            return _link(self._links.get(code, consistent_read=True))
        except self._links.DoesNotExist:
            return None

    def claimed_code(self, key: str) -> str | None:
        try:
            return str(self._claims.get(_CLAIM_PREFIX + key, consistent_read=True).code)
        except self._claims.DoesNotExist:
            return None

    def claim(self, key: str, code: str, replacing: str | None) -> str:
        condition = self._claims.pk.does_not_exist()
        if replacing is not None:
            condition = condition | (self._claims.code == replacing)
        try:
            self._claims(_CLAIM_PREFIX + key, code=code).save(condition=condition)
        except PutError as err:
            if not _conditional_failed(err):
                raise
            held = self.claimed_code(key)
            if held is None:  # the holder vanished in between: try again
                return self.claim(key, code, replacing=None)
            return held
        return code

    def record_visit(self, code: str, now: str) -> Link | None:
        item = self._links(code)
        live = self._links.pk.exists() & (
            self._links.expires_at.does_not_exist() | (self._links.expires_at > now)
        )
        try:
            item.update(actions=[self._links.visits.add(1)], condition=live)
        except UpdateError as err:
            if _conditional_failed(err):
                return None
            raise
        return _link(item)
