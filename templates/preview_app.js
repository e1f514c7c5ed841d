/* mapgen preview: one marker per Comune in one cluster group, edition x area filters,
 * popups filled from <template> skeletons with textContent, search over Comuni and titles.
 * Reads its data from the JSON elements #mg-data (index) and #mg-text (popup texts);
 * fetches nothing. */
(function () {
  'use strict';

  var COMUNE = 0, EDITIONS = 1, AREAS = 2, TITLE = 3, MEMBERS = 4;
  var LAT = 0, LON = 1, NAME = 2, SIGLA = 3, REGION = 4, POP = 5, POP_0_17 = 6;
  var COLOUR = /^#[0-9a-fA-F]{6}$/;
  var HTTP = /^https?:\/\//i;

  function formatInt(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  }

  function fold(text) {
    return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  }

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  /* A description read from a uMap map, formatted as uMap formats it: HTML made and
     sanitised by the build (mapgen/writers/_umap_html.py), parsed in an inert <template>;
     a second check keeps only web addresses and harmless attributes. */
  var KEPT_ATTRIBUTES = /^(href|src|target|rel|style|alt|title|dir|width|height)$/;
  function formatted(html) {
    var holder = document.createElement('template');
    holder.innerHTML = html;
    holder.content.querySelectorAll('*').forEach(function (node) {
      for (var k = node.attributes.length - 1; k >= 0; k--) {
        var name = node.attributes[k].name, value = node.attributes[k].value;
        if (!KEPT_ATTRIBUTES.test(name) || ((name === 'href' || name === 'src') && !HTTP.test(value))) {
          node.removeAttribute(name);
        }
      }
    });
    return document.importNode(holder.content, true);
  }

  function cloneTemplate(id) {
    return document.getElementById(id).content.firstElementChild.cloneNode(true);
  }

  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : all;
    });
  }

  function Preview(map, tiles, data) {
    this.map = map;
    this.tiles = tiles;
    this.data = data;
    this.text = data.testi;
    this.field = {};
    for (var f = 0; f < data.fields.length; f++) { this.field[data.fields[f]] = f; }
    this.texts = null;
    this.textsPromise = null;
    this.editionMask = (1 << data.editions.length) - 1;
    this.areaMask = (1 << data.areas.length) - 1;
    this.byComune = data.comuni.map(function () { return []; });
    for (var i = 0; i < data.items.length; i++) { this.byComune[data.items[i][COMUNE]].push(i); }
    this.visible = new Uint8Array(data.items.length);
    this.pending = null;
    this.icons = {};
    this.markers = data.comuni.map(this.makeMarker, this);
    this.cluster = L.markerClusterGroup({
      chunkedLoading: true,
      showCoverageOnHover: false,
      maxClusterRadius: 50,
      disableClusteringAtZoom: 13,
      iconCreateFunction: this.clusterIcon.bind(this),
      chunkProgress: this.loaded.bind(this)
    });
    this.loading = false;
    map.addLayer(this.cluster);
  }

  Preview.prototype.makeMarker = function (comune, c) {
    var marker = L.marker([comune[LAT], comune[LON]], {title: this.comuneLabel(c), riseOnHover: true});
    marker.mgComune = c;
    marker.mgCount = 0;
    var self = this, content = function () { return self.popupFor(c); };
    marker.bindPopup(content, {maxWidth: 380, minWidth: 260, autoPanPadding: [16, 16], className: 'mg-popup'});
    // show() pins the popup to one box; the next opening builds a fresh one again.
    marker.on('popupclose', function () { marker.getPopup().setContent(content); });
    return marker;
  };

  Preview.prototype.comuneLabel = function (c) {
    var comune = this.data.comuni[c];
    return comune[SIGLA] ? comune[NAME] + ' (' + comune[SIGLA] + ')' : comune[NAME];
  };

  Preview.prototype.colour = function (a) {
    var colour = this.data.areas[a].colore;
    return COLOUR.test(colour) ? colour : '#888888';
  };

  /* --- filters ------------------------------------------------------------------ */

  /* Apply the filters. Only markers whose content changed are touched: the ones that
   * disappear are removed, the ones that appear are added (in chunks), the ones whose
   * number or colours changed get a new icon and their clusters are recounted. */
  Preview.prototype.refresh = function () {
    var items = this.data.items, total = 0, add = [], remove = [], changed = [];
    this.map.closePopup();
    for (var i = 0; i < items.length; i++) {
      var on = (items[i][EDITIONS] & this.editionMask) && (items[i][AREAS] & this.areaMask) ? 1 : 0;
      this.visible[i] = on;
      total += on;
    }
    for (var c = 0; c < this.markers.length; c++) {
      var marker = this.markers[c], shown = this.visibleOf(c), was = marker.mgCount;
      marker.mgCount = shown.length;
      if (!shown.length) {
        if (was) { remove.push(marker); }
        continue;
      }
      var icon = this.markerIcon(shown);
      this.nameMarker(marker, c, shown.length);
      if (icon === marker.options.icon && was) { continue; }
      marker.setIcon(icon);
      (was ? changed : add).push(marker);
    }
    this.visibleTotal = total;
    this.loading = true;
    this.started = true;
    if (remove.length && remove.length === this.cluster.getLayers().length) {
      this.cluster.clearLayers();
    } else {
      this.cluster.removeLayers(remove);
    }
    this.cluster.refreshClusters(changed);
    this.cluster.addLayers(add);
    if (this.panel) {
      this.panel.querySelector('[data-mg="visibili"]').textContent = formatInt(total);
    }
    this.updateList();
  };

  /* Called by markercluster after each chunk of addLayers; the last call means all are in. */
  Preview.prototype.loaded = function (done, total) {
    this.loading = done < total;
    if (this.loading || !this.started) { return; }
    this.readyAt = performance.now();
    performance.mark('mapgen:ready');
    if (!this.textsPromise) {
      var self = this, later = window.requestIdleCallback || function (fn) { return setTimeout(fn, 200); };
      later(function () { self.loadTexts(); }, {timeout: 3000});
    }
  };

  /* The marker is a button (Leaflet gives it role="button" and tabindex): its name says
   * the Comune and how many initiatives it holds. */
  Preview.prototype.nameMarker = function (marker, c, n) {
    var label = say(this.text.comune_n, {comune: this.comuneLabel(c), n: this.howMany(n)});
    marker.options.title = label;
    var element = marker.getElement();
    if (element) { element.title = label; }
  };

  Preview.prototype.visibleOf = function (c) {
    var self = this;
    return this.byComune[c].filter(function (i) { return self.visible[i]; });
  };

  Preview.prototype.markerIcon = function (shown) {
    var n = shown.length, counts = this.data.areas.map(function () { return 0; }), sum = 0;
    for (var k = 0; k < shown.length; k++) {
      var mask = this.data.items[shown[k]][AREAS] & this.areaMask;
      for (var a = 0; a < counts.length; a++) {
        if (mask & (1 << a)) { counts[a]++; sum++; }
      }
    }
    var stops = [], at = 0;
    for (var b = 0; b < counts.length; b++) {
      if (!counts[b]) { continue; }
      var to = at + counts[b] * 100 / sum;
      stops.push(this.colour(b) + ' ' + at.toFixed(1) + '% ' + to.toFixed(1) + '%');
      at = to;
    }
    // Icons are shared: many Comuni have the same number and colours.
    var key = n + '|' + stops.join(',');
    if (!this.icons[key]) {
      var size = n === 1 ? 18 : (n < 10 ? 26 : 32);
      var html = '<div class="mg-dot" data-n="' + n + '" style="background:conic-gradient(' +
        stops.join(',') + ')">' + (n > 1 ? '<span>' + formatInt(n) + '</span>' : '') + '</div>';
      this.icons[key] = L.divIcon({className: 'mg-pin', html: html, iconSize: [size, size]});
    }
    return this.icons[key];
  };

  Preview.prototype.clusterIcon = function (cluster) {
    var markers = cluster.getAllChildMarkers(), n = 0;
    for (var k = 0; k < markers.length; k++) { n += markers[k].mgCount; }
    cluster.options.title = say(this.text.gruppo, {n: this.howMany(n)});
    var size = n < 10 ? 'small' : (n < 100 ? 'medium' : 'large');
    return L.divIcon({
      html: '<div data-n="' + n + '" aria-hidden="true"><span>' + formatInt(n) + '</span></div>',
      className: 'marker-cluster mg-cluster mg-cluster-' + size,
      iconSize: L.point(40, 40)
    });
  };

  /* --- popups ------------------------------------------------------------------- */

  /* Leaflet calls this each time the popup opens: a fresh box, so filters are always applied. */
  Preview.prototype.popupFor = function (c) {
    var shown = this.visibleOf(c), wanted = this.pending, box = make('div', 'mg-box');
    this.pending = null;
    this.clearOfControls(this.markers[c].getPopup());
    if (wanted !== null && shown.indexOf(wanted) >= 0) {
      box.appendChild(this.renderItem(wanted, shown.length > 1 ? c : null));
    } else if (shown.length === 1) {
      box.appendChild(this.renderItem(shown[0], null));
    } else {
      box.appendChild(this.renderList(c, shown));
    }
    return box;
  };

  /* Leaflet pans the map so an opening popup sits inside the padding: keep it clear of the
   * panel (top right) and of the search and zoom buttons (top left). On a wide screen the
   * panel's width is kept free on the right; on a narrow one the popup goes below the panel. */
  Preview.prototype.clearOfControls = function (popup) {
    var size = this.map.getSize(), top = 16, right = 16;
    var mapBox = this.map.getContainer().getBoundingClientRect();
    var search = this.searchBox && this.searchBox.getBoundingClientRect();
    if (search) { top = Math.max(top, search.bottom - mapBox.top + 10); }
    if (this.panel) {
      var panel = this.panel.getBoundingClientRect(), beside = mapBox.right - panel.left + 12;
      if (size.x - beside >= 330) { right = beside; } else { top = Math.max(top, panel.bottom - mapBox.top + 10); }
    }
    popup.options.autoPanPaddingTopLeft = L.point(16, top);
    popup.options.autoPanPaddingBottomRight = L.point(right, 16);
  };

  /* Swap what the open popup shows. The click must stop here: its target leaves the page,
   * so Leaflet could no longer tell it came from inside the popup and would close it. */
  Preview.prototype.show = function (c, node, event) {
    L.DomEvent.stop(event);
    this.refit(c, event.currentTarget.closest('.mg-box'), node);
  };

  /* Put ``node`` in the open popup's ``box`` and let Leaflet size the popup again. */
  Preview.prototype.refit = function (c, box, node) {
    var hadFocus = box.contains(document.activeElement);
    box.replaceChildren(node);
    this.markers[c].getPopup().setContent(box);
    if (hadFocus) { focusHeading(box); }
  };

  /* The popup texts, decoded once, when a popup first needs them (or when the page is idle). */
  Preview.prototype.loadTexts = function () {
    var self = this;
    if (!this.textsPromise) {
      this.textsPromise = readJson(document.getElementById('mg-text')).then(function (texts) {
        self.texts = texts;
        performance.mark('mapgen:texts');
      });
      this.textsPromise.catch(function (error) { fail(self.map, error); });
    }
    return this.textsPromise;
  };

  Preview.prototype.renderList = function (c, shown) {
    var box = cloneTemplate('mg-tpl-list'), self = this;
    box.querySelector('[data-f="comune"]').textContent = this.comuneLabel(c);
    box.querySelector('[data-f="conteggio"]').textContent =
      this.howMany(shown.length);
    var list = box.querySelector('ul');
    shown.forEach(function (i) {
      var li = make('li'), button = make('button', 'mg-open', self.title(i));
      button.type = 'button';
      button.addEventListener('click', function (event) { self.show(c, self.renderItem(i, c), event); });
      li.appendChild(button);
      li.appendChild(self.badges(i, true));
      list.appendChild(li);
    });
    return box;
  };

  Preview.prototype.renderItem = function (i, backTo) {
    var self = this;
    if (!this.texts) {
      var wait = make('p', 'mg-wait', this.text.attesa);
      this.loadTexts().then(function () {
        if (wait.isConnected) { self.refit(self.data.items[i][COMUNE], wait.parentNode, self.renderItem(i, backTo)); }
      });
      return wait;
    }
    var box = cloneTemplate('mg-tpl-item');
    if (backTo !== null) {
      var back = box.querySelector('[data-mg="indietro"]');
      back.hidden = false;
      back.textContent = say(this.text.indietro, {comune: this.comuneLabel(backTo)});
      back.addEventListener('click', function (event) {
        self.show(backTo, self.renderList(backTo, self.visibleOf(backTo)), event);
      });
    }
    box.querySelectorAll('[data-f]').forEach(function (slot) {
      var value = self.value(i, slot.getAttribute('data-f'));
      if (value instanceof Node) { slot.appendChild(value); } else { slot.textContent = value; }
    });
    box.querySelectorAll('[data-row]').forEach(function (row) {
      var value = self.value(i, row.getAttribute('data-row'));
      if (!(value instanceof Node) && !value) { row.remove(); }
    });
    return box;
  };

  Preview.prototype.howMany = function (n) {
    return n === 1 ? this.text.iniziativa : say(this.text.iniziative, {n: formatInt(n)});
  };

  Preview.prototype.title = function (i) {
    return this.data.items[i][TITLE] || this.text.senza_titolo;
  };

  Preview.prototype.value = function (i, name) {
    var item = this.data.items[i], comune = this.data.comuni[item[COMUNE]], texts = this.texts[i];
    switch (name) {
      case 'titolo': return this.title(i);
      case 'comune': return this.comuneLabel(item[COMUNE]);
      case 'regione': return comune[REGION];
      case 'popolazione': return comune[POP];
      case 'popolazione_0_17': return comune[POP_0_17];
      case 'edizioni': return this.badges(i, false);
      case 'aree': return this.areaBadges(i);
      case 'link': return this.link(texts[this.field.link]);
      case 'descrizione':
        return texts[this.field.descrizione_html] ? formatted(texts[this.field.descrizione_html]) : texts[this.field.descrizione];
      default: return name in this.field ? texts[this.field[name]] : '';
    }
  };

  Preview.prototype.badges = function (i, small) {
    var box = make('span', small ? 'mg-badges mg-small' : 'mg-badges'), mask = this.data.items[i][EDITIONS];
    for (var e = 0; e < this.data.editions.length; e++) {
      if (mask & (1 << e)) { box.appendChild(make('span', 'mg-badge mg-edition', String(this.data.editions[e]))); }
    }
    return box;
  };

  Preview.prototype.areaBadges = function (i, small) {
    var box = make('span', small ? 'mg-badges mg-small' : 'mg-badges'), mask = this.data.items[i][AREAS];
    for (var a = 0; a < this.data.areas.length; a++) {
      if (mask & (1 << a)) { box.appendChild(make('span', 'mg-badge mg-a' + a, this.data.areas[a].nome)); }
    }
    return box;
  };

  Preview.prototype.link = function (url) {
    if (!url || !HTTP.test(url)) { return ''; }
    var a = make('a', null, url);
    a.href = url;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    return a;
  };

  /* --- controls ----------------------------------------------------------------- */

  Preview.prototype.addPanel = function () {
    var self = this, panel = cloneTemplate('mg-tpl-panel');
    var control = L.control({position: 'topright'});
    control.onAdd = function () { return panel; };
    control.addTo(this.map);
    L.DomEvent.disableClickPropagation(panel);
    L.DomEvent.disableScrollPropagation(panel);
    if (window.innerWidth < 700) { panel.open = false; }
    panel.addEventListener('change', function () { self.readFilters(); });
    panel.querySelector('[data-mg="tutte"]').addEventListener('click', function () {
      panel.querySelectorAll('input[data-edition], input[data-area]').forEach(function (box) { box.checked = true; });
      self.readFilters();
    });
    this.panel = panel;
  };

  Preview.prototype.readFilters = function () {
    var editions = 0, areas = 0;
    this.panel.querySelectorAll('input[data-edition]').forEach(function (box) {
      if (box.checked) { editions |= 1 << Number(box.getAttribute('data-edition')); }
    });
    this.panel.querySelectorAll('input[data-area]').forEach(function (box) {
      if (box.checked) { areas |= 1 << Number(box.getAttribute('data-area')); }
    });
    this.editionMask = editions;
    this.areaMask = areas;
    this.refresh();
  };

  Preview.prototype.addSearch = function () {
    var self = this, box = cloneTemplate('mg-tpl-search');
    var control = L.control({position: 'topleft'});
    control.onAdd = function () { return box; };
    control.addTo(this.map);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    var input = box.querySelector('input'), list = box.querySelector('ul'), timer = null;
    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { self.showHits(list, self.search(input.value)); }, 120);
    });
    input.addEventListener('keydown', function (event) {
      var buttons = list.querySelectorAll('button');
      if (event.key === 'Enter' && buttons.length) { event.preventDefault(); buttons[0].click(); }
      if (event.key === 'ArrowDown' && buttons.length) { event.preventDefault(); buttons[0].focus(); }
      if (event.key === 'Escape') { input.value = ''; self.showHits(list, null); }
    });
    list.addEventListener('keydown', function (event) {
      var next = event.key === 'ArrowDown' ? 1 : (event.key === 'ArrowUp' ? -1 : 0);
      if (!next) { return; }
      event.preventDefault();
      var li = document.activeElement.parentNode;
      var to = next > 0 ? li.nextElementSibling : li.previousElementSibling;
      if (to) { to.firstElementChild.focus(); } else if (next < 0) { input.focus(); }
    });
    this.searchBox = box;
  };

  Preview.prototype.searchIndex = function () {
    if (!this.folded) {
      var self = this;
      this.folded = {
        comuni: this.data.comuni.map(function (comune) { return fold(comune[NAME]); }),
        // A practice of an Ambito or Unione is found from its member Comuni too.
        titles: this.data.items.map(function (item, i) {
          return fold(item[MEMBERS] ? self.title(i) + ' ' + item[MEMBERS] : self.title(i));
        })
      };
    }
    return this.folded;
  };

  Preview.prototype.search = function (query) {
    var q = fold(query.trim()), index = this.searchIndex(), hits = [], limit = 12;
    if (q.length < 2) { return null; }
    var starts = [], contains = [];
    for (var c = 0; c < index.comuni.length; c++) {
      var at = index.comuni[c].indexOf(q);
      if (at < 0 || !this.markers[c].mgCount) { continue; }
      (at === 0 ? starts : contains).push({comune: c, item: null});
    }
    hits = starts.concat(contains);
    for (var i = 0; i < index.titles.length && hits.length < limit * 2; i++) {
      if (this.visible[i] && index.titles[i].indexOf(q) >= 0) {
        hits.push({comune: this.data.items[i][COMUNE], item: i});
      }
    }
    return hits.slice(0, limit);
  };

  Preview.prototype.showHits = function (list, hits) {
    var self = this;
    list.textContent = '';
    list.hidden = hits === null;
    if (hits === null) { return; }
    if (!hits.length) { list.appendChild(make('li', 'mg-none', this.text.nessun_risultato)); }
    hits.forEach(function (hit) {
      var li = make('li'), button = make('button', 'mg-hit');
      button.type = 'button';
      if (hit.item === null) {
        button.appendChild(make('strong', null, self.comuneLabel(hit.comune)));
        button.appendChild(make('small', null, self.howMany(self.markers[hit.comune].mgCount)));
      } else {
        button.appendChild(make('span', null, self.title(hit.item)));
        button.appendChild(make('small', null, self.comuneLabel(hit.comune)));
      }
      button.addEventListener('click', function () {
        self.goTo(hit.comune, hit.item);
        self.opener = self.searchBox.querySelector('input');
        list.hidden = true;
      });
      li.appendChild(button);
      list.appendChild(li);
    });
  };

  Preview.prototype.goTo = function (c, item) {
    var marker = this.markers[c], self = this;
    this.opener = document.activeElement;
    this.cluster.zoomToShowLayer(marker, function () {
      self.pending = item;
      if (marker.isPopupOpen()) { marker.closePopup(); }
      marker.openPopup();
    });
  };

  Preview.prototype.watchTiles = function () {
    var note = this.panel.querySelector('[data-mg="offline"]');
    if (!this.tiles || !note) { return; }
    this.tiles.once('tileerror', function () { note.hidden = false; });
  };

  /* Fit the initial view to the data, leaving the panel's width free on a wide screen. */
  Preview.prototype.fit = function () {
    var b = this.data.bounds, right = 20, top = 20, size = this.map.getSize();
    if (this.panel) {
      var panel = this.panel.getBoundingClientRect(), mapBox = this.map.getContainer().getBoundingClientRect();
      if (size.x - (mapBox.right - panel.left) >= 360) { right = mapBox.right - panel.left + 10; }
    }
    if (this.searchBox) {
      top = Math.max(top, this.searchBox.getBoundingClientRect().bottom - this.map.getContainer().getBoundingClientRect().top);
    }
    this.map.fitBounds(b, {maxZoom: 9, paddingTopLeft: [20, top], paddingBottomRight: [right, 44], animate: false});
  };

  /* --- the list of initiatives (the map's text alternative) ----------------------- */

  /* Regions and Comuni of the initiatives the filters let through, in Italian order. */
  Preview.prototype.groups = function () {
    var comuni = this.data.comuni, regions = {}, names = [], collator = new Intl.Collator('it');
    for (var c = 0; c < comuni.length; c++) {
      if (!this.markers[c].mgCount) { continue; }
      var region = comuni[c][REGION] || this.text.senza_regione;
      if (!regions[region]) { regions[region] = {name: region, comuni: [], n: 0}; names.push(region); }
      regions[region].comuni.push(c);
      regions[region].n += this.markers[c].mgCount;
    }
    names.sort(collator.compare);
    var self = this;
    return names.map(function (name) {
      var group = regions[name];
      group.comuni.sort(function (a, b) { return collator.compare(self.comuneLabel(a), self.comuneLabel(b)); });
      return group;
    });
  };

  /* One closed <details> per region; a region's Comuni and initiatives are built when it is
   * opened (at 100,000 initiatives a full list would weigh more than the map). */
  Preview.prototype.updateList = function () {
    var box = document.querySelector('[data-mg="elenco"]'), self = this;
    if (!box) { return; }
    var open = {};
    box.querySelectorAll('details[open]').forEach(function (d) { open[d.getAttribute('data-regione')] = true; });
    var count = document.querySelector('[data-mg="elenco-n"]');
    if (count) { count.textContent = this.howMany(this.visibleTotal); }
    box.replaceChildren();
    this.groups().forEach(function (group) {
      var details = make('details', 'mg-reg'), summary = make('summary');
      details.setAttribute('data-regione', group.name);
      var heading = make('h3', null, group.name);
      summary.appendChild(heading);
      summary.appendChild(make('span', 'mg-n', ' (' + self.howMany(group.n) + ')'));
      details.appendChild(summary);
      var filled = false, fill = function () {
        if (filled || !details.open) { return; }
        filled = true;
        group.comuni.forEach(function (c) { details.appendChild(self.listComune(c)); });
      };
      details.addEventListener('toggle', fill);
      details.open = !!open[group.name];
      fill();
      box.appendChild(details);
    });
    if (!box.children.length) { box.appendChild(make('p', 'mg-none', this.text.nessuna_mostrata)); }
  };

  Preview.prototype.listComune = function (c) {
    var self = this, part = make('div', 'mg-com'), list = make('ul');
    part.appendChild(make('h4', null, this.comuneLabel(c) + ' – ' + this.howMany(this.markers[c].mgCount)));
    this.visibleOf(c).forEach(function (i) {
      var li = make('li'), button = make('button', 'mg-open', self.title(i));
      button.type = 'button';
      button.addEventListener('click', function () { self.goTo(c, i); });
      li.appendChild(button);
      li.appendChild(self.badges(i, true));
      li.appendChild(self.areaBadges(i, true));
      list.appendChild(li);
    });
    part.appendChild(list);
    return part;
  };

  /* --- layers beside the initiatives ------------------------------------------------ */

  /* Two kinds, drawn in panes of their own beneath the initiatives' markers and groups (so no
   * square or area covers a group's number): the territories of Ambiti and Unioni (issue 26),
   * off on load, and the previous map's layers that the uMap map keeps as they were (regional
   * projects, outlines...). Each is switched on and off in the panel and listed under the
   * Elenco while shown; popups are the layer's own uMap template, formatted and sanitised by
   * the build. */
  Preview.prototype.addLayers = function () {
    var self = this, map = this.map;
    // Above the outlines (150) and the tiles (200), below the markers (600).
    map.createPane('mg-territori').style.zIndex = 380;
    map.createPane('mg-altri').style.zIndex = 450;
    this.carried = (this.data.carried || []).map(function (layer, k) {
      var shown = self.overlay(layer, 'mg-altri', 'mg-carried mg-c' + k, 3, '[data-mg="altri"]');
      shown.input = self.panel.querySelector('input[data-carried="' + k + '"]');
      return shown;
    });
    this.territories = null;
    if (this.data.territori) {
      this.territories = this.overlay(this.data.territori, 'mg-territori', 'mg-carried mg-terr', 1, '[data-mg="territori"]');
      this.territories.input = this.panel.querySelector('input[data-territori]');
    }
    this.layers().forEach(function (shown) {
      if (!shown.input) { return; }
      shown.input.addEventListener('change', function (event) {
        event.stopPropagation();  // not an edition or area filter
        if (shown.input.checked) { shown.group.addTo(map); } else { map.removeLayer(shown.group); }
        self.listLayers(shown.list);
      });
    });
    this.listLayers('[data-mg="altri"]');
    this.listLayers('[data-mg="territori"]');
  };

  Preview.prototype.layers = function () {
    return this.carried.concat(this.territories ? [this.territories] : []);
  };

  /* One layer as a feature group in ``pane``: points as small squares, lines and areas in the
   * layer's colour. */
  Preview.prototype.overlay = function (layer, pane, squareClass, weight, list) {
    var self = this, entries = [], group = L.featureGroup();
    var icon = L.divIcon({className: 'mg-pin', html: '<div class="' + squareClass + '"></div>', iconSize: [16, 16]});
    layer.elementi.forEach(function (element) {
      var shape = L.geoJSON({type: 'Feature', geometry: element[0], properties: {}}, {
        pane: pane,
        pointToLayer: function (feature, latlng) {
          return L.marker(latlng, {icon: icon, title: element[1] || layer.nome, keyboard: true, pane: pane});
        },
        style: function () { return {color: layer.colore, weight: weight, opacity: 0.9, fillOpacity: 0.15}; }
      });
      shape.bindPopup(function () { return self.layerPopup(layer, element, shape); },
        {maxWidth: 380, minWidth: 240, className: 'mg-popup'});
      group.addLayer(shape);
      entries.push(shape);
    });
    if (layer.visibile) { group.addTo(this.map); }
    return {layer: layer, group: group, entries: entries, list: list, input: null};
  };

  Preview.prototype.layerPopup = function (layer, element, shape) {
    var box = make('div', 'mg-box'), article = make('article', 'mg-item');
    this.clearOfControls(shape.getPopup());
    article.appendChild(make('h2', 'mg-title', element[1] || layer.nome));
    article.appendChild(make('p', 'mg-layer', layer.nota || say(this.text.livello, {nome: layer.nome})));
    if (element[2]) {
      var body = make('div', 'mg-descr');
      body.setAttribute('tabindex', '0');
      body.setAttribute('role', 'group');
      body.setAttribute('aria-label', this.text.contenuto);
      body.appendChild(formatted(element[2]));
      article.appendChild(body);
    }
    box.appendChild(article);
    return box;
  };

  /* The Elenco's part for these layers: one closed <details> per layer shown on the map. */
  Preview.prototype.listLayers = function (selector) {
    var box = document.querySelector(selector), self = this;
    if (!box) { return; }
    box.replaceChildren();
    this.layers().forEach(function (shown) {
      if (shown.list !== selector || !self.map.hasLayer(shown.group)) { return; }
      var details = make('details', 'mg-reg'), summary = make('summary'), list = make('ul');
      summary.appendChild(make('h3', null, shown.layer.nome));
      summary.appendChild(make('span', 'mg-n', ' (' + formatInt(shown.entries.length) + ')'));
      details.appendChild(summary);
      details.appendChild(list);
      // Entries are made when the layer is opened: a kept layer may hold thousands of outlines.
      details.addEventListener('toggle', function () {
        if (!details.open || list.children.length) { return; }
        shown.entries.forEach(function (shape, e) {
          var li = make('li'), button = make('button', 'mg-open', shown.layer.elementi[e][1] || shown.layer.nome);
          button.type = 'button';
          button.addEventListener('click', function () {
            self.opener = button;
            var target = shape.getLayers()[0];
            if (target.getLatLng) {
              self.map.setView(target.getLatLng(), Math.max(self.map.getZoom(), 9));
            } else {
              self.map.fitBounds(target.getBounds(), {maxZoom: 12});
            }
            shape.openPopup();
          });
          li.appendChild(button);
          list.appendChild(li);
        });
      });
      box.appendChild(details);
    });
    if (!box.children.length) { box.appendChild(make('p', 'mg-none', this.text.nessun_livello)); }
  };

  /* On a small screen the attribution (base map, gazetteer, licences) would take a fifth of
   * the map: it folds behind a "?" button, as on uMap, and opens from the mouse or keyboard. */
  Preview.prototype.foldAttribution = function () {
    var attribution = this.map.attributionControl && this.map.attributionControl.getContainer();
    if (!attribution) { return; }
    var button = make('button', 'mg-attr-toggle', '?'), control = L.control({position: 'bottomright'});
    button.type = 'button';
    button.title = this.text.fonti;
    button.setAttribute('aria-label', this.text.fonti);
    button.setAttribute('aria-expanded', 'false');
    attribution.id = 'mg-fonti';
    button.setAttribute('aria-controls', 'mg-fonti');
    control.onAdd = function () {
      var holder = make('div', 'mg-attr leaflet-bar');
      holder.appendChild(button);
      L.DomEvent.disableClickPropagation(holder);
      return holder;
    };
    control.addTo(this.map);
    button.addEventListener('click', function () {
      var open = attribution.classList.toggle('mg-open');
      button.setAttribute('aria-expanded', String(open));
    });
    this.attributionButton = button;
  };

  /* The search box's placeholder: the full wording when it fits, else its short form (a phone);
   * the box keeps the full wording as its name either way. */
  Preview.prototype.fitPlaceholder = function () {
    var input = this.searchBox && this.searchBox.querySelector('input');
    if (!input || !input.getAttribute('data-short')) { return; }
    var full = input.getAttribute('data-full') || input.placeholder;
    input.setAttribute('data-full', full);
    var style = getComputedStyle(input), context = document.createElement('canvas').getContext('2d');
    context.font = [style.fontStyle, style.fontWeight, style.fontSize, style.fontFamily].join(' ');
    var room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    input.placeholder = context.measureText(full).width <= room ? full : input.getAttribute('data-short');
  };

  /* Count what the map shows, for the tests and the benchmark. */
  Preview.prototype.counts = function () {
    var inCluster = 0;
    this.cluster.eachLayer(function (marker) { inCluster += marker.mgCount; });
    return {visible: this.visibleTotal, inCluster: inCluster, markers: this.cluster.getLayers().length,
      loading: this.loading};
  };

  /* A data element: plain JSON, or (large builds) gzip-compressed JSON in base64. */
  function readJson(node) {
    if (node.type === 'application/json') { return Promise.resolve(JSON.parse(node.textContent)); }
    if (typeof DecompressionStream === 'undefined') { return Promise.reject(new Error('DecompressionStream')); }
    var binary = atob(node.textContent.trim()), bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).text().then(JSON.parse);
  }

  function fail(map, error) {
    var box = make('div', 'mg-fail', 'Impossibile leggere i dati della mappa con questo browser: ' +
      'aprire il file con una versione recente di Chrome, Edge, Firefox o Safari.');
    map.getContainer().appendChild(box);
    throw error;
  }

  // Leaflet's built-in English labels, in Italian (the zoom control is created after this runs).
  L.Control.Zoom.prototype.options.zoomInTitle = 'Ingrandisci';
  L.Control.Zoom.prototype.options.zoomOutTitle = 'Riduci';

  function italianCloseButton(event) {
    var button = event.popup.getElement().querySelector('.leaflet-popup-close-button');
    if (button) { button.setAttribute('aria-label', 'Chiudi la scheda'); button.title = 'Chiudi la scheda'; }
  }

  /* Keyboard users land in the popup they opened, at its heading. */
  function focusHeading(box) {
    var heading = box.querySelector('h2, .mg-wait');
    if (heading) { heading.tabIndex = -1; heading.focus({preventScroll: true}); }
  }

  /* Focus follows the popup: into it when it opens, back to what opened it when it closes;
   * Escape closes it wherever the focus is inside the map (Leaflet listens only when the
   * map itself has the focus). */
  Preview.prototype.keyboard = function () {
    var self = this, map = this.map, container = map.getContainer();
    container.setAttribute('role', 'region');
    container.setAttribute('aria-label', this.text.mappa);
    // The controls first in the Tab order (they are drawn on top anyway): otherwise a keyboard
    // user must go through every marker on the map to reach the zoom, the search or the filters.
    var controls = container.querySelector('.leaflet-control-container');
    if (controls) { container.insertBefore(controls, container.firstChild); }
    map.on('popupopen', function (event) {
      var active = document.activeElement;
      if (!self.opener && active && active !== document.body) { self.opener = active; }
      if (self.opener && self.opener !== document.body) { focusHeading(event.popup.getElement()); }
      // Opened from the list below the map: bring the map into view (the focus moved without scrolling).
      var shown = container.getBoundingClientRect();
      if (shown.top < 0 || shown.bottom > window.innerHeight + 1) { container.scrollIntoView({block: 'start'}); }
    });
    map.on('popupclose', function (event) {
      var opener = self.opener, popup = event.popup.getElement();
      self.opener = null;
      var lost = !document.activeElement || document.activeElement === document.body ||
        (popup && popup.contains(document.activeElement));
      if (opener && opener.isConnected && lost) { opener.focus({preventScroll: true}); }
    });
    container.addEventListener('keydown', function (event) {
      if (event.key === 'Escape' && map._popup && map.hasLayer(map._popup)) {
        // Leave the focus where it was if it is not inside the popup (search box, panel).
        map.closePopup();
      }
    });
    // Leaflet's layer switch says "Layers"; it opens with Enter, the choices are radio buttons.
    var toggle = container.querySelector('.leaflet-control-layers-toggle');
    if (toggle) {
      toggle.title = this.text.sfondo;
      toggle.setAttribute('aria-label', this.text.sfondo);
    }
  };

  /* Markers and groups are buttons (Leaflet: tabindex, role, Enter as a click); Space works
   * as well. A group opened from the keyboard zooms in (or spreads out at the last zoom) and
   * the focus moves to the marker or group now nearest to where it was, instead of being
   * lost with the group's icon, which re-clustering removes. */
  Preview.prototype.keyboardMarkers = function () {
    var self = this, map = this.map, from = null, keyed = false;
    map.getPane('markerPane').addEventListener('keydown', function (event) {
      var icon = event.target.closest && event.target.closest('.leaflet-marker-icon');
      if (!icon || (event.key !== 'Enter' && event.key !== ' ')) { return; }
      keyed = icon.classList.contains('marker-cluster');
      if (event.key === ' ') { event.preventDefault(); icon.click(); }
    });
    // markercluster zooms on Enter (clusterkeypress) and gives the focus to the map; Space clicks.
    this.cluster.on('clusterclick clusterkeypress', function (event) {
      from = keyed ? event.layer.getLatLng() : null;
      keyed = false;
    });
    var refocus = function () {
      if (!from) { return; }
      var at = map.latLngToContainerPoint(from), best = null, bestDistance = Infinity, box = map.getContainer().getBoundingClientRect();
      map.getPane('markerPane').querySelectorAll('.leaflet-marker-icon[tabindex]').forEach(function (icon) {
        var r = icon.getBoundingClientRect();
        var d = Math.pow(r.left + r.width / 2 - box.left - at.x, 2) + Math.pow(r.top + r.height / 2 - box.top - at.y, 2);
        if (d < bestDistance) { best = icon; bestDistance = d; }
      });
      from = null;
      if (best) { best.focus({preventScroll: true}); }
    };
    this.cluster.on('animationend', refocus);
    this.cluster.on('spiderfied', function (event) {
      var first = from && event.markers[0] && event.markers[0].getElement();
      from = null;
      if (first) { first.focus({preventScroll: true}); }
    });
  };

  function begin(map, tiles, data) {
    var preview = new Preview(map, tiles, data);
    performance.mark('mapgen:markers');
    L.control.scale({imperial: false}).addTo(map);
    map.on('popupopen', italianCloseButton);
    preview.addSearch();
    preview.addPanel();
    preview.keyboard();
    preview.keyboardMarkers();
    preview.addLayers();
    preview.foldAttribution();
    preview.fitPlaceholder();
    window.addEventListener('resize', function () { preview.fitPlaceholder(); });
    preview.fit();
    preview.refresh();
    preview.watchTiles();
    window.mapgenPreview = preview;
    return preview;
  }

  function start(map, tiles) {
    performance.mark('mapgen:start');
    return readJson(document.getElementById('mg-data')).then(
      function (data) { performance.mark('mapgen:data'); return begin(map, tiles, data); },
      function (error) { fail(map, error); });
  }

  window.MapgenPreview = {start: start};
}());
