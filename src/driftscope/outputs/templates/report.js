/* driftscope report: sort and filter the feature table, open details from links, print.
   Reads only data- attributes written by the template; takes no data of its own. */
(function () {
  "use strict";

  function openFromHash() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id ? document.getElementById(id) : null;
    if (target && target.tagName === "DETAILS") { target.open = true; }
  }
  window.addEventListener("hashchange", openFromHash);
  openFromHash();

  /* print the details of every flagged column, then restore what the reader had open */
  var openedForPrint = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details.col:not([open])").forEach(function (d) {
      if (d.getAttribute("data-status") !== "NORMAL") { d.open = true; openedForPrint.push(d); }
    });
  });
  window.addEventListener("afterprint", function () {
    openedForPrint.forEach(function (d) { d.open = false; });
    openedForPrint = [];
  });

  var table = document.getElementById("feature-table");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var nameFilter = document.getElementById("name-filter");
  var statusFilter = document.getElementById("status-filter");
  var shownCount = document.getElementById("shown-count");
  var noMatch = document.getElementById("no-match");
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  var sorted = { column: 3, direction: -1 };

  function sortKey(row, column, numeric) {
    var value = row.cells[column].getAttribute("data-v");
    if (value === null || value === "") { return null; }
    return numeric ? parseFloat(value) : value;
  }

  function sortBy(column) {
    var numeric = headers[column].getAttribute("data-type") === "num";
    var direction = sorted.column === column ? -sorted.direction : (numeric ? -1 : 1);
    var decorated = rows.map(function (row, index) {
      return { row: row, key: sortKey(row, column, numeric), index: index };
    });
    decorated.sort(function (a, b) {
      if (a.key === null || b.key === null) {
        /* absent values go last whatever the direction */
        if (a.key === b.key) { return a.index - b.index; }
        return a.key === null ? 1 : -1;
      }
      var order = numeric ? a.key - b.key : collator.compare(a.key, b.key);
      return order !== 0 ? order * direction : a.index - b.index;
    });
    var fragment = document.createDocumentFragment();
    decorated.forEach(function (d) { fragment.appendChild(d.row); });
    body.appendChild(fragment);
    headers.forEach(function (th, i) {
      th.setAttribute("aria-sort", i !== column ? "none" : (direction > 0 ? "ascending" : "descending"));
    });
    sorted = { column: column, direction: direction };
  }

  headers.forEach(function (th, i) {
    var button = th.querySelector("button");
    if (button) { button.addEventListener("click", function () { sortBy(i); }); }
  });

  function applyFilters() {
    var query = nameFilter.value.trim().toLowerCase();
    var wanted = statusFilter.value;
    var shown = 0;
    rows.forEach(function (row) {
      var status = row.getAttribute("data-status");
      var statusOk = !wanted || (wanted === "ALERT" ? status !== "NORMAL" : status === wanted);
      var nameOk = !query || row.getAttribute("data-name").toLowerCase().indexOf(query) !== -1;
      row.hidden = !(statusOk && nameOk);
      if (!row.hidden) { shown += 1; }
    });
    shownCount.textContent = shown === rows.length
      ? rows.length + " features"
      : shown + " of " + rows.length + " features shown";
    noMatch.hidden = shown !== 0;
  }

  nameFilter.addEventListener("input", applyFilters);
  statusFilter.addEventListener("change", applyFilters);
  document.querySelectorAll("[data-filter-status]").forEach(function (tile) {
    tile.addEventListener("click", function () {
      var level = tile.getAttribute("data-filter-status");
      statusFilter.value = statusFilter.value === level ? "" : level;
      applyFilters();
      document.getElementById("features").scrollIntoView({ block: "start" });
    });
  });
  applyFilters();
}());
