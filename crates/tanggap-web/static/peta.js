// Draws the map of a complaint page with Leaflet: the kelurahan boundary
// and the reported position. The page passes everything in data- attributes
// of #peta, because the Content-Security-Policy allows no inline script.
// Without a tile URL, or when no tile loads, the map stays a plain view: the
// boundary and the pin on a blank background.
(function () {
  'use strict';

  var element = document.getElementById('peta');
  if (!element || typeof L === 'undefined') {
    return;
  }
  var data = element.dataset;
  // The centre of Banjarmasin, shown until the boundary has loaded.
  var cityCentre = [-3.3194, 114.5908];

  var map = L.map(element, {
    attributionControl: false,
    scrollWheelZoom: false,
    center: cityCentre,
    zoom: 12,
  });

  function showPlainView() {
    element.classList.add('peta-polos');
  }

  if (data.tiles) {
    var tiles = L.tileLayer(data.tiles, { maxZoom: 19 });
    var tileLoaded = false;
    var failures = 0;
    var dropTiles = function () {
      if (!tileLoaded && map.hasLayer(tiles)) {
        map.removeLayer(tiles);
        showPlainView();
      }
    };
    tiles.on('tileload', function () {
      tileLoaded = true;
    });
    tiles.on('tileerror', function () {
      failures += 1;
      if (failures >= 2) {
        dropTiles();
      }
    });
    tiles.addTo(map);
    // A tile server that sends no tile within 8 s counts as unreachable.
    window.setTimeout(dropTiles, 8000);
    if (data.attribution) {
      L.control.attribution({ prefix: false }).addAttribution(data.attribution).addTo(map);
    }
  } else {
    showPlainView();
  }

  var pin = null;
  if (data.lat && data.lng) {
    pin = L.latLng(parseFloat(data.lat), parseFloat(data.lng));
    L.marker(pin, { interactive: false, keyboard: false, alt: data.pinLabel || '' }).addTo(map);
    map.setView(pin, 16);
  }

  if (data.boundaryUrl) {
    fetch(data.boundaryUrl, { credentials: 'same-origin' })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (feature) {
        if (!feature) {
          return;
        }
        var boundary = L.geoJSON(feature, {
          interactive: false,
          style: { color: '#1d4ed8', weight: 2, fillOpacity: 0.08 },
        }).addTo(map);
        var bounds = boundary.getBounds();
        if (pin) {
          bounds.extend(pin);
        }
        map.fitBounds(bounds, { padding: [12, 12] });
      })
      .catch(function () {
        // The pin alone still shows where the problem is.
      });
  }
  element.classList.add('peta-siap');
})();
