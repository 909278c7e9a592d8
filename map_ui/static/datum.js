/* WGS84 <-> GCJ-02 in the browser, the same published formula as service/domain/coords.py:
 * the forward offset is closed-form; the inverse is solved by fixed-point iteration
 * (better than 1e-9 degrees). Outside the formula's China box the offset is zero. */

const A = 6378245.0;
const EE = 0.006693421622965943;
const CHINA_LON = [72.004, 137.8347];
const CHINA_LAT = [0.8293, 55.8271];

function inChina(lon, lat) {
  return lon >= CHINA_LON[0] && lon <= CHINA_LON[1] && lat >= CHINA_LAT[0] && lat <= CHINA_LAT[1];
}

function shiftLat(x, y) {
  let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
  r += (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
  r += (160.0 * Math.sin(y / 12.0 * Math.PI) + 320.0 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
  return r;
}

function shiftLon(x, y) {
  let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
  r += (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
  r += (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
  return r;
}

/** [lon, lat] WGS84 -> [lon, lat] GCJ-02. */
export function wgs84ToGcj02(lon, lat) {
  if (!inChina(lon, lat)) return [lon, lat];
  let dlat = shiftLat(lon - 105.0, lat - 35.0);
  let dlon = shiftLon(lon - 105.0, lat - 35.0);
  const rad = lat / 180.0 * Math.PI;
  const magic = 1.0 - EE * Math.sin(rad) ** 2;
  const sqrtMagic = Math.sqrt(magic);
  dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrtMagic) * Math.PI);
  dlon = (dlon * 180.0) / (A / sqrtMagic * Math.cos(rad) * Math.PI);
  return [lon + dlon, lat + dlat];
}

/** [lon, lat] GCJ-02 -> [lon, lat] WGS84 (iterated inverse). */
export function gcj02ToWgs84(lon, lat) {
  let [x, y] = [lon, lat];
  for (let i = 0; i < 30; i++) {
    const [fx, fy] = wgs84ToGcj02(x, y);
    const ex = fx - lon, ey = fy - lat;
    x -= ex;
    y -= ey;
    if (Math.abs(ex) < 1e-10 && Math.abs(ey) < 1e-10) break;
  }
  return [x, y];
}
