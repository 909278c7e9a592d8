"""The residents' survey form behind a 小区's public link (phone-first, no script, escaped)."""

from __future__ import annotations

from html import escape
from typing import Any

from service.api.pages.shell import FAVICON
from service.domain.surveys import ANSWERS, QUESTIONS

_STYLE = """
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;background:#f3f5f7;
color:#222;line-height:1.5}
main{max-width:36rem;margin:0 auto;padding:1rem}
h1{font-size:1.25rem}.place{color:#555}
fieldset{border:0;background:#fff;border-radius:.5rem;margin:0 0 .8rem;padding:.6rem .8rem}
legend{font-weight:bold;padding:0}
label.choice{display:inline-flex;align-items:center;gap:.3rem;min-height:44px;margin-right:1rem}
input[type=radio]{width:1.3rem;height:1.3rem}
textarea{width:100%;box-sizing:border-box;font:inherit;min-height:5rem}
button{width:100%;min-height:48px;font-size:1.1rem;border:0;border-radius:.4rem;background:#1565c0;
color:#fff}
.error{color:#b71c1c;background:#ffebee;padding:.5rem;border-radius:.4rem}
.done{background:#e8f5e9;padding:1rem;border-radius:.5rem}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · 网格</title>"
        f'<link rel="icon" href="{FAVICON}" type="image/svg+xml"><style>{_STYLE}</style></head>'
        f"<body><main>{body}</main></body></html>"
    )


def _place(area: dict[str, Any]) -> str:
    return escape(f"{area['street_name']} · {area['community_name']} · {area['name']}")


def form_html(area: dict[str, Any], code: str, error: str = "") -> str:
    questions = []
    for key, label in QUESTIONS.items():
        choices = "".join(
            f'<label class="choice"><input type="radio" name="{key}" value="{value}" required>'
            f"{escape(text)}</label>"
            for value, text in ANSWERS.items()
        )
        questions.append(f"<fieldset><legend>{escape(label)}</legend>{choices}</fieldset>")
    warning = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    body = (
        "<h1>小区居民满意度调查</h1>"
        f'<p class="place">{_place(area)}</p>'
        "<p>本调查匿名填写，只记录您的选择和意见，用于评价物业服务和社区工作。</p>"
        f"{warning}"
        f'<form method="post" action="/survey/{escape(code)}">'
        + "".join(questions)
        + "<fieldset><legend>意见和建议（可不填）</legend>"
        '<textarea name="comment" maxlength="1000"></textarea></fieldset>'
        '<button type="submit">提交</button></form>'
    )
    return _page("小区居民满意度调查", body)


def thanks_html(area: dict[str, Any]) -> str:
    body = (
        "<h1>小区居民满意度调查</h1>"
        f'<p class="place">{_place(area)}</p>'
        '<p class="done" role="status">提交成功，感谢您的参与！</p>'
    )
    return _page("提交成功", body)
