"""Locust scenarios for the HTTP surface: post, follow, read a feed, shorten and follow
a short link. Headless: ``make load TARGET=<url> USERS=... RATE=... DURATION=...``.

Each simulated user acts as one app user (``load-<n>``): follows a few others, posts,
and reads its feed, at a constant rate per user (``constant_throughput``), so the
offered load is USERS x the per-user rate whatever the response times. Each user signs
in through the stage's Cognito pool (``LOAD_STAGE``, default ``local``; the pool is found
with the usual AWS settings, which ``make load`` points at its local stack) in
``auth_headers`` alone.
"""

from __future__ import annotations

import itertools
import os
import random
from functools import cache
from typing import Any

import boto3
from locust import HttpUser, between, constant_throughput, task

from loadtests.load_users import others
from loadtests.signin import SignIn

__all__ = ["FanoutUser", "ShortenerUser", "auth_headers"]

_serial = itertools.count()
USER_POOL = int(os.environ.get("LOAD_USER_POOL", "200"))  # ids users follow among
RATE_PER_USER = float(os.environ.get("LOAD_RATE_PER_USER", "1"))  # requests/s per user


@cache
def _sign_in() -> SignIn:
    return SignIn(boto3.client("cognito-idp"), os.environ.get("LOAD_STAGE", "local"))


def auth_headers(client: Any, user_id: str) -> dict[str, str]:
    """Headers that let ``user_id`` act on the API: its bearer token from the pool."""
    return _sign_in().headers(user_id)


class FanoutUser(HttpUser):
    """A user of the social app: follows, posts, reads its feed (weights 1:2:6)."""

    weight = 4
    wait_time = constant_throughput(RATE_PER_USER) if RATE_PER_USER > 0 else between(0, 0)

    def on_start(self) -> None:
        serial = next(_serial)
        self.user_id = f"load-{serial}"
        self.headers = auth_headers(self.client, self.user_id)
        self.others = others(serial, USER_POOL)
        for other in random.sample(self.others, k=min(5, len(self.others))):
            self._follow(f"load-{other}")

    def _follow(self, author: str) -> None:
        _sign_in().account(author)  # an author who never signed in yet exists all the same
        self.client.put(
            f"/users/{author}/followers/{self.user_id}",
            headers=self.headers,
            name="/users/[id]/followers/[id]",
        )

    @task(1)
    def follow(self) -> None:
        if self.others:
            self._follow(f"load-{random.choice(self.others)}")

    @task(2)
    def post(self) -> None:
        self.client.post(
            "/yubls",
            json={"author_id": self.user_id, "text": "load test yubl"},
            headers=self.headers,
        )

    @task(6)
    def read_feed(self) -> None:
        self.client.get(
            f"/users/{self.user_id}/feed?limit=20", headers=self.headers, name="/users/[id]/feed"
        )


class ShortenerUser(HttpUser):
    """A visitor of the URL shortener: shortens a URL, then follows short links (1:9)."""

    weight = 1
    wait_time = constant_throughput(RATE_PER_USER) if RATE_PER_USER > 0 else between(0, 0)

    def on_start(self) -> None:
        self.codes: list[str] = []

    @task(1)
    def shorten(self) -> None:
        url = f"https://example.com/load/{random.randrange(10**9)}"
        with self.client.post("/", json={"url": url}, catch_response=True) as answer:
            if answer.status_code == 201:
                self.codes.append(answer.json()["code"])
                answer.success()
            else:
                answer.failure(f"status {answer.status_code}")

    @task(9)
    def redirect(self) -> None:
        if not self.codes:
            return self.shorten()
        self.client.get(f"/{random.choice(self.codes)}", allow_redirects=False, name="/[code]")
        return None
