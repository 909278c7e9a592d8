// Grid page actions: each form calls /api/grids/... with the session cookie and CSRF header.
import { callJSON } from "/static/common.js";

{
  const config = JSON.parse(document.getElementById("grid-config").textContent);
  const message = document.getElementById("grid-message");
  let previewLayer = null;

  function say(text, isError) {
    message.textContent = text;
    message.className = isError ? "error" : "";
  }

  function call(method, url, body) {
    return callJSON(url, { method, json: body });
  }

  function leafletMap() { return window[config.map]; }

  function showPreview(collection) {
    const map = leafletMap();
    if (previewLayer) { map.removeLayer(previewLayer); }
    previewLayer = window.L.geoJSON(collection, {
      style: { color: "#7048e8", weight: 2, dashArray: "6 4", fillOpacity: 0.1 },
      onEachFeature: function (feature, layer) {
        const p = feature.properties;
        const el = document.createElement("span");
        el.textContent = p.code + " · " + p.households + " 户" + (p.flags.length ? " · " + p.flags.join(",") : "");
        layer.bindTooltip(el);
      },
    }).addTo(map);
    if (previewLayer.getBounds().isValid()) { map.fitBounds(previewLayer.getBounds()); }
  }

  function handle(formId, action) {
    const form = document.getElementById(formId);
    if (!form) { return; }
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      try { await action(new FormData(form), form); } catch (err) { say(err.message, true); }
    });
  }

  const applyButton = document.getElementById("generate-apply");
  handle("form-generate", async function (data) {
    const body = { community: data.get("community"), dry_run: true, replace: data.get("replace") === "on" };
    const result = await call("POST", "/api/grids/generate", body);
    showPreview(result.cells);
    say("预览：" + result.created.length + " 个网格（尚未保存）。Preview only, nothing saved.");
    applyButton.disabled = false;
    applyButton.onclick = async function () {
      try {
        const done = await call("POST", "/api/grids/generate", Object.assign({}, body, { dry_run: false }));
        say("已生成 " + done.created.length + " 个网格。");
        window.location.reload();
      } catch (err) { say(err.message, true); }
    };
  });
  handle("form-split", async function (data) {
    const r = await call("POST", "/api/grids/" + data.get("code") + "/split", { parts: Number(data.get("parts")) });
    say("已拆分为 " + r.created.join("、")); window.location.reload();
  });
  handle("form-merge", async function (data) {
    const codes = String(data.get("codes")).split(/[,，\s]+/).filter(Boolean);
    const r = await call("POST", "/api/grids/merge", { codes: codes });
    say("已合并为 " + r.created.join("、")); window.location.reload();
  });
  handle("form-assign", async function (data) {
    const body = { worker: data.get("worker"), role: data.get("role"), replace: data.get("replace") === "on" };
    await call("POST", "/api/grids/" + data.get("code") + "/assignments", body);
    say("已分配。"); window.location.reload();
  });
}
