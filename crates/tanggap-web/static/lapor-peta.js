// Lets the reporter mark the place on a Leaflet map of the report form.
// A click or tap sets the pin and fills the hidden latitude and longitude
// fields, from which the server finds the kelurahan. With the keyboard,
// the focused map moves with the arrow keys (Leaflet's keyboard handler),
// and Enter or the "centre" button puts the pin under the crosshair in the
// middle of the map. The pin is optional,
// and the form works without this script. Settings come in data-
// attributes of #peta-lapor, because the Content-Security-Policy allows no
// inline script.
(function () {
  'use strict';

  var element = document.getElementById('peta-lapor');
  var latitude = document.getElementById('latitude');
  var longitude = document.getElementById('longitude');
  var status = document.getElementById('peta-lapor-status');
  var clear = document.getElementById('peta-lapor-hapus');
  var centre = document.getElementById('peta-lapor-tengah');
  if (!element || !latitude || !longitude || typeof L === 'undefined') {
    return;
  }
  element.hidden = false;
  var data = element.dataset;
  // The centre of Banjarmasin.
  var map = L.map(element, {
    attributionControl: false,
    scrollWheelZoom: false,
    center: [-3.3194, 114.5908],
    zoom: 12,
  });
  if (data.tiles) {
    L.tileLayer(data.tiles, { maxZoom: 19 }).addTo(map);
  } else {
    element.classList.add('peta-polos');
  }

  var marker = null;
  function place(latlng) {
    if (marker) {
      marker.setLatLng(latlng);
    } else {
      marker = L.marker(latlng, { keyboard: false, alt: data.pinLabel || '' }).addTo(map);
    }
    latitude.value = latlng.lat.toFixed(6);
    longitude.value = latlng.lng.toFixed(6);
    status.textContent = data.chosen + ' ' + latitude.value + ', ' + longitude.value;
    clear.hidden = false;
  }

  map.on('click', function (event) {
    place(event.latlng);
  });

  // The crosshair marks the point that Enter and the centre button use.
  var crosshair = document.createElement('div');
  crosshair.className = 'peta-bidik';
  crosshair.setAttribute('aria-hidden', 'true');
  element.appendChild(crosshair);
  // Arrow keys pan with an animation, so a pin set while the map moves
  // waits for the move to end and lands under the crosshair.
  var moving = false;
  map.on('movestart', function () {
    moving = true;
  });
  map.on('moveend', function () {
    moving = false;
  });
  function placeAtCentre() {
    if (moving) {
      map.once('moveend', placeAtCentre);
    } else {
      place(map.getCenter());
    }
  }
  element.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && event.target === element) {
      event.preventDefault();
      placeAtCentre();
    }
  });
  if (centre) {
    centre.hidden = false;
    centre.addEventListener('click', placeAtCentre);
  }
  clear.addEventListener('click', function () {
    if (marker) {
      map.removeLayer(marker);
      marker = null;
    }
    latitude.value = '';
    longitude.value = '';
    status.textContent = data.none;
    clear.hidden = true;
  });
  if (latitude.value && longitude.value) {
    place(L.latLng(parseFloat(latitude.value), parseFloat(longitude.value)));
  }
})();
