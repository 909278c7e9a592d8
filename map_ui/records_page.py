"""The 小区 page: the record as a form (for editors), flags and the attribute history.

The page is a shell: the record and its history come from /api/residential-areas/{code} (so
the page and the API never disagree), and map_ui/static/records/area.js (an ES module) fills
the form and sends the PATCH with If-Match. User text is escaped here and set as text there.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from service.domain.records import FIELDS

_STYLE = """
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;background:#f3f5f7;
color:#222}
main{max-width:56rem;margin:0 auto;padding:1rem}
h1{font-size:1.3rem;margin:.2rem 0}.sub{color:#555}
form{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:.6rem 1rem;
background:#fff;padding:1rem;border-radius:.4rem}
label{display:flex;flex-direction:column;font-size:.9rem;gap:.2rem}
input,select,textarea{font-size:1rem;padding:.35rem;border:1px solid #bbb;border-radius:.3rem}
fieldset{border:1px solid #ddd;border-radius:.3rem}fieldset label{flex-direction:row;gap:.3rem}
.actions{grid-column:1/-1;display:flex;gap:1rem;align-items:center}
button{font-size:1rem;padding:.5rem 1.2rem;border:0;border-radius:.3rem;background:#1565c0;
color:#fff}
.flags li{color:#b71c1c}.msg{min-height:1.2rem}.msg.error{color:#b71c1c}.msg.ok{color:#1b5e20}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.9rem}
th,td{border-bottom:1px solid #ddd;padding:.3rem;text-align:left}
"""


def field_specs() -> list[dict[str, Any]]:
    """The form's fields for the browser: name, kind, label and options (code → label)."""
    out = []
    for f in FIELDS:
        options = None
        if f.labels is not None:
            options = [
                [str(k).lower() if isinstance(k, bool) else k, v] for k, v in f.labels.items()
            ]
        out.append({"name": f.name, "kind": f.kind, "label": f.label_zh, "options": options})
    return out


def render_records_page(
    *, code: str, name: str, place: str, can_edit: bool, companies: list[str]
) -> str:
    """The HTML shell of one 小区's page."""
    config = json.dumps(
        {"code": code, "canEdit": can_edit, "fields": field_specs(), "companies": companies},
        ensure_ascii=False,
    ).replace("</", "<\\/")
    save = (
        '<button type="submit">保存修改</button>' if can_edit else "<span>只读（无编辑权限）</span>"
    )
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(name)} · 小区台账</title><style>{_STYLE}</style></head><body><main>"
        f'<p><a href="/map">← 返回地图</a></p><h1>{escape(name)}</h1>'
        f'<p class="sub">{escape(code)} · {escape(place)}</p>'
        '<ul class="flags" id="flags"></ul>'
        f'<form id="record-form" novalidate><div class="actions">{save}'
        '<span class="msg" id="msg" role="status"></span></div></form>'
        "<h2>修改记录</h2><table><thead><tr><th>时间</th><th>修改人</th><th>项目</th>"
        '<th>原值</th><th>新值</th></tr></thead><tbody id="history"></tbody></table>'
        f'<script type="application/json" id="records-config">{config}</script>'
        '<script type="module" src="/static/records/area.js"></script>'
        "</main></body></html>"
    )
