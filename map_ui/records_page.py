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
main form{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:.6rem 1rem;
background:#fff;padding:1rem;border-radius:.4rem}
label{display:flex;flex-direction:column;font-size:.9rem;gap:.2rem}
input,select,textarea{font-size:1rem;padding:.35rem;border:1px solid #bbb;border-radius:.3rem}
fieldset{border:1px solid #ddd;border-radius:.3rem}fieldset label{flex-direction:row;gap:.3rem}
.actions{grid-column:1/-1;display:flex;gap:1rem;align-items:center}
main button{font-size:1rem;padding:.5rem 1.2rem;border:0;border-radius:.3rem;
background:#1565c0;color:#fff}
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


def page_shell(
    title: str,
    body: str,
    *,
    config: dict[str, Any],
    module: str,
    head: str = "",
    shell: tuple[str, str] = ("", ""),
) -> str:
    """A page of the records family: escaped title, `body` (already escaped HTML), the
    page's configuration as JSON for its ES module, and the module itself. `shell` is the
    shared header's (head tags, header) from service/api/pages/shell.py; the head tags carry
    the <title> then."""
    data = json.dumps(config, ensure_ascii=False).replace("</", "<\\/")
    shell_head, header = shell
    title_tags = shell_head or f"<title>{escape(title)}</title>"
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{title_tags}<style>{_STYLE}</style>{head}</head><body>{header}<main>"
        f"{body}"
        f'<script type="application/json" id="records-config">{data}</script>'
        f'<script type="module" src="/static/records/{escape(module)}"></script>'
        "</main></body></html>"
    )


def render_records_page(
    *,
    code: str,
    name: str,
    place: str,
    can_edit: bool,
    companies: list[str],
    shell: tuple[str, str] = ("", ""),
) -> str:
    """The HTML shell of one 小区's page."""
    save = (
        '<button type="submit">保存修改</button>' if can_edit else "<span>只读（无编辑权限）</span>"
    )
    body = (
        '<p><a href="/map">← 返回地图</a> · <a href="/residential-areas">小区台账</a></p>'
        f'<h1>{escape(name)}</h1><p class="sub">{escape(code)} · {escape(place)}</p>'
        '<ul class="flags" id="flags"></ul>'
        f'<form id="record-form" novalidate><div class="actions">{save}'
        '<span class="msg" id="msg" role="status"></span></div></form>'
        "<h2>修改记录</h2><table><thead><tr><th>时间</th><th>修改人</th><th>项目</th>"
        '<th>原值</th><th>新值</th></tr></thead><tbody id="history"></tbody></table>'
        '<section id="survey" hidden><h2>居民满意度调查</h2><p id="survey-tally"></p>'
        '<p>居民调查链接：<a id="survey-link" target="_blank" rel="noopener"></a> '
        '<button type="button" id="survey-make" hidden>生成调查链接</button></p>'
        '<p class="msg" id="survey-msg" role="status"></p></section>'
    )
    config = {"code": code, "canEdit": can_edit, "fields": field_specs(), "companies": companies}
    return page_shell(f"{name} · 小区台账", body, config=config, module="area.js", shell=shell)


def render_index_page(
    *, can_edit: bool, flags: dict[str, str], title: str, shell: tuple[str, str] = ("", "")
) -> str:
    """The list of 小区 in the jurisdiction with their flags, and the Excel round trip."""
    options = "".join(
        f'<option value="{escape(code)}">{escape(label)}</option>' for code, label in flags.items()
    )
    bulk = ""
    if can_edit:
        bulk = (
            '<section id="bulk"><h2>Excel 批量维护</h2>'
            '<p><a id="download" href="/api/residential-areas/sheet.xlsx">下载台账（.xlsx）</a>'
            " — 修改后上传：先检查，确认无误再写入（全部写入或全部不写）。</p>"
            '<form id="upload"><input type="file" name="file" accept=".xlsx" required>'
            '<button type="submit">检查（不写入）</button>'
            '<button type="button" id="apply" disabled>确认写入</button></form>'
            '<p class="msg" id="bulk-msg" role="status"></p>'
            '<table id="changes" hidden><thead><tr><th>行</th><th>小区编码</th><th>列</th>'
            "<th>原值</th><th>新值</th></tr></thead><tbody></tbody></table>"
            '<table id="refusals" hidden><thead><tr><th>行</th><th>小区编码</th><th>列</th>'
            "<th>原因</th></tr></thead><tbody></tbody></table></section>"
        )
    body = (
        f'<p><a href="/map">← 返回地图</a> · <a href="/companies">物业企业考核</a></p>'
        f"<h1>{escape(title)}</h1>{bulk}"
        '<h2>小区列表</h2><label>提醒：<select id="flag"><option value="">全部小区</option>'
        f'{options}</select></label> <span id="count"></span>'
        '<table id="areas"><thead><tr><th>小区</th><th>社区</th><th>物业服务模式</th>'
        "<th>物业服务企业</th><th>提醒</th></tr></thead><tbody></tbody></table>"
    )
    return page_shell(title, body, config={"canEdit": can_edit}, module="index.js", shell=shell)
