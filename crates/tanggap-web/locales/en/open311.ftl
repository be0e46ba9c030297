# Open311 GeoReport v2: error messages and service descriptions.

open311-not-found = The requested data was not found.
open311-format = Unknown format; end the resource name with .json or .xml.
open311-method = This method is not available for this resource.
open311-key-invalid = The API key (api_key) is missing, unknown or revoked.
open311-invalid = Invalid value: { $value }.
open311-missing = Required field missing: { $value }.
open311-service-unknown = Unknown service code (service_code): { $value }.
open311-rate-limited = Too many reports in a short time. Try again later.
open311-too-large = The request is too large.
open311-internal = Something went wrong on the server. Try again later.
open311-service-description = Reports about { $name } to the city government.

# Admin page: Open311 API keys.
open311-keys-tab = Open311 keys
open311-keys-title = Open311 API keys
open311-keys-intro = Other apps that use the Open311 GeoReport v2 standard need a key to send reports to /open311/v2/. Reading the public data needs no key.
open311-keys-issued = New key. Copy it now and give it to the app's operator; it cannot be shown again.
open311-keys-id = Number
open311-keys-issued-at = Issued
open311-keys-revoked = Revoked
open311-keys-revoke = Revoke
open311-keys-add = Issue key
open311-keys-client = Name of the app or its operator
