/* The base map and the display frame every map page shares (docs/base-map.md).
 *
 * Data and the API are WGS84. With a GCJ-02 base map (AutoNavi-style tiles) everything we draw
 * is shifted into GCJ-02 for display, and positions the user picks are shifted back:
 *   const frame = displayFrame(cfg.basemap);  addBaseMap(map, cfg.basemap);
 *   L.geoJSON(data, { coordsToLatLng: frame.coordsToLatLng });   // draw
 *   const { lat, lng } = frame.toData(event.latlng);              // a click, in WGS84
 * Without a base map the map gets a plain background; names come from our own data. */
import { el, getJSON } from "/static/common.js";
import { gcj02ToWgs84, wgs84ToGcj02 } from "/static/datum.js";

const L = window.L;

/** The base map a server-rendered page carries in <script id="wg-basemap"> (the workbench,
 * the companies page; /map and /grids have it in their own configuration). */
export function pageBaseMap() {
  const tag = document.getElementById("wg-basemap");
  return tag ? JSON.parse(tag.textContent) : null;
}

/** Helpers to go between the data (WGS84) and what the map shows. */
export function displayFrame(basemap) {
  const shifted = !!basemap && basemap.crs === "gcj02";
  const toDisplay = (lat, lng) => {
    if (!shifted) return L.latLng(lat, lng);
    const [x, y] = wgs84ToGcj02(lng, lat);
    return L.latLng(y, x);
  };
  const toData = (latlng) => {
    if (!shifted) return { lat: latlng.lat, lng: latlng.lng };
    const [x, y] = gcj02ToWgs84(latlng.lng, latlng.lat);
    return { lat: y, lng: x };
  };
  return {
    shifted,
    toDisplay,
    toData,
    /** for L.geoJSON's coordsToLatLng option: [lon, lat] (WGS84) -> displayed LatLng */
    coordsToLatLng: (c) => toDisplay(c[1], c[0]),
    /** the query our vector tiles take to be drawn in the base map's frame */
    tileQuery: shifted ? "?crs=gcj02" : "",
    /** [[south, west], [north, east]] in WGS84 -> displayed bounds */
    boundsToDisplay: (b) => L.latLngBounds([toDisplay(b[0][0], b[0][1]), toDisplay(b[1][0], b[1][1])]),
    /** the map's displayed bounds -> [west, south, east, north] in WGS84 */
    boundsToData: (bounds) => {
      const sw = toData(bounds.getSouthWest()), ne = toData(bounds.getNorthEast());
      return [sw.lng, sw.lat, ne.lng, ne.lat];
    },
  };
}

/** Put the configured tiles under `map`; with none, a plain background (no request made). */
export function addBaseMap(map, basemap) {
  const layers = (basemap && basemap.layers) || [];
  map.getContainer().classList.toggle("wg-plain", layers.length === 0);
  for (const t of layers) {
    L.tileLayer(t.url, { subdomains: t.subdomains || "abc", maxZoom: 19,
      maxNativeZoom: t.maxZoom || 18, attribution: t.attribution || "" }).addTo(map);
  }
}

/** Names from our own data on `map`: streets, communities, 小区 and (close in) grid codes, each
 * at the zooms GET /api/map/labels gives it (docs/base-map.md); drawn in the display frame, as
 * text only. Offline or not allowed: the names already drawn stay. Returns the layer group. */
export function addNames(map, frame) {
  map.createPane("labels").style.zIndex = 640;
  map.getPane("labels").style.pointerEvents = "none";
  const group = L.layerGroup().addTo(map);
  let requestNo = 0;
  function reload() {
    const mine = ++requestNo;
    const bbox = frame.boundsToData(map.getBounds()).map((v) => v.toFixed(6));
    getJSON(`/api/map/labels?bbox=${bbox.join(",")}&zoom=${map.getZoom()}`).then((d) => {
      if (mine !== requestNo) return;
      group.clearLayers();
      for (const lb of d.labels) {
        const icon = L.divIcon({ className: `wg-label wg-label-${lb.level}`, iconSize: null,
          html: el("span", {}, lb.name).outerHTML });
        group.addLayer(L.marker(frame.toDisplay(lb.lat, lb.lon),
          { icon, interactive: false, keyboard: false, pane: "labels" }));
      }
    }).catch(() => { /* keep the names drawn */ });
  }
  map.on("moveend", reload);
  map.whenReady(reload);
  return group;
}
