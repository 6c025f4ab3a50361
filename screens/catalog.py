from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from kiosk.catalog import ServiceItem
from kiosk.elderly import elderly_items
from screens.base import KioskScreen
from screens.guide import GuideScreen

ALL = "全部事项"


class CatalogScreen(KioskScreen):
    """Departments on the left, items on the right, a search box above: Chinese, pinyin initials or code."""

    TITLE = "选择事项"
    STEP = "catalog"

    def __init__(self, for_applicant: bool) -> None:
        super().__init__()
        self.for_applicant = for_applicant

    def compose_body(self) -> ComposeResult:
        with Vertical(id="catalog"):
            with Horizontal(id="search-row"):
                yield Input(id="search", placeholder="搜索：输入事项名称、拼音首字母（如 lnryd）或事项编码")
                yield Button("返回", id="back", classes="back")
            with Horizontal(id="catalog-body"):
                yield OptionList(
                    *[Option(d, id=d) for d in [ALL, *self.services.catalog.departments]], id="departments"
                )
                yield OptionList(id="items")
            yield Static(id="catalog-count")

    def on_mount(self) -> None:
        if self.for_applicant and self.visit.applicant is not None:
            self.query_one("#catalog-count", Static).update(f"申请人：{self.visit.applicant.masked_name}")
        if self.visit.elderly:  # fewer choices: what older residents come for, the rest by search
            self._show(self._allowed(elderly_items(self.services.catalog)), "长辈常办事项（其他事项请搜索）")
        else:
            self._show(self._allowed(self.services.catalog), ALL)
        self.query_one("#search", Input).focus()

    def _allowed(self, items) -> list[ServiceItem]:
        applicant = self.visit.applicant if self.for_applicant else None
        return [i for i in items if applicant is None or i.applicant == applicant.kind]

    def _show(self, items: list[ServiceItem], heading: str) -> None:
        listing = self.query_one("#items", OptionList)
        listing.clear_options()
        listing.add_options(
            Option(
                f"{item.name}\n  {item.department} · {item.kind.value} · {item.time_limit_label}",
                id=item.code,
            )
            for item in items
        )
        listing.border_title = f"{heading}（{len(items)}项）"
        if not items:
            listing.add_option(Option("没有找到相关事项。换个说法试试，或到咨询台询问。", disabled=True))

    @on(Input.Changed, "#search")
    def search(self, event: Input.Changed) -> None:
        query = event.value.strip()
        if query:
            self._show(self._allowed(self.services.catalog.search(query)), f"“{query}”的搜索结果")
        else:
            self._show(self._allowed(self.services.catalog), ALL)

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
        items = self.services.catalog if department == ALL else self.services.catalog.in_department(department)
        self._show(self._allowed(items), department)

    @on(OptionList.OptionSelected, "#items")
    def pick_item(self, event: OptionList.OptionSelected) -> None:
        self.app.push_screen(GuideScreen(self.services.catalog[event.option.id]))

    @on(Button.Pressed, "#back")
    def back(self) -> None:
        if self.for_applicant:
            self.go_home()
        else:
            self.dismiss()
