"""跨省通办 in Chromium across real nodes: 苏州 (suzhou, 320500) and 信阳 (xinyang, 411500), each its own
server, worker, folder and SQLite file (tests/federation/nodes.py), on one signed trust list. Everyone logs
in with a local password on their own node's login page, in a browser context of their own.

* SCENARIOS §1 (异地代收代办): at a 苏州 window a clerk finds 信阳's 正常退休提取住房公积金 (the 苏州—信阳
  agreement lets 苏州 receive it), reads 信阳's guide, registers 王芳, checks her identity, scans one
  material and records the other, and forwards the case with the originals' tracking number. 苏州's
  worker delivers it; at 信阳 the clerk accepts, the reviewer signs 审查, the head approves and the clerk
  issues, all through 信阳's pages. 信阳's worker sends back each act, the review step included:
  苏州's case page names who did it at 信阳. The 苏州 window hands the result out, and the case is
  completed at both nodes.
* SCENARIOS §2 (全程网办 across regions): 李强 of 苏州 applies online on 苏州's portal for the same 信阳
  item (the agreement allows mode ``online``); the case is at 信阳 as an online case, and what 信阳 does
  shows on his case page at home.

The federation is built once for the module and both journeys use it; nodes' databases are read here,
read-only, to check what the pages say against what the nodes hold.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.federation import nodes
from tests.federation.nodes import SUZHOU, XINYANG, Federation, Node
from tests.federation.test_transfer_nodes import (
    CATALOG,
    CENTRE_USCC,
    GUIDE,
    IMPLEMENTATION,
    MATERIALS,
    PDF,
    case_row,
    events,
)
from tests.licenses.test_sharing_nodes import program

pytestmark = [pytest.mark.e2e, pytest.mark.nodes]

PASSWORD = "x-very-long-password-1"
CENTRE = "信阳市住房公积金管理中心"
FORM = {
    "type": "object",
    "required": ["account"],
    "properties": {"account": {"type": "string", "title": "收款银行账号"}},
}
WANG_FANG = ("王芳", "411502200003010022")
LI_QIANG = ("李强", "320502200005050017")
SCAN = "身份证扫描件.pdf"
# Waits: a page on a busy two-core machine; and a message to the other node and back (the worker looks
# every second; a failed try waits a random time up to 2, 4, 8 … seconds before the next).
PAGE_MS = 20_000
ACROSS_S = 120

# Each node's people, made as an operator would with the node's commands (there is no page for it):
# (username, role, department's USCC or "") staff in the node's region; (username, name, ID) applicants.
PEOPLE = """
from django.contrib.auth.models import User
from tongban.catalog.models import Department
from tongban.identity import services as identity
from tongban.identity.actor import SYSTEM

for username, role, uscc in STAFF:
    account = User.objects.create_user(username, password=PASSWORD)
    where = {"department": Department.objects.get(uscc=uscc)} if uscc else {}
    identity.assign_role(SYSTEM, user=account, role=role, region_code=REGION, **where)
for username, name, id_number in APPLICANTS:
    account = User.objects.create_user(username, password=PASSWORD)
    identity.register_person(
        SYSTEM, name=name, id_type="resident_id", id_number=id_number, region_code=REGION, user=account
    )
"""


@pytest.fixture(scope="module", autouse=True)
def _patient_expect() -> Iterator[None]:
    """Pages of real servers beside two workers and Chromium on two cores: give each check more than 5 s."""
    expect.set_options(timeout=PAGE_MS)
    yield
    expect.set_options(timeout=5_000)  # Playwright's default, for the modules after this one


def prepare(
    node: Node, *, agreement: bool, staff: list[tuple[str, str, str]], applicants: list[tuple[str, ...]]
) -> None:
    """信阳's item and guide (both nodes hold it: 苏州's windows show 信阳's own guide), the agreement where
    it is asked for, and the node's people, in one process."""
    node.run(
        program(
            CATALOG,
            CENTRE_USCC=CENTRE_USCC,
            IMPLEMENTATION=IMPLEMENTATION,
            GUIDE={**GUIDE, "form_schema": FORM},
            MATERIALS=MATERIALS,
            AGREEMENT=agreement,
        ),
        program(PEOPLE, STAFF=staff, APPLICANTS=applicants, PASSWORD=PASSWORD, REGION=node.region),
    )


@pytest.fixture(scope="module")
def fed(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    """苏州 and 信阳 serving, each with its worker. ``browser`` first: without Chromium nothing is built."""
    federation = nodes.build(tmp_path_factory.mktemp("pages"), (SUZHOU, XINYANG))
    try:
        suzhou, xinyang = federation["suzhou"], federation["xinyang"]
        # The two nodes are prepared side by side: each is a process of its own (Django's set-up, then
        # the commands), and one waits on the other for nothing.
        with ThreadPoolExecutor(2) as pool:
            done = [
                pool.submit(
                    prepare,
                    suzhou,
                    agreement=True,
                    staff=[("clerk-sz", "window_clerk", "")],
                    applicants=[("liqiang", *LI_QIANG)],
                ),
                pool.submit(
                    prepare,
                    xinyang,
                    agreement=False,
                    staff=[
                        ("clerk-xy", "window_clerk", CENTRE_USCC),
                        ("reviewer-xy", "reviewer", CENTRE_USCC),
                        ("head-xy", "department_head", CENTRE_USCC),
                    ],
                    applicants=[],
                ),
            ]
            for future in done:
                future.result()  # a node's failure, with its output, fails the fixture
        suzhou.start_worker()
        xinyang.start_worker()
        yield federation
    finally:
        federation.stop()


@pytest.fixture
def login(browser: Browser) -> Iterator[Callable[[Node, str], Page]]:
    """Log a user in on a node's own login page, in a fresh browser context; closed after the test."""
    opened: list[BrowserContext] = []

    def login(node: Node, username: str) -> Page:
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        opened.append(context)
        context.set_default_timeout(PAGE_MS)
        page = context.new_page()
        page.goto(f"{node.url}/accounts/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录", exact=True).click()
        expect(page.locator("#signed-in-as")).to_contain_text(username)
        return page

    yield login
    for context in opened:
        context.close()


def reload_until(page: Page, check: Callable[[], None], fed: Federation, timeout: float = ACROSS_S) -> None:
    """Reload the page until ``check`` (Playwright expectations) passes: what another node does arrives
    through the workers, so the page shows it a moment later. The workers' logs go into a failure."""
    deadline = time.monotonic() + timeout
    while True:
        page.reload()
        try:
            check()
            return
        except AssertionError as exc:
            if time.monotonic() > deadline:
                logs = "\n".join(f"--- {n.node_id} worker.log\n{n.log('worker.log')}" for n in fed.nodes.values())
                raise AssertionError(f"{exc}\n{logs}") from None
            time.sleep(0.5)


def status_is(page: Page, text: str, timeout: float | None = None) -> None:
    expect(page.locator("#case-status")).to_have_text(text, timeout=timeout)


def act(page: Page, action: str, **fields: str) -> None:
    """Open an action's form (if it has one), fill it, press its button, and see it done."""
    panel = page.locator(f'[data-action="{action}"]')
    summary = panel.locator("summary")
    if summary.count():
        summary.click()
    for name, value in fields.items():
        panel.locator(f'[name="{name}"]').fill(value)
    panel.locator("button[type=submit]").click()
    expect(page.locator("#flash")).to_contain_text("已完成")


def step(page: Page, text: str, who: str) -> Locator:
    """The timeline's lines saying ``text``, done by ``who``."""
    return page.locator("#timeline li").filter(has_text=text).filter(has_text=who)


def card(page: Page, material: str) -> Locator:
    return page.locator(".material-card").filter(has=page.get_by_role("heading", name=material, exact=True))


def test_a_window_in_suzhou_receives_a_case_that_xinyang_decides(
    fed: Federation, login: Callable[[Node, str], Page], tmp_path: Path
) -> None:
    suzhou, xinyang = fed["suzhou"], fed["xinyang"]
    scan = tmp_path / SCAN
    scan.write_bytes(PDF)

    # 苏州's window: the items it may receive for other regions include 信阳's, with 信阳's own guide.
    window = login(suzhou, "clerk-sz")
    window.goto(f"{suzhou.url}/cases/intake/")
    window.get_by_label("事项名称或编码").fill("公积金")
    window.get_by_label("事项名称或编码").press("Enter")
    offered = window.locator("#intake-results li").filter(has_text=IMPLEMENTATION)
    expect(offered).to_contain_text("信阳市")
    expect(offered).to_contain_text(CENTRE)
    guide = window.context.new_page()
    guide.goto(f"{suzhou.url}/guides/{IMPLEMENTATION}/")
    expect(guide.locator("h1")).to_have_text(GUIDE["name"])
    expect(guide.locator(".lead")).to_contain_text(CENTRE)
    for material in MATERIALS:
        expect(guide.locator("table.materials")).to_contain_text(material["name"])
    guide.close()

    # 王芳 is registered from her card, her identity checked, the application received.
    offered.get_by_role("link").click()
    expect(window.locator("#chosen-item")).to_contain_text(CENTRE)
    window.get_by_label("居民身份证号码").fill(WANG_FANG[1])
    window.get_by_role("button", name="查找申请人").click()
    expect(window.locator("#applicant-missing")).to_be_visible()
    window.get_by_label("姓名（与证件一致）").fill(WANG_FANG[0])
    window.get_by_role("button", name="登记申请人").click()
    expect(window.locator("#applicant-found")).to_contain_text("王*")
    window.get_by_label("身份核验方式").fill("身份证读卡器核验")
    window.get_by_label("收款银行账号").fill("6222000011112222")
    window.get_by_role("button", name="收件", exact=True).click()
    status_is(window, "待受理")
    expect(window.locator(".case-head")).to_contain_text("异地窗口代收")
    number = window.locator("#case-number").inner_text()

    # The ID card scanned (a file that travels), the retirement certificate's original seen (a state).
    id_card = card(window, "居民身份证")
    id_card.locator('input[type="file"]').set_input_files(str(scan))
    id_card.locator('[data-material-action="upload"] button').click()
    expect(window.locator("#flash")).to_contain_text("文件已上传")
    expect(card(window, "居民身份证").locator(".files")).to_contain_text(SCAN)
    retired = card(window, "退休证明").locator('[data-material-action="record"]')
    retired.locator("select").select_option("original_seen")
    retired.locator("button").click()
    expect(window.locator("#flash")).to_contain_text("材料已登记")

    # Forwarded, with the originals posted; the case waits at 信阳 now.
    act(window, "forward", carrier="EMS", tracking_number="EMS9876543210")
    status_is(window, "已转递办理地")
    expect(step(window, "已转递节点 xinyang 办理", "clerk-sz")).to_have_count(1)
    expect(window.locator('[data-action="accept"]')).to_have_count(0)  # nobody here decides it

    # 信阳: the case arrives through 苏州's worker, with the file; the clerk finds it in the queue.
    clerk = login(xinyang, "clerk-xy")
    clerk.goto(f"{xinyang.url}/cases/queue/")
    reload_until(clerk, lambda: expect(clerk.locator("#queue")).to_contain_text(number, timeout=1_000), fed)
    row = clerk.locator("#queue tr").filter(has_text=number)
    expect(row).to_contain_text("异地窗口代收（异地代收） · 来自节点 suzhou")
    clerk.locator("#queue tr").filter(has_text=number).get_by_role("link", name=GUIDE["name"]).click()
    expect(clerk.locator("#case-number")).to_have_text(number)
    status_is(clerk, "待受理")
    expect(step(clerk, "节点 suzhou 的窗口收件（clerk-sz）", "suzhou")).to_have_count(1)
    expect(clerk.locator("#application-title + dl")).to_contain_text("异地窗口代收")
    expect(clerk.locator("#application-title + dl")).to_contain_text("身份证读卡器核验")
    expect(clerk.locator("#application-title + dl")).to_contain_text("6222000011112222")
    expect(card(clerk, "退休证明")).to_contain_text("窗口已核验原件")
    # The file as 苏州 scanned it, byte for byte (it arrived as its own message after the case).
    reload_until(
        clerk, lambda: expect(card(clerk, "居民身份证").locator(".files a")).to_have_text(SCAN, timeout=1_000), fed
    )
    href = card(clerk, "居民身份证").locator(".files a").get_attribute("href")
    assert href is not None
    assert clerk.request.get(f"{xinyang.url}{href}").body() == PDF

    # 信阳 decides, through its pages: accept, 审查, 审批 (approve), issue.
    act(clerk, "accept")
    status_is(clerk, "审查中")
    reviewer = login(xinyang, "reviewer-xy")
    reviewer.goto(f"{xinyang.url}/cases/{number}/")
    act(reviewer, "review", opinion="材料齐全，符合正常退休提取条件")
    expect(step(reviewer, "完成“审查”环节", "reviewer-xy · 审查审批")).to_have_count(1)
    head = login(xinyang, "head-xy")
    head.goto(f"{xinyang.url}/cases/{number}/")
    act(head, "approve", opinion="准予提取")
    status_is(head, "已准予，待出件")
    clerk.reload()
    act(clerk, "issue")
    status_is(clerk, "已出件，待送达")

    # Back at 苏州: each act at 信阳, with who did it there (the review step too, though it leaves the
    # status as it was), and the result waiting to be handed out.
    reload_until(window, lambda: status_is(window, "已出件，待送达", timeout=1_000), fed)
    expect(step(window, "已受理，开始计算办理时限", "xinyang · clerk-xy · 窗口受理")).to_have_count(1)
    expect(step(window, "完成“审查”环节", "xinyang · reviewer-xy")).to_have_count(1)
    expect(step(window, "决定：准予", "xinyang · head-xy · 负责人")).to_have_count(1)
    expect(step(window, "已制证出件", "xinyang · clerk-xy")).to_have_count(1)

    # The 苏州 window hands the result out: completed here, and, through the exchange, at 信阳 too.
    window.locator('[data-action="deliver"] summary').click()
    window.get_by_label("窗口领取").check()
    window.get_by_label("领取人身份核验方式").fill("身份证原件核验")
    window.locator('[data-action="deliver"] button[type=submit]').click()
    status_is(window, "已办结")
    reload_until(clerk, lambda: status_is(clerk, "已办结", timeout=1_000), fed)
    expect(step(clerk, "结果已送达（窗口领取），办件已办结", "系统")).to_have_count(1)
    # 信阳's completion comes back too: both records hold the hand-out, 苏州's naming 信阳 as well.
    reload_until(window, lambda: expect(step(window, "办件已办结", "xinyang")).to_have_count(1, timeout=1_000), fed)

    # What the nodes hold says the same.
    there, here = case_row(xinyang, number), case_row(suzhou, number)
    assert (there["status"], there["channel"], there["origin_node"]) == ("completed", "proxy", "suzhou")
    assert there["dispatch"] == {"carrier": "EMS", "tracking_number": "EMS9876543210"}
    assert (here["status"], here["home_node"]) == ("completed", "xinyang")
    sent = [m for m in suzhou.outbox() if m["stream"] == f"case:{number}"]
    assert [m["type"] for m in sent] == ["case.transfer", "case.file", "case.delivered"]
    assert {m["state"] for m in sent} == {"delivered"}
    # The acts at 信阳, recorded at 苏州 with who did them there.
    acts = {"accept", "review", "approve", "issue", "deliver"}
    mirrored = [
        (e["action"], e["payload"].get("remote_actor"))
        for e in events(suzhou, here["id"])
        if e["payload"].get("node") == "xinyang" and e["action"] in acts
    ]
    assert mirrored == [
        ("accept", "clerk-xy"),
        ("review", "reviewer-xy"),
        ("approve", "head-xy"),
        ("issue", "clerk-xy"),
        ("deliver", "system"),
    ]


def test_an_applicant_in_suzhou_applies_online_for_a_xinyang_item(
    fed: Federation, login: Callable[[Node, str], Page], tmp_path: Path
) -> None:
    suzhou, xinyang = fed["suzhou"], fed["xinyang"]
    scan = tmp_path / "材料.pdf"
    scan.write_bytes(PDF)

    # 李强, on his own region's portal: the 信阳 guide, 在线申请, the form and both files, submitted.
    home = login(suzhou, "liqiang")
    home.goto(f"{suzhou.url}/")
    home.locator("#id_q").fill("公积金")
    home.locator("#id_q").press("Enter")
    found = home.locator(".result").filter(has_text=CENTRE)
    found.get_by_role("link", name=GUIDE["name"]).click()
    expect(home.locator(".lead")).to_contain_text("信阳市")
    home.locator(".key-facts .actions").get_by_role("link", name="在线申请").click()
    home.get_by_role("button", name="开始申请").click()
    home.get_by_label("收款银行账号").fill("6222000033334444")
    for upload in home.locator('#materials input[type="file"]').all():
        upload.set_input_files(str(scan))
    home.get_by_role("button", name="提交申请").click()
    expect(home.locator("#flash")).to_contain_text("申请已提交")
    status_is(home, "已转递办理地")
    number = home.locator("#case-number").inner_text()

    # At 信阳 it is an online case, submitted at node suzhou, in the clerk's queue.
    clerk = login(xinyang, "clerk-xy")
    clerk.goto(f"{xinyang.url}/cases/queue/")
    reload_until(clerk, lambda: expect(clerk.locator("#queue")).to_contain_text(number, timeout=1_000), fed)
    expect(clerk.locator("#queue tr").filter(has_text=number)).to_contain_text("全程网办 · 来自节点 suzhou")
    clerk.locator("#queue tr").filter(has_text=number).get_by_role("link", name=GUIDE["name"]).click()
    status_is(clerk, "待受理")
    expect(clerk.locator(".case-head")).to_contain_text("全程网办")
    expect(step(clerk, "申请人在节点 suzhou 网上提交，已转来本地办理", "suzhou")).to_have_count(1)
    expect(clerk.locator("#applicant")).to_contain_text(LI_QIANG[0])
    expect(clerk.locator("#application-title + dl")).to_contain_text("6222000033334444")
    reload_until(clerk, lambda: expect(clerk.locator("#materials .files a")).to_have_count(2, timeout=1_000), fed)
    act(clerk, "accept")
    status_is(clerk, "审查中")

    # At home, 李强 follows it: accepted at 信阳 (the node named, not the clerk).
    reload_until(home, lambda: status_is(home, "审查中", timeout=1_000), fed)
    expect(step(home, "已受理，开始计算办理时限", "节点 xinyang")).to_have_count(1)
    expect(home.locator("#timeline")).not_to_contain_text("clerk-xy")
    home.goto(f"{suzhou.url}/cases/mine/")
    expect(home.locator("#case-list tr").filter(has_text=number)).to_contain_text("审查中")

    there = case_row(xinyang, number)
    assert (there["status"], there["channel"], there["origin_node"]) == ("in_review", "online", "suzhou")
    assert case_row(suzhou, number)["status"] == "in_review"
