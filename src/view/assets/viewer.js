// raftcheck trace viewer: draws the view model embedded in #trace-data as a space-time
// diagram. Plain JavaScript, no dependency. Every string from the trace goes into the page
// through textContent (never innerHTML), so a trace can carry no markup into it.
(function () {
  'use strict';

  var app = document.getElementById('app');

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function add(parent) {
    for (var i = 1; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      parent.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return parent;
  }

  var SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, String(attrs[k]));
    return e;
  }

  function fail(message) {
    while (app.firstChild) app.removeChild(app.firstChild);
    var box = el('div', 'error');
    box.id = 'view-error';
    add(box, el('h1', null, 'This trace view cannot be shown'), el('p', null, message),
      el('p', null, 'Write the page again with: raftcheck view TRACE.json'));
    app.appendChild(box);
    document.title = 'raftcheck: broken trace view';
  }

  function need(cond, what) {
    if (!cond) throw new Error('the embedded data is not a raftcheck view: ' + what);
  }

  function check(d) {
    need(d && typeof d === 'object' && !Array.isArray(d), 'expected an object');
    need(d.format === 'raftcheck-view', 'missing "format": "raftcheck-view"');
    need(d.version === 1, 'view version ' + JSON.stringify(d.version) + ' is not supported (this page reads version 1)');
    need(d.header && typeof d.header === 'object', 'missing "header"');
    need(Array.isArray(d.nodes) && d.nodes.length > 0, '"nodes" must be a non-empty list');
    need(Array.isArray(d.rows) && d.rows.length > 0, '"rows" must be a non-empty list');
    need(Array.isArray(d.messages), '"messages" must be a list');
    d.rows.forEach(function (r, i) {
      need(r && typeof r.step === 'number' && Array.isArray(r.changed) && Array.isArray(r.outputs),
        'row ' + i + ' lacks "step", "changed" or "outputs"');
    });
    d.messages.forEach(function (m, i) {
      need(m && m.id === i && Array.isArray(m.delivered), 'message ' + i + ' is malformed');
    });
  }

  var data;
  try {
    var holder = document.getElementById('trace-data');
    if (!holder) throw new Error('the page has no embedded trace data (no #trace-data element)');
    try {
      data = JSON.parse(holder.textContent);
    } catch (e) {
      throw new Error('the embedded trace data is not valid JSON (' + e.message + ')');
    }
    check(data);
  } catch (e) {
    fail(e.message);
    return;
  }

  // ---- state per row: the nodes a row does not change keep their state from the row before
  var lanes = data.nodes;
  var laneIndex = {};
  lanes.forEach(function (n, i) { laneIndex[n] = i; });
  var states = [];
  var changedAt = [];
  data.rows.forEach(function (r, i) {
    var s = i === 0 ? lanes.map(function () { return null; }) : states[i - 1].slice();
    var c = {};
    r.changed.forEach(function (ch) {
      if (laneIndex[ch.node] !== undefined) { s[laneIndex[ch.node]] = ch.state; c[ch.node] = true; }
    });
    states.push(s);
    changedAt.push(c);
  });

  var divergentRow = data.divergence ? data.divergence.step : (data.violation ? data.violation.step : null);
  var selected = -1;
  var picked = null;
  var rowEls = [];
  var arrowsOfRow = {};

  // ---- header
  function renderHeader() {
    var h = data.header;
    var head = el('header');
    head.id = 'head';
    var title = el('h1');
    add(title, el('span', 'outcome ' + (h.result || ''), h.headline), el('span', 'mono', h.file));
    head.appendChild(title);
    var meta = el('div', 'meta');
    function item(label, value) {
      if (value === null || value === undefined || value === '') return;
      var s = el('span');
      add(s, label + ' ', el('b', null, value));
      meta.appendChild(s);
    }
    item('mode', h.mode);
    item('adapter', h.adapter);
    item('injected', h.inject);
    item('flavour', h.flavour);
    item('recorded', h.recorded);
    item('bounds', h.bounds);
    item('events', data.rows.length - 1);
    item('messages', data.messages.length);
    head.appendChild(meta);
    if (h.findings && h.findings.length) {
      var ul = el('ul', 'findings');
      h.findings.forEach(function (f) { ul.appendChild(el('li', null, f)); });
      head.appendChild(ul);
    }
    (h.notes || []).forEach(function (n) { head.appendChild(el('div', 'note', n)); });
    var help = el('div', 'help');
    add(help, el('kbd', null, '↓'), ' ', el('kbd', null, 'j'), ' next step  ', el('kbd', null, '↑'), ' ',
      el('kbd', null, 'k'), ' previous  ', el('kbd', null, 'Home'), ' ', el('kbd', null, 'End'), '  ',
      el('kbd', null, 'd'), ' the divergent step  · click an arrow or a message for its fields');
    if (divergentRow !== null) {
      var b = el('button', 'jump', data.divergence ? 'go to the divergent step ' + divergentRow : 'go to the violating step ' + divergentRow);
      b.id = 'jump';
      b.addEventListener('click', function () { select(rowOfStep(divergentRow)); });
      help.appendChild(b);
    }
    head.appendChild(help);
    return head;
  }

  // ---- a node's state in a lane cell
  function has(list, name) { return Array.isArray(list) && list.indexOf(name) >= 0; }

  function stateBox(s) {
    var box = el('div', 'state');
    function f(name, text, cls) {
      var span = el('span', 'f' + (cls ? ' ' + cls : '') + (has(s.changed, name) ? ' chg' : ''), text);
      box.appendChild(span);
    }
    f('role', s.role, 'role-' + s.role);
    f('term', 't' + s.term);
    f('vote', 'vote=' + s.vote);
    f('leader', 'leader=' + s.leader);
    f('commit', 'commit=' + s.commit);
    if (s.applied !== s.commit) f('applied', 'applied=' + s.applied);
    if (s.snapshot) f('snapshot', 'snap=' + s.snapshot);
    if (s.config) f('config', 'config=' + s.config);
    var log = el('div', 'log');
    var entries = s.log || [];
    var firstChanged = entries.length;
    for (var i = 0; i < entries.length; i++) if (entries[i].changed) { firstChanged = i; break; }
    var from = Math.max(0, Math.min(firstChanged, entries.length - 6));
    from = Math.max(from, entries.length - 24);
    add(log, 'log=');
    if (from > 0) log.appendChild(el('span', 'ent', '…' + from));
    for (var k = from; k < entries.length; k++) {
      var e = entries[k];
      var ent = el('span', 'ent' + (e.changed ? ' chg' : ''), e.text);
      ent.title = 'index ' + e.index;
      log.appendChild(ent);
    }
    if (!entries.length) add(log, '[]');
    if (s.removed) log.appendChild(el('span', 'removed', ' −' + s.removed + ' removed'));
    box.appendChild(log);
    return box;
  }

  // ---- the diagram
  function renderDiagram() {
    var scroll = el('div');
    scroll.id = 'diagram-scroll';
    var diagram = el('div');
    diagram.id = 'diagram';
    var table = el('table', 'rows');
    table.id = 'rows';
    var thead = el('thead');
    var hr = el('tr');
    add(hr, el('th', 'step-head', '#'), el('th', 'event-head', 'event'));
    lanes.forEach(function (n) {
      var th = el('th', 'lane-head', 'n' + n);
      th.setAttribute('data-lane', n);
      hr.appendChild(th);
    });
    thead.appendChild(hr);
    table.appendChild(thead);
    var tbody = el('tbody');
    data.rows.forEach(function (r, i) {
      var tr = el('tr', 'row' + (r.mark ? ' ' + r.mark : ''));
      tr.setAttribute('data-step', r.step);
      if (r.mark === 'divergent') tr.setAttribute('data-divergent', 'true');
      if (r.mark === 'violation') tr.setAttribute('data-violation', 'true');
      tr.appendChild(el('td', 'step', r.step));
      var ev = el('td', 'event');
      if (r.mark === 'divergent') ev.appendChild(el('div', 'mark-label', '✗ spec and implementation part here'));
      if (r.mark === 'violation') ev.appendChild(el('div', 'mark-label', '✗ ' + (data.violation ? data.violation.property : 'violation')));
      ev.appendChild(el('div', 'ev-text', r.event));
      if (r.outputs.length) {
        var sends = r.outputs.filter(function (o) { return o.message !== null && o.message !== undefined; }).length;
        var others = r.outputs.filter(function (o) { return o.message === null || o.message === undefined; });
        var text = [];
        if (sends) text.push('→ ' + sends + ' message' + (sends === 1 ? '' : 's'));
        others.forEach(function (o) { text.push('→ ' + o.text); });
        ev.appendChild(el('div', 'outs', text.join('  ')));
      }
      tr.appendChild(ev);
      lanes.forEach(function (n, k) {
        var td = el('td', 'lane');
        td.setAttribute('data-lane', n);
        if (r.lane === n) td.appendChild(el('div', 'ev ' + r.kind, r.kind === 'Start' ? 'start' : r.kind));
        if (changedAt[i][n] && states[i][k]) td.appendChild(stateBox(states[i][k]));
        tr.appendChild(td);
      });
      tr.addEventListener('click', function () { select(i); });
      rowEls.push(tr);
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    diagram.appendChild(table);
    scroll.appendChild(diagram);
    return { scroll: scroll, diagram: diagram, table: table, head: hr };
  }

  // ---- arrows, drawn once the table is laid out
  function drawArrows(d) {
    var heads = d.head.querySelectorAll('th.lane-head');
    var x = {};
    lanes.forEach(function (n, k) { x[n] = heads[k].offsetLeft + heads[k].offsetWidth / 2; });
    var rowIndexOfStep = {};
    data.rows.forEach(function (r, i) { if (rowIndexOfStep[r.step] === undefined) rowIndexOfStep[r.step] = i; });
    // Arrows run between the event markers at the top of their rows, as drawn by hand.
    var mid = rowEls.map(function (tr) { return tr.offsetTop + Math.min(12, tr.offsetHeight / 2); });
    var layer = svg('svg', { 'class': 'arrows', width: d.table.offsetWidth, height: d.table.offsetHeight });
    var defs = svg('defs', {});
    [['head', '#3559c7'], ['head-dup', '#8e44ad']].forEach(function (m) {
      var marker = svg('marker', { id: m[0], viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
      marker.appendChild(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: m[1] }));
      defs.appendChild(marker);
    });
    layer.appendChild(defs);
    function remember(row, g) { (arrowsOfRow[row] = arrowsOfRow[row] || []).push(g); }
    function line(g, x1, y1, x2, y2, head) {
      var attrs = { 'class': 'vis', x1: x1, y1: y1, x2: x2, y2: y2 };
      if (head) attrs['marker-end'] = 'url(#' + head + ')';
      g.appendChild(svg('line', { 'class': 'hit', x1: x1, y1: y1, x2: x2, y2: y2 }));
      g.appendChild(svg('line', attrs));
    }
    data.messages.forEach(function (m) {
      var from = rowIndexOfStep[m.sent];
      var fx = x[m.from], tx = x[m.to];
      if (fx === undefined || tx === undefined) return;
      var y0 = from === undefined ? 0 : mid[from];
      m.delivered.forEach(function (dv) {
        var to = rowIndexOfStep[dv.step];
        if (to === undefined) return;
        var g = svg('g', { 'class': dv.duplicate ? 'arrow dup' : 'arrow', 'data-message': m.id, 'data-from-step': m.sent === null ? '' : m.sent, 'data-to-step': dv.step });
        var title = svg('title', {});
        title.textContent = (dv.duplicate ? 'duplicate of ' : '') + m.text;
        g.appendChild(title);
        line(g, fx, y0, tx, mid[to], dv.duplicate ? 'head-dup' : 'head');
        g.addEventListener('click', function (ev) { ev.stopPropagation(); showMessage(m.id); });
        layer.appendChild(g);
        if (from !== undefined) remember(from, g);
        remember(to, g);
      });
      m.dropped.forEach(function (step) {
        var at = rowIndexOfStep[step];
        if (at === undefined) return;
        var g = svg('g', { 'class': 'drop-mark', 'data-message': m.id });
        var title = svg('title', {});
        title.textContent = 'dropped: ' + m.text;
        g.appendChild(title);
        var ex = fx + (tx - fx) * 0.6, ey = mid[at];
        line(g, fx, y0, ex, ey, null);
        var t = svg('text', { x: ex - 5, y: ey + 5 });
        t.textContent = '✕';
        g.appendChild(t);
        g.addEventListener('click', function (ev) { ev.stopPropagation(); showMessage(m.id); });
        layer.appendChild(g);
        if (from !== undefined) remember(from, g);
        remember(at, g);
      });
      if (!m.delivered.length && !m.dropped.length && from !== undefined) {
        // Still in flight where the trace ends: a short stub towards the receiver.
        var g = svg('g', { 'class': 'pending', 'data-message': m.id });
        var title = svg('title', {});
        title.textContent = 'never delivered: ' + m.text;
        g.appendChild(title);
        line(g, fx, y0, fx + (tx - fx) * 0.25, y0 + 14, null);
        g.addEventListener('click', function (ev) { ev.stopPropagation(); showMessage(m.id); });
        layer.appendChild(g);
        remember(from, g);
      }
    });
    d.diagram.appendChild(layer);
  }

  // ---- the side panel
  var panel = el('aside');
  panel.id = 'panel';

  function kv(table, key, value, cls) {
    var tr = el('tr', cls || null);
    add(tr, el('th', null, key), el('td', 'val', value));
    table.appendChild(tr);
    return tr;
  }

  function msgButton(id) {
    var m = data.messages[id];
    var b = el('button', 'msg-link', m ? m.text : 'message ' + id);
    b.addEventListener('click', function (ev) { ev.stopPropagation(); showMessage(id); });
    return b;
  }

  function nodesTable(i, broken) {
    var t = el('table', 'nodes');
    var hr = el('tr');
    add(hr, el('th', null, 'node'), el('th', null, 'role'), el('th', null, 'term'), el('th', null, 'vote'),
      el('th', null, 'leader'), el('th', null, 'commit'), el('th', null, 'log'));
    t.appendChild(hr);
    lanes.forEach(function (n, k) {
      var s = states[i][k];
      if (!s) return;
      var fresh = changedAt[i][n];
      var tr = el('tr', broken && broken.indexOf(n) >= 0 ? 'broken-node' : null);
      tr.setAttribute('data-node', n);
      function cell(name, text) {
        tr.appendChild(el('td', 'val' + (fresh && has(s.changed, name) ? ' chg' : ''), text));
      }
      tr.appendChild(el('td', null, 'n' + n));
      cell('role', s.role);
      cell('term', s.term);
      cell('vote', s.vote);
      cell('leader', s.leader);
      cell('commit', s.commit + (s.applied !== s.commit ? ' (applied ' + s.applied + ')' : ''));
      var log = el('td', 'val');
      if (s.snapshot) log.appendChild(el('span', 'ent' + (fresh && has(s.changed, 'snapshot') ? ' chg' : ''), s.snapshot + '+'));
      (s.log || []).forEach(function (e) {
        var ent = el('span', 'ent' + (fresh && e.changed ? ' chg' : ''), e.index + ':' + e.text);
        log.appendChild(ent);
      });
      if (!(s.log || []).length) add(log, '[]');
      if (fresh && s.removed) log.appendChild(el('span', 'removed', ' −' + s.removed + ' removed'));
      if (s.config) log.appendChild(el('div', fresh && has(s.changed, 'config') ? 'chg' : null, 'config ' + s.config));
      if (s.state_machine && s.state_machine.length) log.appendChild(el('div', fresh && has(s.changed, 'state_machine') ? 'chg' : null, 'state machine [' + s.state_machine.join(', ') + ']'));
      tr.appendChild(log);
      t.appendChild(tr);
    });
    return t;
  }

  function outputsList(items, cls) {
    var ul = el('ul', 'outs-list ' + cls);
    if (!items.length) ul.appendChild(el('li', 'note', 'nothing'));
    items.forEach(function (o) {
      var li = el('li', o.matched ? 'matched' : 'unmatched', (o.matched ? '' : '✗ ') + o.text);
      ul.appendChild(li);
    });
    return ul;
  }

  function divergenceBlock(dv) {
    var box = el('section', 'divergence');
    box.id = 'divergence';
    box.appendChild(el('h2', null, 'Divergence: ' + dv.kind));
    var ul = el('ul', 'findings');
    dv.findings.forEach(function (f) { ul.appendChild(el('li', 'finding', f)); });
    box.appendChild(ul);
    if (dv.fields.length) {
      box.appendChild(el('h3', null, 'Differing fields'));
      var t = el('table', 'diff-table');
      var hr = el('tr');
      add(hr, el('th', null, 'field'), el('th', null, 'spec'), el('th', null, 'implementation'));
      t.appendChild(hr);
      dv.fields.forEach(function (f) {
        var tr = el('tr', 'differs');
        add(tr, el('td', 'diff-field', f.field), el('td', 'val', f.spec), el('td', 'val', f['impl']));
        t.appendChild(tr);
      });
      box.appendChild(t);
    }
    dv.sides.forEach(function (side) {
      box.appendChild(el('h3', null, 'n' + side.node + ': spec and implementation side by side'));
      var t = el('table', 'sides');
      var hr = el('tr');
      add(hr, el('th', null, 'field'), el('th', null, 'spec'), el('th', null, 'implementation'));
      t.appendChild(hr);
      side.fields.forEach(function (f) {
        var tr = el('tr', f.differs ? 'differs' : null);
        add(tr, el('td', f.differs ? 'diff-field' : null, f.name), el('td', 'val', f.spec), el('td', 'val', f['impl']));
        t.appendChild(tr);
      });
      box.appendChild(t);
    });
    if (dv.spec_outputs.length || dv.impl_outputs.length) {
      box.appendChild(el('h3', null, 'Outputs: what the spec requires, what the implementation emitted'));
      var grid = el('div', 'side-by-side');
      var l = el('div'), r = el('div');
      add(l, el('b', null, 'spec requires'), outputsList(dv.spec_outputs, 'spec'));
      add(r, el('b', null, 'implementation emitted'), outputsList(dv.impl_outputs, 'impl'));
      add(grid, l, r);
      box.appendChild(grid);
      box.appendChild(el('div', 'note', 'An output marked ✗ has no equal on the other side; a send of the implementation\'s own accord (an append, a probe) is allowed when the spec may send it.'));
    }
    return box;
  }

  function violationBlock(v) {
    var box = el('section', 'violation');
    box.id = 'violation';
    box.appendChild(el('h2', null, 'Violation of ' + v.property));
    box.appendChild(el('p', 'mono', v.detail));
    box.appendChild(el('p', 'note', 'The states that break it are outlined below: ' +
      (v.nodes.length ? v.nodes.map(function (n) { return 'n' + n; }).join(', ') : 'see the detail')));
    return box;
  }

  function renderPanel() {
    while (panel.firstChild) panel.removeChild(panel.firstChild);
    if (selected < 0) {
      panel.appendChild(el('p', 'note', 'Select a step (click a row, or press ↓).'));
      return;
    }
    var r = data.rows[selected];
    panel.appendChild(el('h2', null, 'Step ' + r.step));
    var t = el('table', 'event');
    kv(t, 'event', r.event);
    if (r.message !== null && r.message !== undefined) {
      var tr = el('tr');
      var td = el('td', 'val');
      td.appendChild(msgButton(r.message));
      add(tr, el('th', null, 'message'), td);
      t.appendChild(tr);
    }
    panel.appendChild(t);
    if (r.outputs.length) {
      panel.appendChild(el('h3', null, 'Outputs'));
      var ul = el('ul', 'outs-list');
      r.outputs.forEach(function (o) {
        var li = el('li');
        if (o.message !== null && o.message !== undefined) li.appendChild(msgButton(o.message));
        else li.textContent = o.text;
        ul.appendChild(li);
      });
      panel.appendChild(ul);
    }
    if (picked !== null) panel.appendChild(messageBlock(picked));
    var isDivergent = data.divergence && data.divergence.step === r.step && r.mark === 'divergent';
    var isViolation = data.violation && data.violation.step === r.step && r.mark === 'violation';
    if (isDivergent) panel.appendChild(divergenceBlock(data.divergence));
    if (isViolation) panel.appendChild(violationBlock(data.violation));
    panel.appendChild(el('h3', null, selected === 0 ? 'The fresh cluster' : 'Every node after the step (the spec\'s state; changes highlighted)'));
    panel.appendChild(nodesTable(selected, isViolation ? data.violation.nodes : null));
  }

  function messageBlock(id) {
    var m = data.messages[id];
    var box = el('section', 'message');
    box.id = 'message';
    box.appendChild(el('h3', null, 'Message ' + m.kind + ' n' + m.from + '→n' + m.to));
    var t = el('table', 'fields');
    var f = m.fields || {};
    Object.keys(f).forEach(function (k) {
      var v = f[k];
      kv(t, k, typeof v === 'object' ? JSON.stringify(v) : String(v));
    });
    kv(t, 'sent at step', m.sent === null ? 'not sent in this trace' : m.sent);
    kv(t, 'delivered at', m.delivered.length ? m.delivered.map(function (d) { return d.step + (d.duplicate ? ' (duplicate)' : ''); }).join(', ') : 'never');
    if (m.dropped.length) kv(t, 'dropped at', m.dropped.join(', '));
    if (m.duplicated.length) kv(t, 'duplicated at', m.duplicated.join(', '));
    box.appendChild(t);
    return box;
  }

  function showMessage(id) {
    if (!data.messages[id]) return;
    picked = id;
    var all = document.querySelectorAll('svg.arrows g.picked');
    for (var i = 0; i < all.length; i++) all[i].classList.remove('picked');
    var mine = document.querySelectorAll('svg.arrows g[data-message="' + id + '"]');
    for (var j = 0; j < mine.length; j++) mine[j].classList.add('picked');
    if (selected < 0) select(data.messages[id].sent === null ? 0 : rowOfStep(data.messages[id].sent));
    else renderPanel();
  }

  function rowOfStep(step) {
    for (var i = 0; i < data.rows.length; i++) if (data.rows[i].step === step) return i;
    return 0;
  }

  function select(i) {
    if (i < 0 || i >= data.rows.length) return;
    if (selected >= 0) {
      rowEls[selected].classList.remove('selected');
      (arrowsOfRow[selected] || []).forEach(function (g) { g.classList.remove('hl'); });
    }
    selected = i;
    rowEls[i].classList.add('selected');
    (arrowsOfRow[i] || []).forEach(function (g) { g.classList.add('hl'); });
    if (rowEls[i].scrollIntoView) rowEls[i].scrollIntoView({ block: 'nearest' });
    renderPanel();
  }

  document.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var k = e.key;
    if (k === 'ArrowDown' || k === 'j') { select(selected < 0 ? 0 : selected + 1); e.preventDefault(); }
    else if (k === 'ArrowUp' || k === 'k') { select(selected < 0 ? 0 : selected - 1); e.preventDefault(); }
    else if (k === 'Home') { select(0); e.preventDefault(); }
    else if (k === 'End') { select(data.rows.length - 1); e.preventDefault(); }
    else if (k === 'd' && divergentRow !== null) { select(rowOfStep(divergentRow)); e.preventDefault(); }
    else if (k === 'Escape') { picked = null; renderPanel(); }
  });

  try {
    while (app.firstChild) app.removeChild(app.firstChild);
    app.appendChild(renderHeader());
    var body = el('div');
    body.id = 'body';
    var d = renderDiagram();
    add(body, d.scroll, panel);
    app.appendChild(body);
    drawArrows(d);
    select(divergentRow !== null ? rowOfStep(divergentRow) : 0);
    app.setAttribute('data-rendered', 'true');
  } catch (e) {
    fail('the page could not draw this trace: ' + (e && e.message ? e.message : String(e)));
  }
})();
