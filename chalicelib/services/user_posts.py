"""A user's own posts, newest first, from the posts table (deleted ones left out)."""

from __future__ import annotations

from typing import Any

from ..domain.paging import Page
from ..domain.posts import Yubl
from ..domain.validation import check_user_id
from .ports import PostStore

__all__ = ["UserPostsService"]


class UserPostsService:
    def __init__(self, posts: PostStore) -> None:
        self._posts = posts

    def read(self, user_id: Any, limit: int, cursor: str | None) -> Page[Yubl]:
        return self._posts.page(check_user_id("user_id", user_id), limit, cursor)
