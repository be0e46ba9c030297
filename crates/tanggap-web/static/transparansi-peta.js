// Shows the public complaints with a map pin on the transparency page.
// The points come in the data-points attribute as [latitude, longitude,
// tracking number], because the Content-Security-Policy allows no inline
// script. Each marker links to the complaint in the list below the map.
// Without this script the table under the map lists the same points.
(function () {
  'use strict';

  var element = document.getElementById('peta-transparansi');
  if (!element || typeof L === 'undefined') {
    return;
  }
  var points;
  try {
    points = JSON.parse(element.dataset.points || '[]');
  } catch (e) {
    return;
  }
  element.hidden = false;
  // The centre of Banjarmasin.
  var map = L.map(element, {
    attributionControl: false,
    scrollWheelZoom: false,
    center: [-3.3194, 114.5908],
    zoom: 12,
  });
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, { maxZoom: 19 }).addTo(map);
  } else {
    element.classList.add('peta-polos');
  }
  points.forEach(function (point) {
    var marker = L.marker([parseFloat(point[0]), parseFloat(point[1])], {
      alt: point[2],
      title: point[2],
    }).addTo(map);
    marker.on('click', function () {
      window.location.hash = 'laporan-' + point[2];
    });
  });
})();
