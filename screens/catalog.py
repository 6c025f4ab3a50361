from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from config.i18n import _
from kiosk.catalog import ServiceItem
from kiosk.elderly import elderly_items
from screens.base import KioskScreen
from screens.guide import GuideScreen
from screens.widgets.paged import Paged

ALL = "*"  # the option of every department


class CatalogScreen(KioskScreen):
    """Departments on the left, items on the right, a search box above: Chinese, pinyin initials or code."""

    TITLE = _("选择事项")
    STEP = "catalog"

    def __init__(self, for_applicant: bool) -> None:
        super().__init__()
        self.for_applicant = for_applicant

    def compose_body(self) -> ComposeResult:
        with Vertical(id="catalog"):
            with Horizontal(id="search-row"):
                yield Input(id="search", placeholder=self._("搜索：输入事项名称、拼音首字母（如 lnryd）或事项编码"))
                yield Button(self._("返回"), id="back", classes="back")
            with Horizontal(id="catalog-body"):
                yield OptionList(
                    Option(self._("全部事项"), id=ALL),
                    *[Option(self.content(d), id=d) for d in self.services.catalog.departments],
                    id="departments",
                )
                with Paged(self._("上一页"), self._("下一页")):
                    yield OptionList(id="items")
            yield Static(id="catalog-count")

    def on_mount(self) -> None:
        if self.for_applicant and self.visit.applicant is not None:
            self.query_one("#catalog-count", Static).update(
                self._("申请人：{name}", name=self.visit.applicant.masked_name)
            )
        if self.visit.elderly:  # fewer choices: what older residents come for, the rest by search
            self._show(self._allowed(elderly_items(self.services.catalog)), self._("长辈常办事项（其他事项请搜索）"))
        else:
            self._show(self._allowed(self.services.catalog), self._("全部事项"))
        self.query_one("#search", Input).focus()

    def _allowed(self, items) -> list[ServiceItem]:
        applicant = self.visit.applicant if self.for_applicant else None
        return [i for i in items if applicant is None or i.applicant == applicant.kind]

    def _show(self, items: list[ServiceItem], heading: str) -> None:
        listing = self.query_one("#items", OptionList)
        listing.clear_options()
        listing.add_options(
            Option(
                self._(
                    "{name}\n  {department} · {kind} · {limit}",
                    name=item.name,
                    department=item.department,
                    kind=item.kind.value,
                    limit=item.time_limit_label,
                ),
                id=item.code,
            )
            for item in items
        )
        listing.border_title = self._("{heading}（{n}项）", heading=heading, n=len(items))
        if not items:
            listing.add_option(Option(self._("没有找到相关事项。换个说法试试，或到咨询台询问。"), disabled=True))

    @on(Input.Changed, "#search")
    def search(self, event: Input.Changed) -> None:
        query = event.value.strip()
        if query:
            # The language's translator, not self.content: the index keeps a language's names by the callback.
            found = self.services.catalog.search(query, names=self.kiosk.translator.content)
            self._show(self._allowed(found), self._("“{query}”的搜索结果", query=query))
        else:
            self._show(self._allowed(self.services.catalog), self._("全部事项"))

    @on(Input.Submitted, "#search")
    def to_results(self) -> None:
        listing = self.query_one("#items", OptionList)
        listing.focus()
        if listing.option_count and listing.highlighted is None:
            listing.highlighted = 0

    @on(OptionList.OptionSelected, "#departments")
    def pick_department(self, event: OptionList.OptionSelected) -> None:
        department = event.option.id
        with self.prevent(Input.Changed):
            self.query_one("#search", Input).value = ""
        if department == ALL:
            self._show(self._allowed(self.services.catalog), self._("全部事项"))
        else:
            self._show(self._allowed(self.services.catalog.in_department(department)), self.content(department))

    @on(OptionList.OptionSelected, "#items")
    def pick_item(self, event: OptionList.OptionSelected) -> None:
        self.app.push_screen(GuideScreen(self.services.catalog[event.option.id]))

    @on(Button.Pressed, "#back")
    def back(self) -> None:
        if self.for_applicant:
            self.go_home()
        else:
            self.dismiss()
