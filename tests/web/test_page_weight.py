"""Every client page stays under 60 KB compressed on a first visit (benchmarks/page_weight.py)."""

from __future__ import annotations

from django.test import Client

from alliance.people.models import CareEpisode, User
from benchmarks.page_weight import LIMIT, client_pages, weigh


def test_each_client_page_with_all_it_loads_is_under_the_limit(
    client_user: User, episode: CareEpisode
) -> None:
    pages = client_pages(client_user, episode)
    browser = Client()
    browser.force_login(client_user)
    known: dict[str, int] = {}
    weights = {name: weigh(browser, name, url, known) for name, url in pages.items()}
    assert len(weights) == 8
    for name, weight in weights.items():
        kinds = {what for what, _, _ in weight.files}
        # It counts what a browser fetches, not the HTML alone: a sum of nothing can't pass.
        assert {"html", "stylesheet", "script", "manifest", "manifest icon"} <= kinds, name
        assert "service worker" in kinds and "apple-touch-icon" in kinds, name
        assert all(size > 0 for _, _, size in weight.files), name
        assert weight.total < LIMIT, f"{name}: {weight.total} bytes, {weight.files}"
    # The diary card loads its own script too.
    assert any(url.endswith("diary.js") for _, url, _ in weights["diary card"].files)
