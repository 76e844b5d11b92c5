"""What a new user found (issue 11, "Found by a new user"): each case as they met it."""

from __future__ import annotations

from handlers.dispatch import Deps
from storage import users
from storage.db import transaction
from tests.conftest import Chat


async def set_commune(deps: Deps, code: str, user_id: str = "1001") -> None:
    async with transaction(deps.sessions) as s:
        user = await users.find_user(s, "test", user_id)
        user.commune_code = code
        s.add(user)


async def test_my_data_names_the_commune_not_only_its_code(chat: Chat, deps: Deps):
    await chat.onboard()
    await set_commune(deps, "01354")
    await chat.send("/dulieu")
    assert "Xã: Xã Huy Giáp (Cao Bằng) · 01354" in chat.text
    assert "Xã: 01354" not in chat.text
