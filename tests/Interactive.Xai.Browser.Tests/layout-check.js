// Layout problems of every drawn plotly chart (.xai-chart) on the page, as seen by the reader.
// Called with a callback as its last argument (WebDriver's executeAsyncScript); calls it with a JSON string:
// [{ id, title, problems: [string] }] for every chart.
// Text boxes: every visible <text> of the chart's SVG (titles, axis titles, tick labels, annotations, subplot titles,
// legend entries, colour-bar labels, bar and node labels), except plotly's hover layer and heatmap cell labels, plus
// the mode bar's buttons. A problem is two boxes that overlap (by more than TOL px each way) or a text box that leaves
// the figure. Image grids: every heatmap drawn with a colour scale that has colour (not a grey scale) must show some
// pixel with visible colour (chroma x alpha >= MIN_CHROMA).
(function (done) {
  var TOL = 1, MIN_CHROMA = 40;
  function visible(el) {
    for (var e = el; e && e.nodeType === 1; e = e.parentNode) {
      var s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden' || parseFloat(s.opacity) === 0) return false;
    }
    return true;
  }
  function box(el) {
    var r = el.getBoundingClientRect();
    return { l: r.left, t: r.top, r: r.right, b: r.bottom };
  }
  function kind(el) {
    var c = function (sel) { return el.closest(sel); };
    if (c('.legend')) return 'legend';
    if (c('.colorbar')) return 'colour bar';
    if (c('.annotation')) return 'annotation';
    var cls = el.getAttribute('class') || '';
    if (/title/.test(cls)) return cls.split(' ')[0];
    if (c('.xaxislayer-above') || c('.yaxislayer-above')) {
      var g = el.parentNode, gc = g && g.getAttribute('class') || '';
      return gc.split(' ')[0] || 'tick';
    }
    if (c('.barlayer') || c('.waterfalllayer')) return 'bar text';
    if (c('.scatterlayer')) return 'marker text';
    return cls || el.parentNode.getAttribute('class') || 'text';
  }
  function label(el) {
    var t = (el.textContent || '').trim();
    return kind(el) + ' "' + (t.length > 50 ? t.substring(0, 50) + '...' : t) + '"';
  }
  function overlap(a, b) {
    return Math.min(a.r, b.r) - Math.max(a.l, b.l) > TOL && Math.min(a.b, b.b) - Math.max(a.t, b.t) > TOL;
  }
  function isGrey(colorscale) {
    if (!colorscale || !colorscale.length) return false;
    return colorscale.every(function (s) {
      var c = String(s[1]).trim(), m;
      if ((m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(c))) return m[1] === m[2] && m[2] === m[3];
      if ((m = /^rgba?\(([^,]+),([^,]+),([^,)]+)/i.exec(c))) return +m[1] === +m[2] && +m[2] === +m[3];
      return false;
    });
  }
  function colourOf(href) {
    return new Promise(function (resolve) {
      var img = new Image();
      img.onload = function () {
        var cv = document.createElement('canvas');
        cv.width = img.naturalWidth; cv.height = img.naturalHeight;
        var cx = cv.getContext('2d');
        cx.drawImage(img, 0, 0);
        var d = cx.getImageData(0, 0, cv.width, cv.height).data, best = 0;
        for (var i = 0; i < d.length; i += 4) {
          var chroma = (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2])) * d[i + 3] / 255;
          if (chroma > best) best = chroma;
        }
        resolve(best);
      };
      img.onerror = function () { resolve(-1); };
      img.src = href;
    });
  }
  var charts = Array.prototype.slice.call(document.querySelectorAll('.xai-chart'));
  var jobs = charts.map(function (gd) {
    var problems = [];
    var fig = box(gd);
    var texts = Array.prototype.filter.call(gd.querySelectorAll('svg.main-svg text'), function (t) {
      if (t.closest('.hoverlayer') || t.closest('.heatmaplayer')) return false;
      if (!(t.textContent || '').trim()) return false;
      var r = t.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && visible(t);
    });
    var boxes = texts.map(function (t) { return { b: box(t), name: label(t) }; });
    var bar = gd.querySelector('.modebar');
    if (bar) {
      var r = bar.getBoundingClientRect();
      if (r.width > 0) boxes.push({ b: { l: r.left, t: r.top, r: r.right, b: r.bottom }, name: 'mode bar' });
    }
    // Plot areas: no title, tick label, legend or colour bar may cover one (annotations and data labels may).
    var areas = Array.prototype.map.call(gd.querySelectorAll('.draglayer .nsewdrag'), function (r) {
      return { b: box(r), name: 'plot area ' + (r.parentNode.getAttribute('class') || '').split(' ')[0] };
    });
    for (var k = 0; k < boxes.length; k++) {
      if (/^(annotation|bar text|marker text|mode bar)/.test(boxes[k].name)) continue;
      for (var m = 0; m < areas.length; m++)
        if (overlap(boxes[k].b, areas[m].b)) problems.push(boxes[k].name + ' covers ' + areas[m].name);
    }
    for (var i = 0; i < boxes.length; i++) {
      var a = boxes[i].b;
      if (a.l < fig.l - TOL || a.r > fig.r + TOL || a.t < fig.t - TOL || a.b > fig.b + TOL)
        problems.push(boxes[i].name + ' leaves the figure');
      for (var j = i + 1; j < boxes.length; j++)
        if (overlap(a, boxes[j].b)) problems.push(boxes[i].name + ' overlaps ' + boxes[j].name);
    }
    var checks = [];
    Array.prototype.forEach.call(gd.querySelectorAll('.heatmaplayer g.hm'), function (g) {
      var cd = g.__data__, trace = cd && cd[0] && cd[0].trace, img = g.querySelector('image');
      if (!trace || !img || trace.visible !== true) return;
      var scale = trace.coloraxis ? (gd._fullLayout[trace.coloraxis] || {}).colorscale : trace.colorscale;
      if (isGrey(scale)) return;
      var href = img.getAttribute('href') || img.getAttribute('xlink:href');
      checks.push(colourOf(href).then(function (chroma) {
        if (chroma < MIN_CHROMA)
          problems.push('heatmap ' + trace.index + ' (' + (trace.xaxis || 'x') + '/' + (trace.yaxis || 'y') + ') shows no visible colour (max chroma ' + Math.round(chroma) + ')');
      }));
    });
    return Promise.all(checks).then(function () {
      var title = gd._fullLayout && gd._fullLayout.title && gd._fullLayout.title.text || '';
      return { id: gd.id, title: title, problems: problems };
    });
  });
  Promise.all(jobs).then(function (r) { done(JSON.stringify(r)); }, function (e) { done(JSON.stringify([{ id: 'error', title: String(e), problems: [String(e)] }])); });
})(arguments[arguments.length - 1]);
