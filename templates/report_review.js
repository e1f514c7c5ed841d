/* Review controls of report.html: decide the records in "Da correggere", download correzioni.csv.
   Data comes from the JSON block #review-data; text reaches the page only through textContent
   and option values, never as HTML. Works from file:// with no server. */
(function () {
  "use strict";
  var source = document.getElementById("review-data");
  if (!source) { return; }
  var data = JSON.parse(source.textContent);
  var names = new Set();
  var list = document.getElementById("comuni-elenco");
  Object.keys(data.comuni).forEach(function (sigla) {
    data.comuni[sigla].split("|").forEach(function (name) {
      var label = name + " (" + sigla + ")";
      names.add(label);
      var option = document.createElement("option");
      option.value = label;
      list.appendChild(option);
    });
  });

  function byRow(kind, n) { return document.getElementById(kind + "-" + n); }

  function decisionOf(n) {
    var choice = byRow("dec", n).value;
    var box = byRow("cerca", n);  // absent where no Comune can be given (a practice without title)
    var searched = box ? box.value.trim() : "";
    if (choice === "") { return null; }
    if (choice === "escludi") { return { codice: "", azione: "escludi" }; }
    if (choice === "cerca") { return names.has(searched) ? { codice: searched, azione: "" } : null; }
    return { codice: choice, azione: "" };
  }

  // The same typed text (Comune and province) in several rows: one decision teaches it as a name,
  // an alias line (empty record), which places every record that typed it, now and in later builds.
  function textOf(row) { return row.c.trim() + "\u0000" + row.p.trim().toLowerCase(); }

  function taught() {
    var aliases = {};
    data.rows.forEach(function (row, n) {
      var d = decisionOf(n);
      var all = byRow("tutte", n);
      if (d && d.codice && all && all.checked && !aliases[textOf(row)]) {
        aliases[textOf(row)] = ["", "", row.c.trim(), row.p.trim(), "", "", "", "", "",
                                d.codice, "", byRow("nota", n).value.trim()];
      }
    });
    return aliases;
  }

  function decided() {
    var aliases = taught();
    var found = Object.keys(aliases).map(function (key) { return aliases[key]; });
    data.rows.forEach(function (row, n) {
      var d = decisionOf(n);
      var all = byRow("tutte", n);
      if (d && !(all && all.checked && d.codice)) {  // a row of its own (a record line wins over a name)
        found.push([row.r, row.o, row.c, row.p, row.g, row.t, row.e, row.m, row.k,
                    d.codice, d.azione, byRow("nota", n).value.trim()]);
      }
    });
    return found;
  }

  var status = document.getElementById("review-status");
  function count() {
    var n = decided().length;
    status.textContent = n === 1 ? "1 decisione pronta." : n + " decisioni pronte.";
  }

  document.querySelectorAll("input.search").forEach(function (input) {
    input.addEventListener("input", function () {
      var n = input.getAttribute("data-row");
      var state = byRow("esito", n);
      var select = byRow("dec", n);
      var text = input.value.trim();
      if (!text) {
        state.textContent = "";
        if (select.value === "cerca") { select.value = ""; }
      } else if (names.has(text)) {
        select.value = "cerca";
        state.textContent = "Comune scelto: " + text + ".";
      } else {
        state.textContent = "Scegliere un Comune dall'elenco, scritto come Nome (SIGLA).";
      }
      count();
    });
  });
  document.querySelectorAll("select.decision, input.note, input.same-text").forEach(function (control) {
    control.addEventListener("change", count);
  });

  // Spreadsheets run a cell starting with = + - @ as a formula: a leading ' keeps it text.
  var number = /^[+-]?[0-9]+(\.[0-9]+)?$/;
  function cell(text) {
    var value = String(text);
    if (/^[=+\-@\t\r]/.test(value) && !number.test(value)) { value = "'" + value; }
    return /[";\r\n]/.test(value) ? '"' + value.replace(/"/g, '""') + '"' : value;
  }

  document.getElementById("scarica-correzioni").addEventListener("click", function () {
    var fresh = decided();
    var renewed = new Set(fresh.map(function (row) { return row[0]; }));
    var kept = data.existing.filter(function (row) { return !row[0] || !renewed.has(row[0]); });
    var lines = [data.columns].concat(kept, fresh).map(function (row) {
      return row.map(cell).join(";");
    });
    var blob = new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" });
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = data.file;
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
    status.textContent = "Scaricato " + data.file + ": " + kept.length + " correzioni già in uso e " +
      fresh.length + " nuove. Passarlo a mapgen build con --corrections.";
  });
  count();
}());
