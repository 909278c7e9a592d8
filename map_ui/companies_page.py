"""The property companies page: grades on a map and by count, 十佳十差, lists, the registry,
and (for those who assess) the quarter's score sheet. Data comes from the API; the ES module
map_ui/static/records/companies.js fills the page."""

from __future__ import annotations

from html import escape

from map_ui.records_page import page_shell
from service.domain.assessment import GRADE_CLASS_ZH

_HEAD = (
    '<link rel="stylesheet" href="/vendor/leaflet/dist/leaflet.css">'
    '<script src="/vendor/leaflet/dist/leaflet.js"></script>'
    "<style>#grade-map{height:420px;background:#fff;border-radius:.4rem}"
    ".legend span{display:inline-block;width:1rem;height:1rem;margin:0 .2rem 0 .8rem;"
    "vertical-align:middle}label:has(#quarter){display:inline-flex}#quarter{width:8rem}"
    "#decide{margin-left:1rem}"
    # the page's labels are display:block, which would override the hidden attribute
    "#score-form label[hidden]{display:none}</style>"
)


def render_companies_page(
    *,
    quarter: str,
    can_assess: bool,
    can_decide: bool,
    can_read_sheets: bool = False,
    shell: tuple[str, str] = ("", ""),
) -> str:
    """The page shell; `quarter` is the one shown first."""
    assess = ""
    if can_assess:
        assess = (
            '<section id="assess"><h2>季度考核评分</h2><form id="score-form">'
            '<label>小区 <select name="residential_area" required></select></label>'
            '<div id="items"></div>'
            # the owner-satisfaction item is filled from the 小区's surveys of the quarter
            '<p id="survey-basis" role="status"></p>'
            '<label id="override-box" hidden><input type="checkbox" id="override">'
            " 调整问卷得分（须填写理由）</label>"
            '<label id="reason-box" hidden><span id="reason-label">调整理由</span> '
            '<input name="satisfaction_reason" maxlength="500" size="40"></label>'
            '<label>佐证说明 <textarea name="evidence" rows="2" maxlength="4000">'
            "</textarea></label>"
            '<div class="actions"><button type="submit">提交评分</button>'
            '<span class="msg" id="score-msg" role="status"></span></div></form></section>'
        )
    sheets = (
        '<h2>本季度考核评分</h2><table id="sheets"><thead><tr><th>小区</th><th>企业</th>'
        "<th>总分</th><th>业主评价与满意度</th><th>得分依据</th></tr></thead><tbody></tbody>"
        "</table>"
        if can_read_sheets
        else ""
    )
    decide = (
        '<button type="button" id="decide">汇总评定本季度信用等级</button>'
        '<span class="msg" id="decide-msg" role="status"></span>'
        if can_decide
        else ""
    )
    body = (
        '<p><a href="/map">← 返回地图</a> · <a href="/residential-areas">小区台账</a> · '
        '<a href="/public">信息公开</a></p><h1>物业服务企业考核</h1>'
        f'<label>季度 <input id="quarter" value="{escape(quarter)}" pattern="[0-9]{{4}}Q[1-4]"'
        ' size="8"></label> '
        f"{decide}{assess}{sheets}"
        '<h2>按信用等级</h2><div class="legend" id="legend"></div><div id="grade-map"></div>'
        '<table id="grade-stats"><thead><tr><th>等级</th><th>小区</th><th>户数</th></tr></thead>'
        "<tbody></tbody></table>"
        '<h2>十佳 / 十差</h2><div id="ranking"></div>'
        '<h2>红黑榜</h2><ul id="lists"></ul>'
        '<h2>企业名录</h2><table id="registry"><thead><tr><th>企业</th><th>统一社会信用代码</th>'
        "<th>信用等级</th><th>服务小区</th><th>企业党组织</th><th>榜单</th></tr></thead>"
        "<tbody></tbody></table>"
    )
    config = {
        "quarter": quarter,
        "canAssess": can_assess,
        "canDecide": can_decide,
        "canReadSheets": can_read_sheets,
        "gradeClasses": GRADE_CLASS_ZH,
    }
    return page_shell(
        "物业服务企业考核", body, config=config, module="companies.js", head=_HEAD, shell=shell
    )
