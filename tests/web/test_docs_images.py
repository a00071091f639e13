"""The manuals' pictures: every picture a manual shows is one the browser tests take (DOCS_IMAGES) and is
committed in docs/images/, none is left over, and each Chinese manual shows the Chinese picture of each
English one. (`make screenshots` regenerates them; this needs no browser.)"""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import DOCS_IMAGES, DOCS_IMAGES_DIR, ROOT, docs_image_path

GUIDES = ["user-guide", "operator-guide"]
MANUALS = [f"{guide}{language}.md" for guide in GUIDES for language in ("", ".zh-CN")]
IMAGE_LINK = re.compile(r"!\[[^\]]*\]\(images/([^)]+)\)")


def shown_in(manual: str) -> list[str]:
    return IMAGE_LINK.findall((ROOT / "docs" / manual).read_text(encoding="utf-8"))


def test_every_picture_in_the_manuals_is_taken_by_the_browser_tests_and_committed() -> None:
    taken = {docs_image_path(name).name for name in DOCS_IMAGES}
    shown = {image for manual in MANUALS for image in shown_in(manual)}
    assert shown - taken == set(), "pictures the manuals show but `make screenshots` does not take"
    assert taken - shown == set(), "pictures `make screenshots` takes that no manual shows"
    committed = {path.name for path in DOCS_IMAGES_DIR.glob("*.png")}
    assert taken - committed == set(), "run `make screenshots`: these pictures are missing"
    assert committed - taken == set(), "left-over pictures in docs/images/"


@pytest.mark.parametrize("guide", GUIDES)
def test_the_chinese_manual_shows_the_chinese_picture_of_each_english_one(guide: str) -> None:
    english_images = shown_in(f"{guide}.md")
    chinese_images = shown_in(f"{guide}.zh-CN.md")
    english = [re.sub(r"-en\.png$", "", image) for image in english_images]
    chinese = [re.sub(r"-zh-CN\.png$", "", image) for image in chinese_images]
    # The one exception: rankings are pictured by tokens in English and by growth in Chinese.
    assert [name.replace("rankings-growth", "rankings") for name in chinese] == english
    assert all(image.endswith("-en.png") for image in english_images)
    assert all(image.endswith("-zh-CN.png") for image in chinese_images)
