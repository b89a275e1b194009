(function () {
  var blocks = document.querySelectorAll('script.figure-data');
  var pending = [];
  blocks.forEach(function (block) {
    var spec = JSON.parse(block.textContent);
    var target = document.getElementById(block.dataset.target);
    pending.push(Plotly.newPlot(target, spec.data, spec.layout,
      {displayModeBar: false, responsive: false, staticPlot: false}));
  });
  Promise.all(pending).then(function () { document.documentElement.dataset.chartsReady = 'yes'; });
})();
