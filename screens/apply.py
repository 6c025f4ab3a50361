from __future__ import annotations

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, RadioButton, RadioSet, Static

from config.i18n import _
from kiosk.application import DELIVERY_LABELS, MAIL_PHONE, Application
from kiosk.catalog import FieldType, FormField
from screens.base import KioskScreen
from screens.number_entry import NumberEntry
from screens.review import ReviewScreen
from screens.widgets.paged import Paged

_PLACEHOLDERS = {
    FieldType.DATE: _("年-月-日，例如 2024-03-05"),
    FieldType.PHONE: _("11位手机号"),
    FieldType.ID_NUMBER: _("18位身份证号码"),
    FieldType.CREDIT_CODE: _("18位统一社会信用代码"),
    FieldType.NUMBER: _("只填数字"),
}
# Fields that elderly mode fills on a large keypad rather than by typing.
_KEYED = {FieldType.PHONE, FieldType.NUMBER, FieldType.ID_NUMBER}


class ApplyScreen(KioskScreen):
    """The item's form, the materials checklist and how the result reaches the applicant.

    A choice is a row of radio buttons, every option in sight and one tap away (no drop-down to open).
    """

    TITLE = _("填写申请")
    STEP = "apply"

    @property
    def application(self) -> Application:
        return self.visit.application

    def compose_body(self) -> ComposeResult:
        app = self.application
        yield Static(
            self._("{item}　申请人：{name}", item=app.item.name, name=app.applicant.masked_name), id="item-name"
        )
        with Paged(self._("上一页"), self._("下一页")), VerticalScroll(id="apply-form"):
            if app.item.form:
                yield Static(self._("一、填写信息（带 * 为必填）"), classes="section")
            for spec in app.item.form:
                yield Label(f"{self.content(spec.label)}{' *' if spec.required else ''}", classes="field-label")
                yield from self._field(spec, app.values.get(spec.key, ""))
                yield Static(id=f"e-{spec.key}", classes="error")
            if app.item.materials:
                yield Static(self._("二、请勾选您带来的材料（核对后交窗口或放入材料柜）"), classes="section")
                yield Static(self._("正在查询您在政务服务中心已存档的材料…"), id="on-file", classes="hint")
                if app.item.materials_by_post:
                    with RadioSet(id="post-materials"):
                        yield RadioButton(self._("带来的材料现场交"), not app.post_materials, name="here")
                        yield RadioButton(
                            self._("没带的材料免费邮寄（提交后打印邮寄单）"), app.post_materials, name="post"
                        )
                for material in app.item.materials:
                    yield Checkbox(
                        self._(
                            "{name}（{form}，{reuse}）",
                            name=material.name,
                            form=material.form,
                            reuse=material.reuse.label,
                        ),
                        material.name in app.materials,
                        name=material.name,
                        classes="material",
                    )
            yield Static(self._("三、结果领取方式"), classes="section")
            with RadioSet(id="delivery"):
                for option in app.item.delivery:
                    yield RadioButton(self._(DELIVERY_LABELS[option]), option == app.delivery, name=option)
            yield Label(self._("邮寄地址"), classes="field-label mail")
            yield Input(app.mail_address or app.applicant.address, id="mail-address", max_length=80, classes="mail")
            yield Label(self._(MAIL_PHONE.label), classes="field-label mail")
            yield from self._field(MAIL_PHONE, app.mail_phone, classes="mail")
            yield Static(id="e-delivery", classes="error")
        with Horizontal(classes="actions"):
            yield Button(self._("返回"), id="back", classes="back")
            yield Button(self._("下一步：核对"), id="next", classes="primary")

    def _field(self, spec: FormField, value: str, classes: str = "") -> ComposeResult:
        """The input of one field: radio buttons for a choice; a text field, with a large keypad beside it in
        elderly mode for numbers."""
        if spec.type is FieldType.CHOICE:
            labels = [self.content(option) for option in spec.options]
            longest = max(cell_len(label) for label in labels)
            columns = 3 if longest <= 22 else 2 if longest <= 36 else 1  # every option read whole
            with RadioSet(id=f"f-{spec.key}", classes=f"choice columns-{columns} {classes}".strip()):
                for option, label in zip(spec.options, labels, strict=True):  # the answer kept as the catalog says
                    yield RadioButton(label, option == value, name=option)
            return
        placeholder = self.content(spec.hint) if spec.hint else self._(_PLACEHOLDERS.get(spec.type, ""))
        field = Input(value, id=f"f-{spec.key}", max_length=spec.max_length, placeholder=placeholder)
        if not (self.visit.elderly and spec.type in _KEYED):
            field.add_class(*classes.split())
            yield field
            return
        with Horizontal(classes=f"keyed {classes}".strip()):
            yield field
            yield Button(self._("按键输入"), id=f"pad-{spec.key}", classes="pad", name=spec.key)

    def on_mount(self) -> None:
        self._show_mail(self.application.delivery == "mail")
        self._show_applicable()
        if fields := self.query("#apply-form Input, #apply-form RadioSet"):
            fields.first().focus()
        if self.application.item.materials:
            self.ask_materials_on_file()

    @work(thread=True, exclusive=True, group="on-file", exit_on_error=False)
    def ask_materials_on_file(self) -> None:
        """材料复用: the hall says which of this item's materials it holds for the applicant; offline nothing is
        assumed and the resident is told."""
        found = self.services.materials_on_file(self.application)
        self.app.call_from_thread(self._show_on_file, found)

    def _show_on_file(self, found: list[dict] | None) -> None:
        note = self.query_one("#on-file", Static)
        if found is None:
            note.update(self._("暂时连不上政务服务中心，查不到已存档的材料，请按清单带齐材料。"))
            return
        boxes = {box.name: box for box in self.query(".material").results(Checkbox)}
        for record in found:
            box = boxes.get(record["material"])
            if box is None:
                continue
            if record["reuse"] == "at_choice":  # the resident decides: ticking this box uses the copy on file
                box.add_class("reuse-choice")
                box.label = self._("{name}：已存档，勾选即复用存档，无需再交", name=record["material"])
                continue
            self.application.reused.add(record["material"])
            box.value, box.disabled = True, True
            if record.get("valid_until"):
                box.label = self._(
                    "{name}：已存档，无需再交（有效期至 {date}）", name=record["material"], date=record["valid_until"]
                )
            else:
                box.label = self._("{name}：已存档，无需再交", name=record["material"])
        note.update(self._("已存档的材料已标出。") if found else self._("您在政务服务中心还没有可复用的存档材料。"))

    def job_failed(self, group: str) -> bool:
        if group == "on-file":
            self._show_on_file(None)
        return group == "on-file"

    def _show_mail(self, show: bool) -> None:
        for widget in self.query(".mail"):
            widget.display = show

    @on(RadioSet.Changed, ".choice")
    def choice_changed(self) -> None:
        self._show_applicable()

    def _show_applicable(self) -> None:
        """Only the materials the answers chosen so far call for: once she says her booklet was lost, the
        checklist no longer asks for the damaged one."""
        app = self.application
        answers = {spec.key: self._answer(spec) for spec in app.item.form if spec.type is FieldType.CHOICE}
        needed = {m.name for m in app.item.materials_for(answers)}
        for box in self.query(".material").results(Checkbox):
            box.display = box.name in needed

    @on(RadioSet.Changed, "#delivery")
    def delivery_changed(self, event: RadioSet.Changed) -> None:
        self._show_mail(event.pressed.name == "mail")
        courier = self.query_one("#f-mail_phone", Input)
        if event.pressed.name == "mail" and not courier.value:  # the form's phone number, which the courier may use
            phone = next((s for s in self.application.item.form if s.type is FieldType.PHONE), None)
            courier.value = self._answer(phone) if phone else ""

    @on(Button.Pressed, ".pad")
    def keypad(self, event: Button.Pressed) -> None:
        key = event.button.name
        spec = MAIL_PHONE if key == MAIL_PHONE.key else next(s for s in self.application.item.form if s.key == key)
        field = self.query_one(f"#f-{key}", Input)

        def keyed(value: str | None) -> None:
            if value is not None:
                field.value = value

        title = self.content(spec.label) if spec is not MAIL_PHONE else self._(spec.label)
        self.app.push_screen(
            NumberEntry(title, field.value, spec.max_length, with_x=spec.type is FieldType.ID_NUMBER), keyed
        )

    def _answer(self, spec: FormField) -> str:
        """What the resident has given for ``spec`` so far: a choice by its catalog text, "" for none."""
        widget = self.query_one(f"#f-{spec.key}")
        if isinstance(widget, RadioSet):
            return widget.pressed_button.name if widget.pressed_button else ""
        return widget.value

    @on(Button.Pressed, "#back")
    def back(self) -> None:
        self.dismiss()

    @on(Button.Pressed, "#next")
    def next(self) -> None:
        app = self.application
        errors = app.set_values({spec.key: self._answer(spec) for spec in app.item.form}, self.services.today())
        for spec in app.item.form:
            error = errors.get(spec.key)
            self.query_one(f"#e-{spec.key}", Static).update(f"⚠ {self._(error)}" if error else "")
        needed = {m.name for m in app.applicable_materials}  # a box ticked, then hidden by an answer, counts not
        listed = [box for box in self.query(".material").results(Checkbox) if box.name in needed]
        boxes = [box for box in listed if box.value and not box.disabled]
        app.materials = {box.name for box in boxes if not box.has_class("reuse-choice")}
        on_file = {box.name for box in listed if box.disabled}
        app.reused = on_file | {box.name for box in boxes if box.has_class("reuse-choice")}
        if posting := self.query("#post-materials"):
            pressed = posting.first(RadioSet).pressed_button
            app.post_materials = pressed is not None and pressed.name == "post"
        pressed = self.query_one("#delivery", RadioSet).pressed_button
        delivery_error = app.set_delivery(
            pressed.name if pressed else "", self.query_one("#mail-address", Input).value, self._answer(MAIL_PHONE)
        )
        self.query_one("#e-delivery", Static).update(f"⚠ {self._(delivery_error)}" if delivery_error else "")
        if errors or delivery_error:
            first = next(iter(errors), None)
            self.query_one(f"#f-{first}" if first else "#mail-address").focus()
            self.notify(self._("还有信息需要补充或更正，请看红色提示"), severity="warning")
            return
        self.app.push_screen(ReviewScreen())
