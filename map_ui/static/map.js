/* wangge /map: thematic layers from vector tiles, clustered open reports, legends, popups and
 * drill-down. All text from the server is put into the page with textContent (never innerHTML). */
import { el, getJSON, statusZh } from '/static/common.js';
import { addBaseMap, addNames, displayFrame } from '/static/basemap.js';

const L = window.L;  // Leaflet and its plugins are classic scripts (npm, /vendor)
const config = JSON.parse(document.getElementById('map-config').textContent);
// WGS84 data drawn in the base map's frame (GCJ-02 for AutoNavi-style tiles)
const frame = displayFrame(config.basemap);
// /map?at=lat,lon (WGS84): open on one place, e.g. a 小区 listed on /stats
const focusAt = (function () {
  var at = new URLSearchParams(window.location.search).get('at');
  var p = at ? at.split(',').map(Number) : [];
  return p.length === 2 && p.every(Number.isFinite) ? p : null;
})();

var NO_DATA = ['__nodata', '无数据', '#bdbdbd'];
var GRADE_COLOURS = { A: '#1a9850', B: '#91cf60', C: '#fc8d59', D: '#d73027',
  no_company: '#9ecae1', none: '#525252' };
var THEMES = {
  property: {
    title: '小区 · 物业服务模式', field: 'property_service_mode',
    classes: [
      ['professional', '专业物业', '#1a9850'], ['large_scale', '大物业', '#66bd63'],
      ['quasi', '准物业', '#a6d96a'], ['unit_self', '单位自管', '#fee08b'],
      ['owner_self', '业主自管', '#fdae61'], ['emergency_custody', '应急托管', '#f46d43'],
      ['none', '无物业', '#d73027']]
  },
  party: {
    title: '小区 · 党组织', field: 'party_org_status',
    classes: [
      ['own_branch', '独立党支部', '#b2182b'], ['joint_branch', '联建党支部', '#ef8a62'],
      ['party_group', '党小组', '#fddbc7'], ['instructor_only', '仅党建指导员', '#d1e5f0'],
      ['none', '无党组织', '#4d4d4d']]
  },
  committee: {
    title: '小区 · 业主委员会', field: 'owners_committee_status',
    classes: [
      ['established', '已成立业委会', '#2166ac'], ['interim_committee', '物管会代行', '#67a9cf'],
      ['residents_committee_acting', '居委会代行', '#d1e5f0'], ['none', '未成立', '#ef8a62']]
  },
  // the seeds' party coverage: over the 小区 whose owners' committee is in office, those with a
  // party organisation proper (the rule comes from the server: config.partyCoverage)
  partyCoverage: {
    title: '小区 · 党组织覆盖（按业委会计）', note: true,
    classOf: function (p) {
      var rule = config.partyCoverage;
      if (rule.committees.indexOf(p.owners_committee_status) < 0) { return 'not_counted'; }
      return rule.orgs.indexOf(p.party_org_status) >= 0 ? 'covered' : 'gap';
    },
    classes: [
      ['covered', '业委会已建党组织', '#b2182b'], ['gap', '业委会未建党组织（应建）', '#f4a582'],
      ['not_counted', '无业委会（不计入）', '#f0f0f0']]
  },
  // the property company's current credit grade (its own tiles: company_grade)
  grade: {
    title: '小区 · 物业企业信用等级', field: 'grade', tiles: 'company_grade',
    classes: Object.keys(config.gradeClasses).map(function (code) {
      return [code, config.gradeClasses[code], GRADE_COLOURS[code]];
    })
  },
  renovation: {
    title: '老旧小区改造（仅老旧小区）', field: 'renovation_status',
    classes: [
      ['not_listed', '未列入', '#f0f0f0'], ['planned', '已列入计划（见年份）', '#fdd49e'],
      ['in_progress', '改造中', '#fc8d59'], ['completed', '已完工', '#7fcdbb'],
      ['accepted', '已验收', '#2c7fb8']]
  }
};
var FRESHNESS = [
  ['fresh', '7 天内巡查', '#1a9850', 0, 7], ['recent', '8–30 天', '#fee08b', 8, 30],
  ['stale', '超过 30 天', '#d73027', 31, Infinity]];

function colourOf(theme, value) {
  for (var i = 0; i < theme.classes.length; i++) {
    if (theme.classes[i][0] === value) { return theme.classes[i][2]; }
  }
  return NO_DATA[2];
}

function freshnessColour(days) {
  if (days === null || days === undefined) { return NO_DATA[2]; }
  for (var i = 0; i < FRESHNESS.length; i++) {
    if (days >= FRESHNESS[i][3] && days <= FRESHNESS[i][4]) { return FRESHNESS[i][2]; }
  }
  return FRESHNESS[0][2];
}

function legendBox(key, title, classes) {
  var box = el('div', { 'class': 'wg-legend', 'data-layer': key, hidden: 'hidden' });
  box.appendChild(el('div', { 'class': 'wg-legend-title' }, title));
  classes.concat([NO_DATA]).forEach(function (c) {
    var row = el('div', { 'class': 'wg-legend-row', 'data-class': c[0] });
    var swatch = el('span', { 'class': 'wg-swatch' });
    swatch.style.background = c[2];
    row.appendChild(swatch);
    row.appendChild(el('span', {}, c[1]));
    box.appendChild(row);
  });
  return box;
}

/* The jurisdiction's party coverage over owners' committees against this year's target. */
function partyCoverageNote() {
  var note = el('div', { 'class': 'wg-legend-note', id: 'party-coverage-note' }, '覆盖率计算中…');
  getJSON('/api/stats/party-coverage?level=street').then(function (d) {
    var t = d.totals;
    var pct = function (v) { return (v * 100).toFixed(1) + '%'; };
    note.textContent = t.rate === null ? '辖区内暂无业委会' :
      '覆盖率 ' + pct(t.rate) + '（' + t.with_party_org + ' / ' + t.committees + ' 个业委会）' +
      (t.target === null ? '' : '，' + d.year + ' 年目标 ' + pct(t.target) +
        (t.meets_target ? '，已达标' : '，差 ' + t.short_of_target + ' 个'));
    note.dataset.rate = t.rate === null ? '' : String(t.rate);
  }).catch(function () { note.textContent = '覆盖率暂不可用'; });
  return note;
}

function tileLayer(name, style, cfg, pane) {
  return L.vectorGrid.protobuf('/tiles/' + name + '/{z}/{x}/{y}.pbf' + frame.tileQuery, {
    vectorTileLayerStyles: (function () { var s = {}; s[name] = style; return s; })(),
    interactive: true,
    maxNativeZoom: 18,
    minZoom: 0,
    pane: pane || 'overlayPane',
    getFeatureId: function (f) { return f.properties.id; },
    fetchOptions: { credentials: 'same-origin' }
  });
}

function areaStyle(theme) {
  return function (p) {
    if (theme.field === 'renovation_status' && !p.renovation_eligible) {
      return { weight: 0, fill: false, opacity: 0, fillOpacity: 0 };
    }
    var value = theme.classOf ? theme.classOf(p) : p[theme.field];
    return { weight: 1, color: '#555', fill: true, fillColor: colourOf(theme, value),
      fillOpacity: 0.75 };
  };
}

function factRow(list, label, value) {
  var row = el('tr');
  row.appendChild(el('th', {}, label));
  row.appendChild(el('td', {}, value === null || value === undefined || value === '' ? '无数据' : value));
  list.appendChild(row);
}

function labelOf(theme, value) {
  for (var i = 0; i < theme.classes.length; i++) {
    if (theme.classes[i][0] === value) { return theme.classes[i][1]; }
  }
  return value;
}

function areaPopup(d) {
  var box = el('div', { 'class': 'wg-popup', 'data-kind': 'residential_area' });
  box.appendChild(el('h3', {}, d.name));
  var t = el('table');
  factRow(t, '编码', d.code);
  factRow(t, '街道 / 社区', d.street + ' / ' + d.community);
  factRow(t, '户数 / 楼栋', d.households + ' / ' + d.buildings);
  factRow(t, '建成年份', d.build_year);
  factRow(t, '物业服务', labelOf(THEMES.property, d.property_service_mode) +
    (d.property_company ? '（' + d.property_company + '，信用 ' + d.credit_grade + '）' : ''));
  factRow(t, '党组织', labelOf(THEMES.party, d.party_org_status));
  factRow(t, '业主委员会', labelOf(THEMES.committee, d.owners_committee_status));
  factRow(t, '老旧小区改造', d.renovation_eligible ?
    labelOf(THEMES.renovation, d.renovation_status) +
    (d.renovation_planned_year ? '（计划 ' + d.renovation_planned_year + ' 年）' : '') : '不属于老旧小区');
  box.appendChild(t);
  // the 小区 page holds the full record, its history and (for its editors) the form
  box.appendChild(el('a', { 'class': 'wg-record-link', href: '/residential-areas/' +
    encodeURIComponent(d.code) }, '小区台账（查看 / 编辑）'));
  box.appendChild(el('h4', {}, '最近事件'));
  var ul = el('ul', { 'class': 'wg-reports' });
  (d.recent_reports || []).forEach(function (r) {
    var li = el('li', { 'class': r.overdue ? 'overdue' : '' });
    li.appendChild(el('b', {}, r.category + ' · ' + statusZh(r.status) + (r.overdue ? ' · 已超期' : '')));
    li.appendChild(el('div', { 'class': 'wg-desc' }, r.description));
    ul.appendChild(li);
  });
  if (!ul.children.length) { ul.appendChild(el('li', {}, '暂无事件')); }
  box.appendChild(ul);
  return box;
}

function cellPopup(d) {
  var box = el('div', { 'class': 'wg-popup', 'data-kind': 'grid_cell' });
  box.appendChild(el('h3', {}, '网格 ' + d.code));
  var t = el('table');
  factRow(t, '社区', d.community);
  factRow(t, '专职网格员', d.primary_worker || '未配置');
  factRow(t, '户数', d.households);
  factRow(t, '最近巡查', d.last_patrol_at ? d.last_patrol_at.slice(0, 10) : '从未巡查');
  factRow(t, '未办结 / 超期事件', d.open_reports + ' / ' + d.overdue_reports);
  box.appendChild(t);
  return box;
}

function reportPopup(p) {
  var box = el('div', { 'class': 'wg-popup', 'data-kind': 'report' });
  box.appendChild(el('h3', {}, p.category + (p.overdue ? '（已超期）' : '')));
  box.appendChild(el('div', {}, '状态：' + statusZh(p.status) + ' · ' + String(p.created_at).slice(0, 10)));
  box.appendChild(el('div', { 'class': 'wg-desc' }, p.description));
  return box;
}

function openPopup(map, latlng, url, render) {
  getJSON(url).then(function (d) {
    L.popup({ maxWidth: 360 }).setLatLng(latlng).setContent(render(d)).openOn(map);
  }).catch(function () {
    L.popup().setLatLng(latlng).setContent(el('div', {}, '无法加载（不在辖区内或网络问题）')).openOn(map);
  });
}

function reportsLayer(map) {
  var cluster = L.markerClusterGroup({
    iconCreateFunction: function (c) {
      var overdue = c.getAllChildMarkers().some(function (m) { return m.options.overdue; });
      var div = el('div', {}, c.getChildCount());
      return L.divIcon({ html: div.outerHTML, className: 'wg-cluster' + (overdue ? ' overdue' : ''),
        iconSize: [34, 34] });
    }
  });
  var requestNo = 0;
  function reload() {
    if (!map.hasLayer(cluster)) { return; }
    var z = map.getZoom(), mine = ++requestNo;
    var bbox = frame.boundsToData(map.getBounds()).map(function (v) {
      return v.toFixed(6); }).join(',');
    getJSON('/api/map/reports?bbox=' + bbox + '&zoom=' + z).then(function (fc) {
      if (mine !== requestNo) { return; }
      cluster.clearLayers();
      fc.features.forEach(function (f) {
        var ll = frame.toDisplay(f.geometry.coordinates[1], f.geometry.coordinates[0]);
        var p = f.properties, m;
        if (fc.aggregated) {
          m = L.marker(ll, { overdue: p.overdue > 0, icon: L.divIcon({
            className: 'wg-bucket' + (p.overdue ? ' overdue' : ''), iconSize: [30, 30],
            html: el('div', {}, p.count).outerHTML }) });
          m.bindTooltip(p.count + ' 件未办结，其中超期 ' + p.overdue + ' 件');
        } else {
          m = L.circleMarker(ll, { radius: 7, weight: 2, color: p.overdue ? '#b30000' : '#08519c',
            fillColor: p.overdue ? '#fb6a4a' : '#6baed6', fillOpacity: 0.9, overdue: p.overdue });
          m.on('click', function () {
            L.popup().setLatLng(ll).setContent(reportPopup(p)).openOn(map);
          });
        }
        cluster.addLayer(m);
      });
    }).catch(function () { /* keep the previous markers */ });
  }
  map.on('moveend', reload);
  cluster.on('add', reload);
  return cluster;
}

function buildLayers(map, cfg) {
  map.createPane('cells').style.zIndex = 410;
  map.createPane('areas').style.zIndex = 420;
  var layers = {};
  Object.keys(THEMES).forEach(function (key) {
    var theme = THEMES[key];
    var layer = tileLayer(theme.tiles || 'residential_area', areaStyle(theme), cfg, 'areas');
    layer.on('click', function (e) {
      openPopup(map, e.latlng, '/api/map/residential-areas/' + e.layer.properties.id, areaPopup);
    });
    var legend = legendBox(key, theme.title, theme.classes);
    if (theme.note) { legend.appendChild(partyCoverageNote()); }
    layers[key] = { title: theme.title, layer: layer, legend: legend };
  });
  var cells = tileLayer('grid_cell', function (p) {
    return { weight: 1.5, color: p.primary_worker ? '#3f007d' : NO_DATA[2], fill: true,
      fillColor: p.primary_worker ? '#bcbddc' : NO_DATA[2], fillOpacity: 0.25 };
  }, cfg, 'cells');
  cells.on('click', function (e) {
    openPopup(map, e.latlng, '/api/map/grid-cells/' + e.layer.properties.id, cellPopup);
  });
  layers.cells = { title: '网格 · 专职网格员', layer: cells, legend: legendBox('cells',
    '网格（放大地图后显示）', [['assigned', '已配置专职网格员', '#bcbddc'],
      ['unassigned', '未配置专职网格员（灰色）', NO_DATA[2]]]) };
  var fresh = tileLayer('grid_cell', function (p) {
    return { weight: 1, color: '#666', fill: true, fillColor: freshnessColour(p.days_since_patrol),
      fillOpacity: 0.55 };
  }, cfg, 'cells');
  fresh.on('click', function (e) {
    openPopup(map, e.latlng, '/api/map/grid-cells/' + e.layer.properties.id, cellPopup);
  });
  layers.freshness = { title: '网格 · 巡查新鲜度', layer: fresh,
    legend: legendBox('freshness', '距上次巡查天数', FRESHNESS) };
  layers.reports = { title: '未办结事件', overlay: true, layer: reportsLayer(map), legend: legendBox('reports',
    '未办结事件（聚合显示）', [['open', '未办结', '#6baed6'], ['overdue', '已超期', '#fb6a4a']]) };
  return layers;
}

function layerPanel(map, layers, initial) {
  var panel = L.control({ position: 'topright' });
  panel.onAdd = function () {
    var box = el('div', { 'class': 'wg-panel', id: 'wg-layers' });
    box.appendChild(el('div', { 'class': 'wg-legend-title' }, '图层'));
    var legends = el('div', { 'class': 'wg-legends' });
    Object.keys(layers).forEach(function (key) {
      var item = layers[key];
      var label = el('label', { 'class': 'wg-toggle' });
      // thematic layers are radio buttons (one colouring at a time); overlays are checkboxes
      var input = el('input', item.overlay ? { type: 'checkbox', id: 'layer-' + key, 'data-layer': key }
        : { type: 'radio', name: 'theme', id: 'layer-' + key, 'data-layer': key });
      input.addEventListener('change', function () {
        if (!item.overlay) {
          Object.keys(layers).forEach(function (other) {
            var o = layers[other];
            if (other !== key && !o.overlay) { map.removeLayer(o.layer); o.legend.hidden = true; }
          });
        }
        if (input.checked) { item.layer.addTo(map); item.legend.hidden = false; } else {
          map.removeLayer(item.layer); item.legend.hidden = true; }
      });
      label.appendChild(input);
      label.appendChild(el('span', {}, item.title));
      box.appendChild(label);
      legends.appendChild(item.legend);
      if (initial.indexOf(key) >= 0) { input.checked = true; item.layer.addTo(map); item.legend.hidden = false; }
    });
    box.appendChild(legends);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  panel.addTo(map);
}

function bboxBounds(bbox) {
  var ring = bbox.coordinates[0];
  var lats = ring.map(function (p) { return p[1]; }), lons = ring.map(function (p) { return p[0]; });
  return [[Math.min.apply(null, lats), Math.min.apply(null, lons)],
    [Math.max.apply(null, lats), Math.max.apply(null, lons)]];
}

var DRILL = [['street', '街道'], ['community', '社区'], ['residential_area', '小区'], ['grid_cell', '网格']];

function drillPanel(map) {
  var panel = L.control({ position: 'topleft' });
  panel.onAdd = function () {
    var box = el('div', { 'class': 'wg-panel', id: 'wg-drill' });
    box.appendChild(el('div', { 'class': 'wg-legend-title' }, '逐级查看'));
    var selects = DRILL.map(function (d, i) {
      var s = el('select', { id: 'drill-' + d[0], 'data-level': d[0] });
      s.appendChild(el('option', { value: '' }, '全部' + d[1]));
      s.disabled = i > 0;
      box.appendChild(s);
      return s;
    });
    function fill(i, parent) {
      var s = selects[i];
      var url = '/api/map/units?level=' + DRILL[i][0] + (parent ? '&parent=' + parent : '');
      getJSON(url).then(function (data) {
        while (s.options.length > 1) { s.remove(1); }
        data.units.forEach(function (u) {
          var o = el('option', { value: u.id }, u.name);
          o.bbox = u.bbox;
          s.appendChild(o);
        });
        s.disabled = false;
        if (data.units.length === 1 && i < 2) {
          s.selectedIndex = 1;
          s.dataset.auto = '1';  // chosen for the user: no zoom when the page opened on a place
          s.dispatchEvent(new Event('change'));
          delete s.dataset.auto;
        }
      });
    }
    selects.forEach(function (s, i) {
      s.addEventListener('change', function () {
        for (var j = i + 1; j < selects.length; j++) {
          while (selects[j].options.length > 1) { selects[j].remove(1); }
          selects[j].disabled = true;
        }
        var opt = s.options[s.selectedIndex];
        if (!s.value) { return; }
        if (!(s.dataset.auto && focusAt)) {
          map.fitBounds(frame.boundsToDisplay(bboxBounds(opt.bbox)), { maxZoom: 18 });
        }
        if (i + 1 < selects.length) { fill(i + 1, s.value); }
      });
    });
    fill(0, null);
    L.DomEvent.disableClickPropagation(box);
    return box;
  };
  panel.addTo(map);
}

function boundaries(map, cfg) {
  var outline = tileLayer('street', { weight: 2.5, color: '#000', fill: false }, cfg);
  var comm = tileLayer('community', { weight: 1, color: '#444', dashArray: '4 3', fill: false }, cfg);
  outline.options.interactive = false;
  comm.options.interactive = false;
  outline.addTo(map);
  comm.addTo(map);
}


function init(map, cfg) {
  map.setMaxZoom(19);  // marker clustering needs a bounded zoom range
  map.setMinZoom(3);
  addBaseMap(map, cfg.basemap);
  L.control.scale({ metric: true, imperial: false }).addTo(map);
  if (focusAt) {
    map.setView(frame.toDisplay(focusAt[0], focusAt[1]), 17, { animate: false });
  } else if (cfg.extent) {
    map.fitBounds(frame.boundsToDisplay([[cfg.extent[1], cfg.extent[0]], [cfg.extent[3], cfg.extent[2]]]));
  }
  boundaries(map, cfg);
  var layers = buildLayers(map, cfg);
  layerPanel(map, layers, ['property']);
  drillPanel(map);
  var labels = addNames(map, frame);
  return { map: map, layers: layers, labels: labels, frame: frame };
}

/** Resolves to {map, layers} once the page is drawn (tests and other modules await it). */
export const ready = new Promise(function (resolve) {
  // folium's inline script has created the map before this (deferred) module runs
  resolve(init(window[config.map], config));
});

