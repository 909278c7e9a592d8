"""Small server-rendered pages (login, account); every interpolated value is escaped."""

from __future__ import annotations

from html import escape

_STYLE = """
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;
background:#f3f5f7;color:#222}
main{max-width:22rem;margin:0 auto;padding:2rem 1rem}
h1{font-size:1.4rem;text-align:center}
label{display:block;margin:.8rem 0 .2rem}
input{width:100%;box-sizing:border-box;font-size:1.1rem;padding:.6rem;border:1px solid #bbb;
border-radius:.4rem}
button{width:100%;margin-top:1.2rem;font-size:1.1rem;padding:.7rem;border:0;border-radius:.4rem;
background:#1565c0;color:#fff}
.error{background:#fdecea;color:#b71c1c;padding:.6rem;border-radius:.4rem}
"""


def page_html(title: str, body: str) -> str:
    """A complete mobile-friendly page; `body` must already be escaped HTML."""
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · 网格</title>"
        '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
        f"<style>{_STYLE}</style></head>"
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )


def login_form_html(*, next_url: str, csrf: str, error: str, username: str) -> str:
    error_html = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    body = (
        f"{error_html}"
        '<form method="post" action="/login" autocomplete="on">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'<input type="hidden" name="next" value="{escape(next_url)}">'
        '<label for="username">用户名</label>'
        f'<input id="username" name="username" value="{escape(username)}" required'
        ' autocapitalize="off" autocomplete="username">'
        '<label for="password">密码</label>'
        '<input id="password" name="password" type="password" required'
        ' autocomplete="current-password">'
        '<button type="submit">登录</button></form>'
    )
    return page_html("网格管理 登录", body)


ROLE_LABELS_ZH = {
    "grid_worker": "网格员",
    "community_staff": "社区物业专干",
    "street_office": "街道办",
    "district_bureau": "区住建局",
    "department": "职能部门",
    "planner": "规划分析",
    "admin": "系统管理员",
}
LEVEL_LABELS_ZH = {"all": "全部", "district": "区/县", "street": "街道", "community": "社区"}
