"""Helpers for the course server's tests: a server over a fresh gradebook, people, answers."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient

from autograder.record.gradebook import Gradebook
from autograder.server.app import create_app
from autograder.server.config import ServerConfig
from autograder.server.store import Store

REPO = Path(__file__).resolve().parent.parent
REFERENCE = (REPO / "solutions" / "gradient_basic" / "gradient.py").read_text(encoding="utf-8")
STUB = (REPO / "release" / "gradient_basic" / "gradient.py").read_text(encoding="utf-8")
#: The catalogued mistake "sign flipped (ŷ − y)".
SIGN_FLIPPED = REFERENCE.replace("error = y - nn_output", "error = nn_output - y")


class Course:
    """A server app over a gradebook in `folder`, with its store for direct looks."""

    def __init__(self, folder: Path, **settings: object) -> None:
        self.book = Gradebook(f"sqlite:///{folder / 'gradebook.db'}")
        self.store = Store(self.book)
        self.config = ServerConfig(db=self.book.url, release=REPO / "release", **settings)
        self.app = create_app(self.config, self.book)
        self.tokens: dict[str, str] = {}

    def person(self, name: str, role: str = "student") -> str:
        self.tokens[name] = self.store.add_person(name, role)
        return self.tokens[name]

    def client(self, name: str | None = None) -> TestClient:
        """A browser signed in as `name` (by its link), or signed out."""
        client = TestClient(self.app, base_url="http://testserver")
        if name is not None:
            answer = client.get(f"/signin/{self.tokens[name]}", follow_redirects=False)
            assert answer.status_code == 303
        return client

    def csrf(self, client: TestClient) -> str:
        page = client.get("/").text
        return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
