"""What the kiosk says aloud: fixed prompts, one a step, spoken by the speaker (``devices/speaker.py``) in the
visit's language. A prompt never carries anything of the resident, so it may be logged and spoken aloud.

    >>> app.say(PROMPTS["identify"])
"""

from __future__ import annotations

from config.i18n import _

PROMPTS: dict[str, str] = {
    "welcome": _("您好，已进入长辈模式。请点击要办理的事情。"),
    "identify": _("请把身份证放在读卡区。"),
    "catalog": _("请点击要办理的事情。"),
    "guide": _("请看要带的材料，要办理请点我要办理。"),
    "apply": _("请填写联系电话，勾选带来的材料。"),
    "review": _("请核对信息，没有问题请点确认提交。"),
    "done": _("提交成功，请取走回执。"),
    "queue": _("请点要办的业务，然后取走排队号。"),
    "progress": _("请扫描回执上的二维码，或输入流水号。"),
    "evaluate": _("请为这次服务打分，点一下您的选择。"),
    "idle_warning": _("您还在办理吗？如需继续，请点屏幕。"),
    "wiped": _("本次办理已结束。"),
    "restarted": _("系统刚重新启动，请稍候，或请工作人员帮助。"),
    "take_card": _("请取走您的身份证。"),
}
