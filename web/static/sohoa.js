// Review desk: keyboard shortcuts and the highlighted field box on the scan. No inline scripts
// anywhere (the Content-Security-Policy forbids them).
(function () {
  "use strict";
  const form = document.getElementById("record-form");
  const viewer = document.getElementById("viewer");
  const img = document.getElementById("page-image");
  const box = document.getElementById("bbox");
  const canvas = document.getElementById("canvas");
  const zoomLevel = document.getElementById("zoom-level");
  const ZOOMS = [1, 1.5, 2, 3, 4];
  let zoom = 1;
  const inputs = Array.from(document.querySelectorAll(".field-input"));
  const pages = {};
  let current = 1;

  if (viewer) {
    (viewer.dataset.pages || "").split(",").filter(Boolean).forEach(function (p) {
      const [n, size] = p.split(":");
      const [w, h] = size.split("x").map(Number);
      pages[Number(n)] = { w: w, h: h };
    });
  }

  function showPage(n) {
    if (!viewer || !pages[n] || n === current) return;
    current = n;
    img.src = viewer.dataset.root + "/review/documents/" + viewer.dataset.doc + "/pages/" + n + ".png";
    document.querySelectorAll(".page-tab").forEach(function (t) {
      t.classList.toggle("active", Number(t.dataset.page) === n);
    });
  }

  function highlight(input) {
    if (!box) return;
    const bbox = (input.dataset.bbox || "").split(",").map(Number);
    const page = Number(input.dataset.page || 0);
    if (bbox.length !== 4 || !page || !pages[page]) { box.classList.add("hidden"); return; }
    showPage(page);
    const size = pages[page];
    // Percentages of the OCR page frame: right whatever size the image is drawn at.
    box.style.left = (100 * bbox[0] / size.w) + "%";
    box.style.top = (100 * bbox[1] / size.h) + "%";
    box.style.width = (100 * (bbox[2] - bbox[0]) / size.w) + "%";
    box.style.height = (100 * (bbox[3] - bbox[1]) / size.h) + "%";
    box.classList.remove("hidden");
    box.dataset.field = input.name;
    reveal();
  }

  // Bring the highlighted box into the scan's frame (the frame scrolls, never the page).
  function reveal() {
    if (!viewer || !box || box.classList.contains("hidden")) return;
    viewer.scrollTo({ top: Math.max(0, box.offsetTop - viewer.clientHeight / 3),
                      left: Math.max(0, box.offsetLeft - viewer.clientWidth / 4) });
  }

  // Zoom: the canvas (image + box) grows inside the frame; the box is in percentages, so it follows.
  function setZoom(z) {
    if (!canvas) return;
    zoom = z;
    canvas.style.width = (100 * z) + "%";
    if (zoomLevel) zoomLevel.textContent = Math.round(100 * z) + " %";
    reveal();
  }
  function stepZoom(step) {
    let i = ZOOMS.indexOf(zoom) + step;
    i = Math.max(0, Math.min(ZOOMS.length - 1, i));
    setZoom(ZOOMS[i]);
  }
  const zoomIn = document.getElementById("zoom-in");
  const zoomOut = document.getElementById("zoom-out");
  const zoomFit = document.getElementById("zoom-fit");
  if (zoomIn) zoomIn.addEventListener("click", function () { stepZoom(1); });
  if (zoomOut) zoomOut.addEventListener("click", function () { stepZoom(-1); });
  if (zoomFit) zoomFit.addEventListener("click", function () { setZoom(1); });

  // Pan: drag the scan with the mouse (touch screens scroll the frame natively).
  if (viewer) {
    let drag = null;
    viewer.addEventListener("pointerdown", function (e) {
      if (e.pointerType !== "mouse" || e.button !== 0) return;
      drag = { x: e.clientX, y: e.clientY, left: viewer.scrollLeft, top: viewer.scrollTop };
      viewer.classList.add("dragging");
    });
    window.addEventListener("pointermove", function (e) {
      if (!drag) return;
      viewer.scrollLeft = drag.left - (e.clientX - drag.x);
      viewer.scrollTop = drag.top - (e.clientY - drag.y);
    });
    window.addEventListener("pointerup", function () { drag = null; viewer.classList.remove("dragging"); });
  }

  inputs.forEach(function (input) {
    input.addEventListener("focus", function () { highlight(input); });
  });
  document.querySelectorAll(".page-tab").forEach(function (t) {
    t.addEventListener("click", function () { showPage(Number(t.dataset.page)); box && box.classList.add("hidden"); });
  });

  function submit(action) {
    if (!form) return;
    const button = form.querySelector('button[name="action"][value="' + action + '"]:not(.hidden)');
    if (!button) return;
    if (action === "reject" && !document.getElementById("reason").value.trim()) {
      document.getElementById("reason").focus();
      return;
    }
    if (action === "approve") {
      const note = document.getElementById("note");
      if (note.dataset.required === "yes" && !note.value.trim()) { note.focus(); return; }
    }
    form.requestSubmit(button);
  }

  // J/K move between field rows, never into a value: a focused row is not an editable box, so the
  // next J cannot type into it. Enter (or E, or a click) on the row opens its value for editing.
  const rows = inputs.map(function (input) { return input.closest("tr"); });
  rows.forEach(function (row, i) {
    if (!row) return;
    row.tabIndex = -1;
    row.addEventListener("focus", function () { highlight(inputs[i]); });
  });

  function currentField() {
    const el = document.activeElement;
    let i = inputs.indexOf(el);
    if (i < 0) i = rows.indexOf(el);
    return i;
  }

  function moveField(step) {
    if (!inputs.length) return;
    const i = currentField();
    const next = i < 0 ? (step > 0 ? 0 : inputs.length - 1) : (i + step + inputs.length) % inputs.length;
    (rows[next] || inputs[next]).focus();
  }

  function editField() {
    const i = rows.indexOf(document.activeElement);
    if (i < 0 || inputs[i].readOnly) return false;
    const input = inputs[i];
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);  // caret at the end, nothing selected
    return true;
  }

  const reason = document.getElementById("reason");
  if (reason) {
    reason.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); submit("reject"); }
    });
  }
  const note = document.getElementById("note");
  if (note) {
    note.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); submit("approve"); }
    });
  }

  document.addEventListener("keydown", function (e) {
    const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
    if (e.ctrlKey || e.metaKey) return;
    if (typing && e.key === "Escape") {
      // back to the row (navigation), not to nowhere
      const i = inputs.indexOf(document.activeElement);
      if (i >= 0 && rows[i]) rows[i].focus(); else document.activeElement.blur();
      return;
    }
    if (typing && !e.altKey) return;
    const key = e.key.toLowerCase();
    if ((key === "enter" || key === "e") && !typing && rows.indexOf(document.activeElement) >= 0) {
      if (editField()) { e.preventDefault(); return; }
    }
    const next = document.getElementById("next-link");
    if (key === "a" && form) { e.preventDefault(); submit("approve"); }
    else if (key === "s" && form) { e.preventDefault(); submit("save"); }
    else if (key === "r" && reason) { e.preventDefault(); reason.focus(); }
    else if ((key === "n" || (key === "enter" && !form)) && next) { e.preventDefault(); window.location = next.href; }
    else if (key === "j") { e.preventDefault(); moveField(1); }
    else if ((key === "+" || key === "=") && canvas) { e.preventDefault(); stepZoom(1); }
    else if (key === "-" && canvas) { e.preventDefault(); stepZoom(-1); }
    else if (key === "0" && canvas) { e.preventDefault(); setZoom(1); }
    else if (key === "k") { e.preventDefault(); moveField(-1); }
  });

  // Show the first doubtful field on the scan (without focusing it, so one-key shortcuts work).
  const first = document.querySelector("tr.field.error .field-input, tr.field.low .field-input");
  if (first) { highlight(first); }
})();
