"""One resident's visit: who applies, for what, with which answers. Wiped whole when the visit ends.

>>> applicant = Applicant.from_card(card)
>>> application = Application(item, applicant)
>>> application.set_value("phone", "13800001234")   # returns an error message or None
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from config.i18n import SOURCE_LANGUAGE, _
from devices import IdentityCard
from kiosk.catalog import FieldType, FormField, Material, ServiceItem
from kiosk.identity import (
    IdentityError,
    check_credit_code,
    check_id_number,
    mask_address,
    mask_id_number,
    mask_name,
    mask_phone,
)
from kiosk.staff import CONSENT_TEXT, Agent
from offline_cache import NewSubmission, StoredSubmission

DELIVERY_LABELS = {"window": _("窗口领取"), "mail": _("免费邮寄到家")}
CASE_STAGES = (_("申请"), _("受理"), _("审核"), _("审批"), _("发证"))


def upload_state(saved: StoredSubmission) -> str:
    """Where a submission is on its way to the hall, for the resident."""
    if saved.state == "acknowledged":
        if saved.case_number:
            return _("✔ 政务服务中心已收到 · 受理号 {case_number}", case_number=saved.case_number)
        return _("✔ 政务服务中心已收到")
    if saved.state == "quarantined":
        return _("⚠ 上传时被退回，工作人员会处理，您的申请仍保存在本机，也可到窗口咨询")
    return _("已保存在本机，联网后自动上传到政务服务中心")


def payment_text(saved: StoredSubmission) -> str:
    """The fee of a submission and whether it is paid, for the resident; empty for nothing to pay here."""
    amount = saved.masked.get("fee", "")
    if not saved.masked.get("fee_cents"):
        return ""
    if saved.payment_state == "paid":
        return _("缴费：{amount} · 已缴费", amount=amount)
    return _("缴费：{amount} · 待缴费", amount=amount)


def materials_text(saved: StoredSubmission) -> str:
    """Where posted materials are (材料寄送中 / 材料已收到); empty when none were posted."""
    if not saved.masked.get("materials_by_post"):
        return ""
    return _("邮寄材料：已收到") if saved.materials_state == "received" else _("邮寄材料：寄送中，收到后开始办理")


def stage_text(stage: str) -> str:
    """``受理（第2步，共5步）`` for a stage of the hall's five."""
    if stage not in CASE_STAGES:
        return stage
    n = CASE_STAGES.index(stage)
    return _("{stage}（第{n}步，共{total}步）", stage=CASE_STAGES[n], n=n + 1, total=len(CASE_STAGES))


@dataclass
class Visit:
    """Everything the kiosk knows about the person in front of it; dropped whole when the visit ends."""

    applicant: Applicant | None = None
    application: Application | None = None
    saved: StoredSubmission | None = None
    elderly: bool = False  # 长辈模式 for this session: larger, slower, spoken
    high_contrast: bool = False  # the high-contrast theme for this session
    language: str = SOURCE_LANGUAGE  # the interface language chosen on the welcome screen, for this session


# Constructed, not validated, so its label stays interface text that each language says in its own words.
MAIL_PHONE = FormField.model_construct(key="mail_phone", label=_("收件电话"), type=FieldType.PHONE)

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")


@dataclass(frozen=True, slots=True)
class Applicant:
    """The person or organisation the application is for, identified by one number (一号)."""

    kind: Literal["person", "organisation"]
    name: str
    number: str
    source: Literal["card", "typed"]
    birth_date: date | None = None
    sex: str = ""
    address: str = ""
    number_verified: bool = True

    @classmethod
    def from_card(cls, card: IdentityCard) -> Applicant:
        return cls("person", card.name, card.id_number, "card", card.birth_date, card.sex, card.address)

    @classmethod
    def typed_person(cls, name: str, number: str, today: date) -> Applicant:
        """Raise :class:`IdentityError` when the name is empty or the number fails its check."""
        checked = check_id_number(number, today)
        if not name.strip():
            raise IdentityError(_("请输入姓名"))
        return cls("person", name.strip(), checked.value, "typed", checked.birth_date, checked.sex)

    @classmethod
    def typed_organisation(cls, name: str, code: str) -> Applicant:
        """An organisation by credit code. A pilot code whose check fails is kept, flagged for staff."""
        checked = check_credit_code(code)
        if not name.strip():
            raise IdentityError(_("请输入单位名称"))
        return cls("organisation", name.strip(), checked.value, "typed", number_verified=checked.verified)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name) if self.kind == "person" else self.name

    @property
    def masked_number(self) -> str:
        return mask_id_number(self.number)


def check_field(spec: FormField, raw: str, today: date) -> tuple[str, str | None]:
    """Normalise one answer; return it with an error message for the resident, or None when it is fine."""
    value = raw.strip()
    if not value:
        if not spec.required:
            return "", None
        return "", (
            _("请选择{label}", label=spec.label)
            if spec.type is FieldType.CHOICE
            else _("请填写{label}", label=spec.label)
        )
    if len(value) > spec.max_length:
        return value, _("{label}最多{n}个字", label=spec.label, n=spec.max_length)
    match spec.type:
        case FieldType.NUMBER if not _NUMBER.match(value):
            return value, _("{label}只能填数字", label=spec.label)
        case FieldType.PHONE:
            compact = value.replace(" ", "")
            if not (_MOBILE.match(compact) or _LANDLINE.match(compact)):
                return value, _("{label}应为11位手机号或带区号的固定电话", label=spec.label)
            return compact, None
        case FieldType.DATE:
            try:
                parsed = date.fromisoformat(value) if "-" in value else datetime.strptime(value, "%Y%m%d").date()
            except ValueError:
                return value, _("{label}请按 年-月-日 填写，例如 2024-03-05", label=spec.label)
            return parsed.isoformat(), None
        case FieldType.CHOICE if value not in spec.options:
            return value, _("请选择{label}", label=spec.label)
        case FieldType.ID_NUMBER:
            try:
                return check_id_number(value, today).value, None
            except IdentityError as exc:
                return value, _("{label}：{problem}", label=spec.label, problem=exc)
        case FieldType.CREDIT_CODE:
            try:
                return check_credit_code(value).value, None
            except IdentityError as exc:
                return value, _("{label}：{problem}", label=spec.label, problem=exc)
    return value, None


@dataclass
class Application:
    """An application being filled in. Nothing is stored until :meth:`to_submission`."""

    item: ServiceItem
    applicant: Applicant
    values: dict[str, str] = field(default_factory=dict)
    materials: set[str] = field(default_factory=set)
    delivery: str = ""
    mail_address: str = ""
    mail_phone: str = ""  # the courier's number for the applicant: asked only when the result is mailed
    post_materials: bool = False  # the materials not brought go by free post (邮寄材料), where the item allows
    reused: set[str] = field(default_factory=set)  # materials the hall has on file that the applicant reuses
    agent: Agent | None = None  # the member of staff filing on the applicant's behalf (代办)
    consent_at: datetime | None = None  # when the applicant confirmed the agent in person

    def file_on_behalf(self, agent: Agent, consent_at: datetime) -> None:
        """Record that ``agent`` files this, with the applicant's in-person consent given at ``consent_at``."""
        self.agent, self.consent_at = agent, consent_at

    def __post_init__(self) -> None:
        self.delivery = self.delivery or self.item.delivery[0]

    def set_values(self, answers: dict[str, str], today: date) -> dict[str, str]:
        """Check every form field of the item; keep the normalised answers; return errors by field key."""
        errors: dict[str, str] = {}
        for spec in self.item.form:
            value, error = check_field(spec, answers.get(spec.key, ""), today)
            self.values[spec.key] = value
            if error:
                errors[spec.key] = error
        return errors

    def set_delivery(self, delivery: str, mail_address: str = "", mail_phone: str = "") -> str | None:
        """Choose how the result reaches the applicant; return an error message or None. Mail needs the full
        address and a number the courier can call."""
        if delivery not in self.item.delivery:
            return _("请选择取件方式")
        self.delivery, self.mail_address = delivery, mail_address.strip()
        if delivery != "mail":
            self.mail_phone = ""
            return None
        if len(self.mail_address) < 6:
            return _("选择邮寄时请填写完整的收件地址")
        self.mail_phone, error = check_field(MAIL_PHONE, mail_phone, date.min)
        return error

    @property
    def applicable_materials(self) -> tuple[Material, ...]:
        """The item's materials this applicant needs, by the answers given so far (损坏的户口簿 not when the
        booklet was lost), in the guide's order."""
        return self.item.materials_for(self.values)

    @property
    def outstanding_materials(self) -> list[Material]:
        """The applicable materials neither ticked as brought nor reused from the hall's file, in the guide's
        order."""
        return [m for m in self.applicable_materials if m.name not in self.materials and m.name not in self.reused]

    @property
    def missing_materials(self) -> list[Material]:
        """What is still missing (told all at once: 一次性告知); nothing when the rest goes by post."""
        return [] if self.post_materials else self.outstanding_materials

    @property
    def materials_to_post(self) -> list[Material]:
        """What the applicant posts to the hall with the mailing slip (邮寄材料)."""
        return self.outstanding_materials if self.post_materials else []

    def decision(self, today: date) -> tuple[bool, str] | None:
        """The instant decision (秒批), if the item has a rule, the applicant's birth date is known and every
        material is here: an application with materials to follow (or in the post) goes to a window instead."""
        if self.item.instant is None or self.applicant.birth_date is None or self.outstanding_materials:
            return None
        return self.item.decide(self.applicant.birth_date, today)

    def blocked_reason(self, today: date) -> str | None:
        """Why this application cannot be filed here, or None."""
        if self.item.applicant != self.applicant.kind:
            if self.item.applicant == "person":
                return _("该事项需以个人（身份证）身份办理")
            return _("该事项需以单位（统一社会信用代码）身份办理")
        if self.item.instant is not None and self.applicant.birth_date is None:
            return _("该事项需要读取或输入身份证号码以核验年龄")
        decision = self.item.decide(self.applicant.birth_date, today) if self.applicant.birth_date else None
        if decision is not None and not decision[0]:
            return _("{refusal}", refusal=decision[1])  # the catalog's own words, in the visit's language
        return None

    def answers_for_display(self) -> list[tuple[str, str]]:
        """Label and answer of each form field, phone numbers masked (the screen may be overlooked)."""
        shown = []
        for spec in self.item.form:
            value = self.values.get(spec.key, "")
            if spec.type is FieldType.PHONE and value:
                value = mask_phone(value)
            elif spec.type is FieldType.ID_NUMBER and value:
                value = mask_id_number(value)
            shown.append((spec.label, value or _("（未填）")))
        return shown

    def to_submission(self, now: datetime, expected: date, estimated: bool, applicant_key: str = "") -> NewSubmission:
        """The store's record: masked facts in clear for reprints, everything personal in the payload; an instant
        grant is filed at the last stage, anything else at the first."""
        decision = self.decision(now.date())
        missing = [m.name for m in self.missing_materials]
        to_post = [m.name for m in self.materials_to_post]
        reused = sorted(self.reused)
        masked = {
            "item_code": self.item.code,
            "item_name": self.item.name,
            "applicant": self.applicant.masked_name,
            "number": self.applicant.masked_number,
            "materials": sorted(self.materials),
            "delivery": self.delivery,
            "promised_days": self.item.promised_days,
            "expected": expected.isoformat(),
            "expected_is_estimate": estimated,
            "decision": decision[1] if decision else "",
            "instant_granted": bool(decision and decision[0]),
            "missing_materials": missing,
            "materials_by_post": to_post,
            "reused_materials": reused,
            "fee": self.item.fee.amount,
            "fee_cents": self.item.fee.cents,
        }
        if self.delivery == "mail":
            masked["mail_to"] = {"address": mask_address(self.mail_address), "phone": mask_phone(self.mail_phone)}
        if self.agent is not None:
            if self.consent_at is None:
                raise ValueError("a filing by staff needs the applicant's consent")
            masked["agent"] = {"id": self.agent.id, "name": self.agent.name, "consent": CONSENT_TEXT}
        payload = {
            "applicant": {
                "kind": self.applicant.kind,
                "name": self.applicant.name,
                "number": self.applicant.number,
                "source": self.applicant.source,
                "number_verified": self.applicant.number_verified,
                "address": self.applicant.address,
            },
            "item_code": self.item.code,
            "members": list(self.item.members),
            "values": dict(self.values),
            "materials": sorted(self.materials),
            "missing_materials": missing,
            "materials_by_post": to_post,
            "reused_materials": reused,
            "delivery": self.delivery,
            "mail_address": self.mail_address if self.delivery == "mail" else "",
            "mail_phone": self.mail_phone if self.delivery == "mail" else "",
            "instant_approved": decision[0] if decision else None,
        }
        if self.agent is not None:
            payload["agent"] = {
                "id": self.agent.id,
                "name": self.agent.name,
                "consent": CONSENT_TEXT,
                "consent_at": self.consent_at.isoformat(timespec="seconds"),
            }
        stage = CASE_STAGES[-1] if masked["instant_granted"] else CASE_STAGES[0]
        return NewSubmission(
            str(uuid.uuid4()), self.item.code, self.item.name, now, masked, payload, stage, applicant_key
        )
