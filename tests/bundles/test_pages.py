"""The 一件事 pages: the list, receiving a bundle at a comprehensive window in one POST, the application's page
with its items and one timeline, the output window's list and the package handed out."""

from __future__ import annotations

import pytest

from tests.bundles.test_applications import CERT_DATA, FORM, birth, grant, item, received  # noqa: F401
from tests.cases.make import PDF
from tests.federation.conftest import federation  # noqa: F401
from tests.identity import make
from tongban.bundles.models import BundleCase, BundleCaseStatus
from tongban.cases.models import Case

pytestmark = pytest.mark.django_db


def _form(w, **extra: str) -> dict[str, str]:
    data = {f"f-{k}": v for k, v in FORM.items()}
    data.update({"id_number": w.person.id_number, "identity_check": "身份证读卡器核验", "delivery_choice": "together"})
    data.update(extra)
    return data


def _evidence(client, w) -> dict[str, str]:
    """Every asked material seen at the window, by its place in the page's list."""
    page = client.get(f"/bundles/{w.bundle.code}/apply/", {"id_number": w.person.id_number})
    rows = page.context["materials"]
    return {f"evidence-{m['index']}": "original_seen" for m in rows if not m["from_result_of"]}


def test_the_list_shows_each_bundle_with_its_steps_and_what_it_saves(client, birth):  # noqa: F811
    page = client.get("/bundles/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "新生儿出生一件事" in body and "出生医学证明签发" in body
    client.force_login(birth.clerk)
    assert f"/bundles/{birth.bundle.code}/apply/" in client.get("/bundles/").content.decode()


def test_a_clerk_receives_the_whole_bundle_in_one_post(client, birth):  # noqa: F811
    client.force_login(birth.clerk)
    page = client.get(f"/bundles/{birth.bundle.code}/apply/", {"id_number": birth.person.id_number})
    assert page.status_code == 200 and "张*" in page.content.decode()  # the applicant, masked
    assert "nobody needs to bring it" in client.get(
        f"/en/bundles/{birth.bundle.code}/apply/", {"id_number": birth.person.id_number}
    ).content.decode()
    sent = client.post(f"/bundles/{birth.bundle.code}/apply/", {**_form(birth), **_evidence(client, birth)})
    bc = BundleCase.objects.get()
    assert sent.status_code == 302 and sent["Location"] == f"/bundles/applications/{bc.number}/"
    assert bc.status == BundleCaseStatus.RUNNING and bc.channel == "window"
    page = client.get(sent["Location"]).content.decode()
    assert item(bc, "cert").number in page and "等待前序事项结果" in page


def test_a_refusal_shows_beside_its_field_and_nothing_is_kept(client, birth):  # noqa: F811
    client.force_login(birth.clerk)
    evidence = _evidence(client, birth)
    no_check = client.post(f"/bundles/{birth.bundle.code}/apply/", {**_form(birth, identity_check=""), **evidence})
    assert no_check.status_code == 400 and "请填写身份核验方式" in no_check.content.decode()
    first = next(iter(evidence))
    evidence[first] = ""  # one required material not given
    sent = client.post(f"/bundles/{birth.bundle.code}/apply/", {**_form(birth, **{"f-phone": ""}), **evidence})
    assert sent.status_code == 400
    assert not BundleCase.objects.exists() and not Case.objects.exists()
    index = int(first.split("-")[1])
    row = next(m for m in sent.context["materials"] if m["index"] == index)
    assert any("缺少必要材料" in e for e in row["errors"])
    assert sent.context["form"].errors["phone"]  # beside the form's field


def test_an_uploaded_file_is_taken_for_its_material(client, birth, tmp_path):  # noqa: F811
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(birth.clerk)
    evidence = _evidence(client, birth)
    first = next(iter(evidence))
    index = first.split("-")[1]
    evidence.pop(first)
    upload = SimpleUploadedFile("身份证.pdf", PDF, content_type="application/pdf")
    sent = client.post(f"/bundles/{birth.bundle.code}/apply/", {**_form(birth), **evidence, f"file-{index}": upload})
    assert sent.status_code == 302
    given = BundleCase.objects.get().materials.get(order=int(index))
    assert given.evidence == "upload" and given.original_name == "身份证.pdf"


def test_the_output_window_hands_out_the_package(client, birth):  # noqa: F811
    bc = received(birth)
    for key in ("cert", "hukou", "medical", "card"):
        grant(birth, item(bc, key), **({"license_data": CERT_DATA} if key == "cert" else {}))
    bc.refresh_from_db()
    client.force_login(birth.clerk)
    listed = client.get("/bundles/applications/", {"ready": "1"}).content.decode()
    assert bc.number in listed
    page = client.get(f"/bundles/applications/{bc.number}/")
    assert 'id="deliver-all"' in page.content.decode()
    refused = client.post(f"/bundles/applications/{bc.number}/", {"method": "window", "version": bc.version})
    assert refused.status_code == 400  # the recipient's ID check is required
    bc.refresh_from_db()
    done = client.post(
        f"/bundles/applications/{bc.number}/",
        {"method": "window", "recipient_id_check": "身份证原件", "version": bc.version},
    )
    assert done.status_code == 302
    bc.refresh_from_db()
    assert bc.status == BundleCaseStatus.COMPLETED


def test_others_do_not_see_an_application(client, birth):  # noqa: F811
    bc = received(birth)
    client.force_login(make.applicant("411500"))
    assert client.get(f"/bundles/applications/{bc.number}/").status_code == 404
    client.force_login(make.staff("window_clerk", "320500"))
    assert client.get(f"/bundles/applications/{bc.number}/").status_code == 404


def test_an_applicant_applies_online_with_each_file_once_and_follows_one_page(client, birth):  # noqa: F811
    from django.core.files.uploadedfile import SimpleUploadedFile

    account = make.applicant("411500")
    client.force_login(account)
    page = client.get(f"/bundles/{birth.bundle.code}/apply/")
    assert page.status_code == 200 and 'name="id_number"' not in page.content.decode()  # no look-up online
    files = {
        f"file-{m['index']}": SimpleUploadedFile(f"m{m['index']}.pdf", PDF, content_type="application/pdf")
        for m in page.context["materials"]
        if not m["from_result_of"]
    }
    data = {f"f-{k}": v for k, v in FORM.items()} | {"delivery_choice": "separately"}
    sent = client.post(f"/bundles/{birth.bundle.code}/apply/", {**data, **files})
    assert sent.status_code == 302
    bc = BundleCase.objects.get()
    assert bc.channel == "online" and bc.delivery_choice == "separately"
    assert item(bc, "cert").channel == "online"
    assert client.get(sent["Location"]).status_code == 200
    mine = client.get("/bundles/applications/").content.decode()
    assert bc.number in mine


def test_a_refused_item_shows_its_reasons_on_the_application_page(client, birth):  # noqa: F811
    from tongban.cases import services as cases

    bc = received(birth)
    cases.refuse(birth.window, item(bc, "cert"), reasons="出生医学证明首次签发登记表填写不全", basis="母婴保健法")
    client.force_login(birth.clerk)
    html = client.get(f"/bundles/applications/{bc.number}/").content.decode()
    assert "出生医学证明首次签发登记表填写不全" in html
    assert 'id="item-hukou" data-state="stopped"' in html
