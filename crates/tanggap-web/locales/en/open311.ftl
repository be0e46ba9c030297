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
