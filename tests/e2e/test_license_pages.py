"""E-licences in Chromium on a phone (360 px): the holder opens their wallet and shows a licence (亮证); the
person they show it to opens the link and reads that it is valid; a tampered file uploaded on the check
page (核验) is refused, naming the step that failed (SCENARIOS §2, §7). Each page is checked for sideways
scrolling, the wallet also at 200 % zoom and in large-text mode.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, expect

from tests.e2e.test_case_pages import login, no_sideways_scroll
from tests.federation.conftest import (
    Federation,
    federation,  # noqa: F401  (the fixture: this node's key and trust anchor)
)
from tests.identity import make as people
from tests.licenses import factories as lf
from tongban.catalog import regions
from tongban.catalog.models import Region
from tongban.identity.models import Person
from tongban.licenses import services
from tongban.licenses.models import License

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 360, "height": 780}}


@dataclass
class Holder:
    user: User
    license: License


@pytest.fixture
def holder(transactional_db: None, settings, request, tmp_path, monkeypatch) -> Iterator[Holder]:  # type: ignore[no-untyped-def]
    """A person holding one certificate of a 信阳 department whose seal is on the trust list, committed so
    the live server's thread sees it."""
    nodes: Federation = request.getfixturevalue("federation")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    lf.isolated_keys(monkeypatch, tmp_path / "var")
    if not Region.objects.exists():  # the flush after a transactional test empties them (see conftest.py)
        regions.load(Region)
    department = lf.issuing_department()
    lf.publish(nodes, lf.seal(department))
    user = people.applicant()
    person = Person.objects.get(user=user)
    lic = lf.license(
        lf.license_type(),
        department,
        holder=lf.person_holder(person.name, person.id_number),
        data=lf.certificate_data(person.name, person.id_number),
    )
    yield Holder(user, lic)


def test_a_holder_shows_a_licence_on_a_phone_and_a_tampered_file_is_caught(
    browser: Browser, live_server, holder: Holder, tmp_path
):
    base = live_server.url
    lic = holder.license

    # The holder's wallet on their phone: the licence, its downloads, and the choice of how long to show it.
    page = login(browser, base, holder.user, **PHONE)
    page.goto(f"{base}/licenses/")
    card = page.locator(f"#license-{lic.pk}")
    expect(card).to_be_visible()
    expect(card.locator(".code").first).to_contain_text(lic.number)
    expect(card.locator('[data-download="pdf"]')).to_be_visible()
    no_sideways_scroll(page)
    card.locator(f"#show-{lic.pk}-3600").check()
    card.locator('[data-form="show"] button[type=submit]').click()

    # The link and its QR code, for an hour.
    expect(page.locator("#share-qr svg")).to_be_visible()
    expect(page.locator("#share-expiry")).to_be_visible()
    no_sideways_scroll(page)
    link = page.locator("#share-link").input_value()
    assert "/licenses/shown/" in link

    # Someone else's phone, not logged in, opens the link: valid, with the name masked.
    other = browser.new_context(**PHONE).new_page()
    other.goto(link)
    expect(other.locator("#verdict")).to_have_attribute("data-verdict", "valid")
    expect(other.locator("#shown-holder")).to_have_text("李*")
    expect(other.locator('[data-check="signature"]')).to_have_attribute("data-ok", "ok")
    assert Person.objects.get(user=holder.user).id_number not in other.content()
    no_sideways_scroll(other)

    # A copy of the signed file with one character of the data changed: the check names the content step.
    tampered = json.dumps(services.with_proof(lic), ensure_ascii=False).replace("电工", "焊工", 1)
    path = tmp_path / "证照.json"
    path.write_text(tampered, encoding="utf-8")
    other.goto(f"{base}/licenses/verify/")
    other.locator("#verify-file").set_input_files(str(path))
    other.locator("#verify-file-button").click()
    expect(other.locator("#verdict")).to_have_attribute("data-verdict", "invalid")
    expect(other.locator('[data-check="content"]')).to_have_attribute("data-ok", "failed")
    expect(other.locator("#failed")).to_contain_text("证照内容与签名时的摘要不符")
    expect(other.locator('[data-check="signature"]')).to_have_attribute("data-ok", "ok")
    no_sideways_scroll(other)

    # The status by identifier, as the QR code printed on the licence asks it.
    other.goto(f"{base}/licenses/verify/?id={lic.identifier}")
    expect(other.locator("#verdict")).to_have_attribute("data-verdict", "valid")
    no_sideways_scroll(other)

    # 200 % zoom on a 1280 px screen, then large text: the wallet still fits.
    zoomed = login(browser, base, holder.user, viewport={"width": 640, "height": 450}, device_scale_factor=2)
    zoomed.goto(f"{base}/licenses/")
    expect(zoomed.locator(f"#license-{lic.pk}")).to_be_visible()
    no_sideways_scroll(zoomed)
    zoomed.locator("#large-text-toggle").click()
    expect(zoomed.locator("html")).to_have_class("large-text")
    expect(zoomed.locator(f"#license-{lic.pk}")).to_be_visible()
    no_sideways_scroll(zoomed)
